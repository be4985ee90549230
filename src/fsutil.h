/* fsutil.h - reading whole files and writing outputs atomically. */
#ifndef ATTRIB_FSUTIL_H
#define ATTRIB_FSUTIL_H

#include <limits.h>
#include <stddef.h>
#include <stdio.h>

/* Reads the file at path into a malloc'd buffer (plus a NUL byte).
 * Fails with code and a message if it is missing, unreadable, a directory
 * or larger than max_bytes. */
int read_file(const char *path, size_t max_bytes, int code, unsigned char **data, size_t *len);

/* Writes data to path through a temporary file in the same directory and a
 * rename, so path never holds a partial file: not on error, not when the
 * process is interrupted (see install_signal_cleanup). EXIT_OUTPUT on error. */
int write_file_atomic(const char *path, const void *data, size_t len);

/* A file written piece by piece and published whole, the same way: stdio
 * writes go to f (a temporary file beside path); atomic_close(a, 1) renames
 * it over path, or removes it and fails (EXIT_OUTPUT, with the first write
 * error: a full disk shows here) - atomic_close(a, 0) just removes it. One
 * may be open at a time (the signal handler knows one temporary file). */
/* A reader that went away (`attrib help | head -1`) is not a failure of
 * attrib's: as git and coreutils do, the process then dies of SIGPIPE,
 * quietly (status 141 in a shell), instead of reporting a write error. A
 * no-op while standard output has a reader or is not a pipe. SIGPIPE is
 * otherwise ignored (install_signal_cleanup), so that writes fail with
 * EPIPE and this is called where they are checked. */
void die_if_stdout_reader_gone(void);

struct atomic_file {
    FILE *f;
    char path[PATH_MAX], tmp[PATH_MAX];
};
int atomic_open(struct atomic_file *a, const char *path);
int atomic_close(struct atomic_file *a, int publish);

/* On SIGINT/SIGTERM, removes the temporary file being written, then dies of
 * the signal. SIGPIPE is ignored so that writes report EPIPE instead. */
void install_signal_cleanup(void);

/* mkdir -p. EXIT_OUTPUT with a message when it cannot. */
int make_dirs(const char *path);

/* For an output file named on the command line, before any work: its
 * folder made (mkdir -p) and writable, or EXIT_OUTPUT naming the file. */
int prepare_output_file(const char *path);

/* For an output folder made only if there is something to put in it: that
 * it could be made, without making it (a folder, or nothing, where its
 * path is; its nearest existing parent a writable folder). EXIT_OUTPUT
 * naming it when not. */
int check_output_dir(const char *path);

/* mkdir -p of root/sub, where root exists and sub comes from input names:
 * a symbolic link met below root is refused (EXIT_OUTPUT), so outputs
 * never land outside the output directory. */
int make_dirs_below(const char *root, const char *sub);

/* out = out_dir/NAME SUFFIX for an output of the input named name, which
 * may have subfolders (images from input folders mirror them): those are
 * made below out_dir (make_dirs_below). EXIT_OUTPUT when it cannot. */
int output_path(const char *out_dir, const char *name, const char *suffix, char *out,
                size_t size);

/* "dir/photos/cat.jpg" -> "cat". out holds at least size bytes. */
void path_stem(const char *path, char *out, size_t size);

/* out = the path from the folder from to the folder to, both as realpath
 * gives them ("/a/b/c", "/a/d" -> "../../d"; the same folder -> ".").
 * EXIT_OUTPUT if it does not fit. */
int path_relative(const char *from, const char *to, char *out, size_t size);

/* out = dir + "/" + name; EXIT_OUTPUT if it does not fit. */
int path_join(char *out, size_t size, const char *dir, const char *name);

/* out = path relative to directory dir ("../photos/cat.jpg"); both must
 * exist. 0, or -1 when they do not or it does not fit. */
int relative_path(const char *dir, const char *path, char *out, size_t size);

/* A growable byte buffer, used for encoding files in memory. */
struct buffer {
    unsigned char *data;
    size_t len, cap;
    int failed; /* an append ran out of memory */
};
void buffer_append(struct buffer *b, const void *data, size_t len);
void buffer_free(struct buffer *b);

#endif
