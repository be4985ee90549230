/* inputs.h - the list of images a command works on: files, directories
 * (optionally recursive), and "-" for paths on standard input; unique output
 * names that mirror the input tree; shards; per-image classes. */
#ifndef ATTRIB_INPUTS_H
#define ATTRIB_INPUTS_H

#include <stddef.h>

#define INPUT_MAX_IMAGES 10000000

struct input {
    char *path;   /* as given, or joined from a directory argument */
    char *name;   /* output name without extension, unique in the list: "cat",
                     "sub/dir/cat", "cat-2" */
    long target;  /* class to explain; -1: the predicted one */
    long target_line; /* the --class-file line that gave target; 0: not from a file */
    size_t index; /* position in the whole list, before --shard */
};

struct input_list {
    struct input *items;
    size_t n, cap;
};

/* Expands args: a file is taken as it is (output name: its stem); a
 * directory contributes its files with an image extension, in sorted order
 * (with recursive, its subdirectories too; output names keep the path below
 * the directory); "-" reads one path per line from stdin. A directory or
 * "-" that yields nothing is an error (EXIT_INPUT), as is a missing
 * directory; missing files are kept, to fail one by one later. */
int inputs_collect(char **args, int nargs, int recursive, struct input_list *out);

/* Keeps items k-1, k-1+n, k-1+2n, ... (1 <= k <= n) after names are
 * assigned, so every shard names its outputs as a single run would. */
void inputs_shard(struct input_list *l, long k, long n);

/* --shard K/N: the K-th of N interleaved slices; 0/0: all. */
struct shard {
    long k, n;
};

/* Parses "K/N" into a struct shard (an OPTK_CUSTOM row's parser). EXIT_OK
 * or EXIT_USAGE. */
struct opt;
int parse_shard(const struct opt *o, const char *arg, void *shard);

/* Sets every item's target (and target_line) from a TSV file of
 * "path<TAB>class" lines ('#' comments and blank lines skipped); an image
 * missing from the file keeps default_target. EXIT_OK, EXIT_USAGE (bad
 * file) or EXIT_INTERNAL. Whether a class is one the model has is checked
 * per image later, when the model is known. */
/* Sets every item's target from the name of the folder it is in, as
 * torchvision's ImageFolder: a class number below classes, or one of the
 * nlabels labels (or a comma-separated synonym of one: "hot dog" for
 * "hotdog, hot dog, red hot"), case and '_' for ' ' aside. EXIT_USAGE,
 * naming the folder, when one names no class. */
int inputs_classes_from_folders(struct input_list *l, char *const *labels, int nlabels,
                                long classes);

int inputs_read_classes(struct input_list *l, const char *tsv, long default_target,
                        long max_class);

void inputs_free(struct input_list *l);

/* Whether name ends in an extension attrib reads from directories. */
int has_image_extension(const char *name);

#endif
