/* test_threads.c - which thread count a run takes: the option first, then
 * $ATTRIB_THREADS, then $OMP_NUM_THREADS, then the default. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>

#include "check.h"
#include "error.h"
#include "tests.h"
#include "threads.h"

static void set(const char *name, const char *value)
{
    if (value)
        setenv(name, value, 1);
    else
        unsetenv(name);
}

/* The count and source chosen with these settings (count -1: refused). */
static struct thread_choice choose(long option, const char *attrib, const char *omp)
{
    set("ATTRIB_THREADS", attrib);
    set("OMP_NUM_THREADS", omp);
    struct thread_choice c;
    if (threads_choose(option, &c) != EXIT_OK)
        c = (struct thread_choice){ -1, THREADS_DEFAULT };
    clear_error();
    return c;
}

void thread_count_comes_from_the_option_then_attrib_threads_then_omp(void)
{
    char *saved_attrib = getenv("ATTRIB_THREADS") ? strdup(getenv("ATTRIB_THREADS")) : NULL;
    char *saved_omp = getenv("OMP_NUM_THREADS") ? strdup(getenv("OMP_NUM_THREADS")) : NULL;
    struct thread_choice c = choose(3, "5", "7");
    CHECK(c.count == 3 && c.source == THREADS_OPTION);
    c = choose(0, "5", "7");
    CHECK(c.count == 5 && c.source == THREADS_ATTRIB_ENV);
    c = choose(0, NULL, "7");
    CHECK(c.count == 7 && c.source == THREADS_OMP_ENV);
    c = choose(0, "", "4,2"); /* OpenMP's nesting list: the outer level */
    CHECK(c.count == 4 && c.source == THREADS_OMP_ENV);
    c = choose(0, NULL, NULL);
    CHECK(c.count >= 1 && c.source == THREADS_DEFAULT);
    CHECK(threads_chosen().count == c.count);
    CHECK(strcmp(thread_source_name(THREADS_ATTRIB_ENV), "ATTRIB_THREADS") == 0);
    set("ATTRIB_THREADS", saved_attrib);
    set("OMP_NUM_THREADS", saved_omp);
    free(saved_attrib);
    free(saved_omp);
}

void bad_thread_variables_are_refused_or_passed_over(void)
{
    char *saved_attrib = getenv("ATTRIB_THREADS") ? strdup(getenv("ATTRIB_THREADS")) : NULL;
    char *saved_omp = getenv("OMP_NUM_THREADS") ? strdup(getenv("OMP_NUM_THREADS")) : NULL;
    const char *refused[] = { "0", "-1", "two", "2x", "1,1", "99999" };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        set("ATTRIB_THREADS", refused[i]);
        struct thread_choice c;
        CHECK(threads_choose(0, &c) == EXIT_USAGE);
        CHECK(strstr(error_message(), "ATTRIB_THREADS") != NULL);
        clear_error();
    }
    /* OMP_NUM_THREADS is every OpenMP program's: a bad one is passed over
     * (with a warning) for the default, and no longer seen by libgomp. */
    struct thread_choice c = choose(0, NULL, "many");
    CHECK(c.count >= 1 && c.source == THREADS_DEFAULT);
    CHECK(getenv("OMP_NUM_THREADS") == NULL);
    set("ATTRIB_THREADS", saved_attrib);
    set("OMP_NUM_THREADS", saved_omp);
    free(saved_attrib);
    free(saved_omp);
}

/* Writes text to root/rel, making the folders on the way. */
static void put(const char *root, const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        mkdir(path, 0700);
        *p = '/';
    }
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

void a_container_cpu_quota_caps_the_default_thread_count(void)
{
    char root[] = "/tmp/attrib-cgroup-XXXXXX";
    CHECK(mkdtemp(root) != NULL);
    char proc[600], sys[600];
    snprintf(proc, sizeof proc, "%s/proc-cgroup", root);
    snprintf(sys, sizeof sys, "%s/sys", root);
    /* cgroup v2: 2.5 cores at the job's cgroup, 8 above it: 3 (rounded up) */
    put(root, "proc-cgroup", "0::/kubepods/pod1\n");
    put(root, "sys/kubepods/pod1/cpu.max", "250000 100000\n");
    put(root, "sys/kubepods/cpu.max", "800000 100000\n");
    CHECK(threads_cgroup_cores(proc, sys) == 3);
    /* no quota ("max") anywhere */
    put(root, "sys/kubepods/pod1/cpu.max", "max 100000\n");
    put(root, "sys/kubepods/cpu.max", "max 100000\n");
    CHECK(threads_cgroup_cores(proc, sys) == 0);
    /* cgroup v1, the cpu controller's hierarchy; a container sees its own
     * cgroup as the root, so the path named is not there */
    put(root, "proc-cgroup", "4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n");
    put(root, "sys/cpu/cpu.cfs_quota_us", "150000\n");
    put(root, "sys/cpu/cpu.cfs_period_us", "100000\n");
    CHECK(threads_cgroup_cores(proc, sys) == 2);
    put(root, "sys/cpu/cpu.cfs_quota_us", "-1\n"); /* v1's "no quota" */
    CHECK(threads_cgroup_cores(proc, sys) == 0);
    /* no such file: no quota */
    CHECK(threads_cgroup_cores("/nonexistent/cgroup", sys) == 0);
    CHECK(threads_available_cores() >= 1);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    CHECK(system(cmd) == 0);
}

static const struct thread_choice DEFAULT_4 = { 4, THREADS_DEFAULT };

static int split_is(struct core_split s, int network, int workers)
{
    return s.network == network && s.workers == workers;
}

void a_folder_run_on_four_cores_or_more_halves_them_between_network_and_workers(void)
{
    CHECK(split_is(threads_split(4, DEFAULT_4, -1, 1), 2, 2));
    CHECK(split_is(threads_split(5, (struct thread_choice){ 5, THREADS_DEFAULT }, -1, 1), 3, 2));
    CHECK(split_is(threads_split(16, (struct thread_choice){ 16, THREADS_DEFAULT }, -1, 1), 8, 8));
    /* never more workers than the pipeline takes */
    CHECK(split_is(threads_split(64, (struct thread_choice){ 64, THREADS_DEFAULT }, -1, 1),
                   56, MAX_WORKERS));
}

void a_thread_count_given_or_a_run_without_overlap_gets_no_workers(void)
{
    CHECK(split_is(threads_split(4, DEFAULT_4, -1, 0), 4, 0)); /* one batch, many passes */
    /* below MIN_CORES_FOR_WORKERS the pass takes every core, in turn with the rest */
    CHECK(split_is(threads_split(1, (struct thread_choice){ 1, THREADS_DEFAULT }, -1, 1), 1, 0));
    CHECK(split_is(threads_split(2, (struct thread_choice){ 2, THREADS_DEFAULT }, -1, 1), 2, 0));
    CHECK(split_is(threads_split(3, (struct thread_choice){ 3, THREADS_DEFAULT }, -1, 1), 3, 0));
    CHECK(split_is(threads_split(16, (struct thread_choice){ 4, THREADS_OPTION }, -1, 1), 4, 0));
    CHECK(split_is(threads_split(16, (struct thread_choice){ 4, THREADS_ATTRIB_ENV }, -1, 1),
                   4, 0));
}

void workers_given_are_taken_and_the_network_gets_the_cores_left(void)
{
    CHECK(split_is(threads_split(4, DEFAULT_4, 1, 0), 3, 1));
    CHECK(split_is(threads_split(4, DEFAULT_4, 6, 1), 1, 6)); /* at least one for the network */
    CHECK(split_is(threads_split(4, DEFAULT_4, 0, 1), 4, 0));
    CHECK(split_is(threads_split(4, (struct thread_choice){ 3, THREADS_OPTION }, 2, 1), 3, 2));
}
