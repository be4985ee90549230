/* threads.h - how many threads the network runs on, and what chose it:
 * --threads, else $ATTRIB_THREADS, else $OMP_NUM_THREADS (the variable
 * every OpenMP program and PyTorch honour), else the default. Chosen once
 * per process, when the model is opened; the JSON reports both. */
#ifndef ATTRIB_THREADS_H
#define ATTRIB_THREADS_H

enum thread_source { THREADS_DEFAULT = 0, THREADS_OPTION, THREADS_ATTRIB_ENV, THREADS_OMP_ENV };

struct thread_choice {
    int count;
    enum thread_source source;
};

/* The cores this process may run on, at least 1: its CPU affinity
 * (taskset, cpusets, Slurm's --cpus-per-task), or fewer where a cgroup CPU
 * quota allows less (Docker's --cpus, Kubernetes' limits: the affinity
 * there still shows every core of the host). */
int threads_available_cores(void);

/* The CPU quota, in whole cores rounded up, of the cgroups that the file
 * proc_cgroup (/proc/self/cgroup) names, under cgroup_root (/sys/fs/cgroup),
 * and of every cgroup above them; v2 (cpu.max) and v1 (cpu.cfs_quota_us).
 * 0: no quota. */
int threads_cgroup_cores(const char *proc_cgroup, const char *cgroup_root);

/* Chooses from option (--threads; 0: not given) and the environment.
 * $ATTRIB_THREADS that is not a count in [1, MAX_THREADS] is a usage error
 * (EXIT_USAGE, one line); a bad $OMP_NUM_THREADS is set for other programs
 * too, so it is passed over with a warning, as OpenMP does. */
int threads_choose(long option, struct thread_choice *out);

/* "--threads", "ATTRIB_THREADS", "OMP_NUM_THREADS" or "default". */
const char *thread_source_name(enum thread_source s);

/* The choice the last threads_choose made ({0, default} before any). */
struct thread_choice threads_chosen(void);

#endif
