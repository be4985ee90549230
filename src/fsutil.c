/* fsutil.c - whole-file reads, atomic writes, and cleanup on signals. */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

int read_file(const char *path, size_t max_bytes, int code, unsigned char **data, size_t *len)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(code, "cannot open '%s': %s", path, strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return fail(code, "'%s' is not a regular file", path);
    }
    if ((unsigned long long)st.st_size > max_bytes) {
        close(fd);
        return fail(code, "'%s' is %lld bytes, above the limit of %zu", path,
                    (long long)st.st_size, max_bytes);
    }
    size_t n = (size_t)st.st_size, got = 0;
    unsigned char *buf = malloc(n + 1);
    if (!buf) {
        close(fd);
        return fail(EXIT_INTERNAL, "out of memory reading '%s'", path);
    }
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            int e = r < 0 ? errno : EIO;
            free(buf);
            close(fd);
            return fail(code, "cannot read '%s': %s", path, strerror(e));
        }
        got += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return EXIT_OK;
}

/* The temporary file being written, for the signal handler. */
static char pending[PATH_MAX];
static volatile sig_atomic_t pending_set;

static void on_signal(int sig)
{
    if (pending_set)
        unlink(pending);
    signal(sig, SIG_DFL);
    raise(sig);
}

void install_signal_cleanup(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* Past a file-size limit (ulimit -f) a write then fails with EFBIG, which
     * is reported, instead of the process dying of SIGXFSZ. */
    signal(SIGXFSZ, SIG_IGN);
}

/* Whether standard output is a pipe or socket whose reader has gone. */
static int stdout_reader_gone(void)
{
    struct stat st;
    if (fstat(STDOUT_FILENO, &st) != 0 || !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
        return 0;
    struct pollfd p = { .fd = STDOUT_FILENO, .events = POLLOUT };
    return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP));
}

void die_if_stdout_reader_gone(void)
{
    if (!stdout_reader_gone())
        return;
    if (pending_set)
        unlink(pending);
    signal(SIGPIPE, SIG_DFL);
    raise(SIGPIPE);
}

/* Outputs get the usual 0666 & ~umask, not mkstemp's 0600. */
static mode_t output_mode(void)
{
    mode_t mask = umask(0);
    umask(mask);
    return 0666 & ~mask;
}

static void block_signals(sigset_t *old)
{
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigprocmask(SIG_BLOCK, &block, old);
}

int atomic_open(struct atomic_file *a, const char *path)
{
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path + 1) : 0;
    a->f = NULL;
    if (snprintf(a->path, sizeof a->path, "%s", path) >= (int)sizeof a->path ||
        snprintf(a->tmp, sizeof a->tmp, "%.*s.%s.tmp-XXXXXX", dirlen, path,
                 slash ? slash + 1 : path) >= (int)sizeof a->tmp)
        return fail(EXIT_OUTPUT, "output path too long: '%s'", path);
    sigset_t old;
    block_signals(&old);
    memcpy(pending, a->tmp, sizeof a->tmp);
    /* Set before the file exists: the mask above holds for this thread only,
     * and a signal taken by another (libtorch's, the PNG encoders') between
     * mkstemp and this line would leave the file behind. Unlinking a name
     * not yet created is harmless. */
    pending_set = 1;
    int fd = mkstemp(pending);
    pending_set = fd >= 0;
    if (fd >= 0)
        memcpy(a->tmp, pending, sizeof a->tmp);
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (fd >= 0 && !(a->f = fdopen(fd, "wb")))
        close(fd);
    if (!a->f) {
        int err = errno;
        atomic_close(a, 0);
        return fail(EXIT_OUTPUT, "cannot write '%s': %s", path, strerror(err));
    }
    return EXIT_OK;
}

int atomic_close(struct atomic_file *a, int publish)
{
    int err = 0;
    if (a->f) {
        if (ferror(a->f) || fflush(a->f) != 0)
            err = errno ? errno : EIO;
        if (fchmod(fileno(a->f), output_mode()) != 0 && !err)
            err = errno;
        if (fclose(a->f) != 0 && !err)
            err = errno;
        a->f = NULL;
    }
    if (publish && !err && rename(a->tmp, a->path) != 0)
        err = errno;
    sigset_t old;
    block_signals(&old);
    if (err || !publish)
        unlink(a->tmp);
    pending_set = 0;
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (err && publish)
        return fail(EXIT_OUTPUT, "cannot write '%s': %s", a->path, strerror(err));
    return EXIT_OK;
}

int write_file_atomic(const char *path, const void *data, size_t len)
{
    struct atomic_file a;
    int rc = atomic_open(&a, path);
    if (rc == EXIT_OK && len)
        fwrite(data, 1, len, a.f); /* a failure sets the stream's error flag */
    return rc ? rc : atomic_close(&a, 1);
}

int make_dirs_below(const char *root, const char *sub)
{
    char buf[PATH_MAX];
    struct stat st;
    if (snprintf(buf, sizeof buf, "%s/%s", root, sub) >= (int)sizeof buf)
        return fail(EXIT_OUTPUT, "output directory path too long");
    size_t start = strlen(root) + 1;
    for (char *p = buf + start;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (lstat(buf, &st) == 0 && S_ISLNK(st.st_mode))
                return fail(EXIT_OUTPUT, "refusing to write through the symbolic link '%s'", buf);
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return fail(EXIT_OUTPUT, "cannot create directory '%s': %s", buf, strerror(errno));
            *p = c;
            if (!c)
                break;
        }
    }
    return EXIT_OK;
}

int make_dirs(const char *path)
{
    char buf[PATH_MAX];
    struct stat st;
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return fail(EXIT_OUTPUT, "output directory path too long");
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return fail(EXIT_OUTPUT, "cannot create directory '%s': %s", buf, strerror(errno));
            *p = c;
            if (!c)
                break;
        }
    }
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return fail(EXIT_OUTPUT, "'%s' is not a directory", path);
    return EXIT_OK;
}

int prepare_output_file(const char *path)
{
    char dir[PATH_MAX];
    if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
        return fail(EXIT_OUTPUT, "output path too long: '%s'", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == dir)
        dir[1] = '\0'; /* "/file" */
    else
        *slash = '\0';
    if (make_dirs(dir) != EXIT_OK) { /* the message names the file the user gave */
        char why[512];
        snprintf(why, sizeof why, "%s", error_message());
        clear_error();
        return fail(EXIT_OUTPUT, "cannot write '%s': %s", path, why);
    }
    if (access(dir, W_OK | X_OK) != 0)
        return fail(EXIT_OUTPUT, "cannot write '%s': %s", path, strerror(errno));
    return EXIT_OK;
}

int check_output_dir(const char *path)
{
    char dir[PATH_MAX];
    if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
        return fail(EXIT_OUTPUT, "output path too long: '%s'", path);
    struct stat st;
    for (;;) {
        if (stat(dir, &st) == 0) {
            if (!S_ISDIR(st.st_mode))
                return fail(EXIT_OUTPUT, "cannot create directory '%s': '%s' is not a directory",
                            path, dir);
            if (access(dir, W_OK | X_OK) != 0)
                return fail(EXIT_OUTPUT, "cannot create directory '%s': %s", path,
                            strerror(errno));
            return EXIT_OK;
        }
        if (errno != ENOENT)
            return fail(EXIT_OUTPUT, "cannot create directory '%s': %s", path, strerror(errno));
        char *slash = strrchr(dir, '/');
        while (slash && slash > dir && slash[1] == '\0') { /* "a/b/" */
            *slash = '\0';
            slash = strrchr(dir, '/');
        }
        if (!slash) {
            snprintf(dir, sizeof dir, ".");
        } else if (slash == dir) {
            dir[1] = '\0';
        } else {
            *slash = '\0';
        }
    }
}

int path_relative(const char *from, const char *to, char *out, size_t size)
{
    /* the common folders: whole components only ("/a/bc" is not in "/a/b") */
    size_t common = 0;
    for (size_t i = 0;; i++) {
        int end_from = from[i] == '\0' || from[i] == '/', end_to = to[i] == '\0' || to[i] == '/';
        if (end_from && end_to)
            common = i;
        if (from[i] != to[i] || from[i] == '\0')
            break;
    }
    size_t used = 0;
    out[0] = '\0';
    for (const char *p = from + common; *p; p++) /* one ".." per folder left in from */
        if (*p == '/' && p[1]) {
            int n = snprintf(out + used, size - used, "%s..", used ? "/" : "");
            if (n < 0 || (size_t)n >= size - used)
                return fail(EXIT_OUTPUT, "path too long");
            used += (size_t)n;
        }
    const char *rest = to + common + (to[common] == '/');
    if (*rest) {
        int n = snprintf(out + used, size - used, "%s%s", used ? "/" : "", rest);
        if (n < 0 || (size_t)n >= size - used)
            return fail(EXIT_OUTPUT, "path too long");
        used += (size_t)n;
    }
    if (!used)
        snprintf(out, size, ".");
    return EXIT_OK;
}

void path_stem(const char *path, char *out, size_t size)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    if (n >= size)
        n = size - 1;
    memcpy(out, base, n);
    out[n] = '\0';
}

int path_join(char *out, size_t size, const char *dir, const char *name)
{
    size_t dl = strlen(dir);
    const char *sep = dl && dir[dl - 1] == '/' ? "" : "/";
    if (snprintf(out, size, "%s%s%s", dir, sep, name) >= (int)size)
        return fail(EXIT_OUTPUT, "output path too long: '%s%s%s'", dir, sep, name);
    return EXIT_OK;
}

void buffer_append(struct buffer *b, const void *data, size_t len)
{
    if (b->failed || len == 0) /* memcpy from NULL is undefined even for 0 bytes */
        return;
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + len)
            cap *= 2;
        unsigned char *p = realloc(b->data, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
}

void buffer_free(struct buffer *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

/* Splits an absolute path in place into its components. */
static int components(char *p, char **parts, int max)
{
    int n = 0;
    for (char *tok = strtok(p, "/"); tok && n < max; tok = strtok(NULL, "/"))
        parts[n++] = tok;
    return n;
}

int relative_path(const char *dir, const char *path, char *out, size_t size)
{
    enum { MAX_PARTS = 256 };
    char a[PATH_MAX], b[PATH_MAX], *pa[MAX_PARTS], *pb[MAX_PARTS];
    if (!realpath(dir, a) || !realpath(path, b))
        return -1;
    int na = components(a, pa, MAX_PARTS), nb = components(b, pb, MAX_PARTS), common = 0;
    while (common < na && common < nb && strcmp(pa[common], pb[common]) == 0)
        common++;
    size_t used = 0;
    out[0] = '\0';
    for (int i = common; i < na; i++) {
        if (used + 4 > size)
            return -1;
        memcpy(out + used, "../", 4);
        used += 3;
    }
    for (int i = common; i < nb; i++) {
        int n = snprintf(out + used, size - used, "%s%s", pb[i], i + 1 < nb ? "/" : "");
        if (n < 0 || (size_t)n >= size - used)
            return -1;
        used += (size_t)n;
    }
    return 0;
}

int output_path(const char *out_dir, const char *name, const char *suffix, char *out,
                size_t size)
{
    char buf[PATH_MAX];
    const char *slash = strrchr(name, '/');
    int rc = EXIT_OK;
    if (slash) { /* an image from a subfolder: mirror it */
        if (snprintf(buf, sizeof buf, "%.*s", (int)(slash - name), name) >= (int)sizeof buf)
            return fail(EXIT_OUTPUT, "output path too long for '%s'", name);
        rc = make_dirs_below(out_dir, buf);
    }
    if (rc == EXIT_OK && snprintf(buf, sizeof buf, "%s%s", name, suffix) >= (int)sizeof buf)
        rc = fail(EXIT_OUTPUT, "output name too long for '%s'", name);
    return rc ? rc : path_join(out, size, out_dir, buf);
}
