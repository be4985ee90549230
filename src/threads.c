/* threads.c - how many threads the network runs on, and what chose it. */
#define _GNU_SOURCE
#include "threads.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "error.h"

static struct thread_choice chosen;

/* How long an idle OpenMP thread spins before it sleeps, in libgomp's
 * turns (about 100 a microsecond). libgomp's default, 300,000 (3 ms), keeps
 * every core busy between libtorch's parallel regions: free on an idle
 * machine, ruinous beside other work (bench/threads.sh, 2 cores: classviz
 * 50 steps 1.7 s idle, 29.8 s beside two busy processes). 10,000 kept the
 * idle times and cut the loaded ones as far as sleeping at once did, which
 * costs 20-60 % idle (docs/BENCHMARKS.md "Threads on a shared machine"). */
#define OPENMP_SPIN_TURNS "10000"

/* libgomp reads its variables when it is loaded, with libtorch, which the
 * shim is (on first use, after this; the sanitizer build loads it at exec
 * and keeps libgomp's default). A user's OMP_WAIT_POLICY or GOMP_SPINCOUNT
 * is theirs. */
static void limit_openmp_spinning(void)
{
    if (!getenv("OMP_WAIT_POLICY") && !getenv("GOMP_SPINCOUNT"))
        setenv("GOMP_SPINCOUNT", OPENMP_SPIN_TURNS, 0);
}

/* Whole cores (rounded up) of the quota QUOTA/PERIOD; 0: none or unreadable. */
static int cores_of_quota(double quota, double period)
{
    if (!(quota > 0) || !(period > 0))
        return 0;
    double cores = quota / period;
    int whole = (int)cores;
    return cores > whole ? whole + 1 : (whole > 0 ? whole : 1);
}

/* The first one or two numbers of a small file; 0 numbers if unreadable
 * or "max" (cgroup v2's word for no quota). */
static int read_numbers(const char *path, double *a, double *b)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int n = fscanf(f, "%lf %lf", a, b);
    fclose(f);
    return n < 0 ? 0 : n;
}

/* The quota of the cgroup folder dir: cgroup v2's cpu.max ("QUOTA PERIOD"),
 * else v1's cpu.cfs_quota_us and cpu.cfs_period_us (-1: none). */
static int quota_in(const char *dir)
{
    char path[PATH_MAX + 32];
    double quota, period, unused;
    snprintf(path, sizeof path, "%s/cpu.max", dir);
    if (read_numbers(path, &quota, &period) == 2)
        return cores_of_quota(quota, period);
    snprintf(path, sizeof path, "%s/cpu.cfs_quota_us", dir);
    if (read_numbers(path, &quota, &unused) < 1)
        return 0;
    snprintf(path, sizeof path, "%s/cpu.cfs_period_us", dir);
    if (read_numbers(path, &period, &unused) < 1)
        return 0;
    return cores_of_quota(quota, period);
}

/* Whether a cgroup v1 line's controller list ("cpu,cpuacct") has "cpu". */
static int names_cpu(const char *list)
{
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        if (n == 3 && strncmp(p, "cpu", 3) == 0)
            return 1;
        p += n + (p[n] == ',');
    }
    return 0;
}

int threads_cgroup_cores(const char *proc_cgroup, const char *cgroup_root)
{
    FILE *f = fopen(proc_cgroup, "r");
    if (!f)
        return 0;
    char line[PATH_MAX + 64];
    int limit = 0;
    while (fgets(line, sizeof line, f)) {
        /* "0::/path" (v2, whose files are under the root), or
         * "N:cpu,cpuacct:/path" (v1, under root/cpu) */
        char *controllers = strchr(line, ':'), *path;
        if (!controllers || !(path = strchr(controllers + 1, ':')))
            continue;
        *path++ = '\0';
        path[strcspn(path, "\n")] = '\0';
        controllers++;
        const char *hierarchy;
        if (!*controllers)
            hierarchy = "";
        else if (names_cpu(controllers))
            hierarchy = "/cpu";
        else
            continue;
        /* The cgroup and each one above it (a container sees its own as
         * the root: where the path is not there, the root is). */
        char dir[PATH_MAX];
        int len = snprintf(dir, sizeof dir, "%s%s%s", cgroup_root, hierarchy, path);
        if (len < 0 || (size_t)len >= sizeof dir)
            continue;
        size_t root_len = strlen(cgroup_root) + strlen(hierarchy);
        for (;;) {
            int cores = quota_in(dir);
            if (cores > 0 && (limit == 0 || cores < limit))
                limit = cores;
            char *slash = strrchr(dir + root_len, '/'); /* one cgroup up */
            if (!slash)
                break;
            *slash = '\0';
        }
    }
    fclose(f);
    return limit;
}

int threads_available_cores(void)
{
    int cores;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        cores = CPU_COUNT(&set);
    else {
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        cores = online > 0 ? (int)online : 1;
    }
    int quota = threads_cgroup_cores("/proc/self/cgroup", "/sys/fs/cgroup");
    return quota > 0 && quota < cores ? quota : cores;
}

/* A count in [1, MAX_THREADS]: the whole of s, or (for OpenMP's list of
 * nesting levels, "4,2") its first element. */
static int parse_count(const char *s, int list_allowed, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || errno || v < 1 || v > MAX_THREADS)
        return 0;
    if (*end && !(list_allowed && *end == ','))
        return 0;
    *out = v;
    return 1;
}

static int preferred, workers_chosen;

void threads_record_workers(int workers)
{
    workers_chosen = workers;
}

int threads_workers(void)
{
    return workers_chosen;
}

void threads_prefer_default(int count)
{
    preferred = count > 0 ? count : 0;
}

/* The default when nothing says otherwise: every core this process may use,
 * or the network's share of them in a pipelined run. */
static int default_count(void)
{
    return preferred ? preferred : threads_available_cores();
}

struct core_split threads_split(int cores, struct thread_choice network, long workers,
                                int worth)
{
    const int given = network.source != THREADS_DEFAULT;
    struct core_split s = { network.count, 0 };
    if (workers >= 0) {
        s.workers = workers > MAX_WORKERS ? MAX_WORKERS : (int)workers;
        if (!given)
            s.network = cores - s.workers >= 1 ? cores - s.workers : 1;
        return s;
    }
    if (!worth || cores < MIN_CORES_FOR_WORKERS)
        return s;
    if (given) /* a count given is the process's share: no workers beside it */
        return s;
    s.workers = cores / 2 < MAX_WORKERS ? cores / 2 : MAX_WORKERS;
    s.network = cores - s.workers;
    return s;
}

int threads_choose(long option, struct thread_choice *out)
{
    const char *attrib_env = getenv("ATTRIB_THREADS");
    const char *omp_env = getenv("OMP_NUM_THREADS");
    long n;
    if (option > 0) {
        *out = (struct thread_choice){ (int)option, THREADS_OPTION };
    } else if (attrib_env && *attrib_env) {
        if (!parse_count(attrib_env, 0, &n))
            return fail(EXIT_USAGE, "ATTRIB_THREADS='%s' is not a thread count (1 to %d)",
                        attrib_env, MAX_THREADS);
        *out = (struct thread_choice){ (int)n, THREADS_ATTRIB_ENV };
    } else if (omp_env && *omp_env && parse_count(omp_env, 1, &n)) {
        *out = (struct thread_choice){ (int)n, THREADS_OMP_ENV };
    } else {
        if (omp_env && *omp_env) {
            report_warning(NULL, "OMP_NUM_THREADS='%s' is not a thread count; ignored", omp_env);
            /* or libgomp, loaded with libtorch later, says so again */
            unsetenv("OMP_NUM_THREADS");
        }
        *out = (struct thread_choice){ default_count(), THREADS_DEFAULT };
    }
    chosen = *out;
    limit_openmp_spinning();
    return EXIT_OK;
}

const char *thread_source_name(enum thread_source s)
{
    switch (s) {
    case THREADS_OPTION: return "--threads";
    case THREADS_ATTRIB_ENV: return "ATTRIB_THREADS";
    case THREADS_OMP_ENV: return "OMP_NUM_THREADS";
    case THREADS_DEFAULT: break;
    }
    return "default";
}

struct thread_choice threads_chosen(void)
{
    return chosen;
}
