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

/* The most pipeline workers a run takes (decoding ahead of the passes,
 * encoding pictures behind them). */
#define MAX_WORKERS 8

/* Below this many cores auto runs no workers: on 2, the network on one
 * core and the pipeline on the other were 0.94-1.27x the time of both
 * cores to the network in turn with the pipeline (docs/BENCHMARKS.md "The
 * pipeline"): the pass scales to both cores, so a core taken from it costs
 * as much as the pipeline's work it hides. */
#define MIN_CORES_FOR_WORKERS 4

/* How a folder run shares its cores: the network's threads and the
 * pipeline's workers, which run beside the passes. */
struct core_split {
    int network;
    int workers; /* 0: no pipeline; decoding and pictures in turn with the passes */
};

/* The split of cores for a run whose network threads were chosen as
 * network (threads_choose), with --workers (-1: auto); worth: whether
 * overlap can pay (a method of one pass per image, more than one
 * mini-batch). Auto never oversubscribes: beside OpenMP's threads a busy
 * thread stalls every parallel region at its barrier (2 cores: a pass of 2
 * threads beside one busy thread took 3.3x as long). So from
 * MIN_CORES_FOR_WORKERS cores, where no thread count was given, auto halves
 * them, the network taking the larger half; a count given (--threads, the
 * variables) is the process's share (docs/SCALING.md: N processes, cores /
 * N each), and auto then runs no workers. An explicit --workers is taken
 * as given; the network then gets the cores left, at least 1, unless its
 * count was given too. */
struct core_split threads_split(int cores, struct thread_choice network, long workers,
                                int worth);

/* The count threads_choose takes when nothing says otherwise (a split's
 * network share); 0: every available core. */
void threads_prefer_default(int count);

/* The workers the run took (the summaries' "workers"); 0 before any. */
void threads_record_workers(int workers);
int threads_workers(void);

/* "--threads", "ATTRIB_THREADS", "OMP_NUM_THREADS" or "default". */
const char *thread_source_name(enum thread_source s);

/* The choice the last threads_choose made ({0, default} before any). */
struct thread_choice threads_chosen(void);

#endif
