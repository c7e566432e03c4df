/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the selftests for the kfuncs of the 6.12 BPF ABI
 * (dsq_iter, dsq_move, ddsp_remote, cpuperf, kick_wait, cpu_release):
 * children that keep the CPUs busy or wake up often, the online CPUs, and
 * the cleanup of the children.
 */
#ifndef __LOAD_UTIL_H
#define __LOAD_UTIL_H

#include <bpf/libbpf.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* For printing a u64, which is not unsigned long everywhere. */
#define ULL(x)		((unsigned long long)(x))

#ifndef SCHED_EXT
#define SCHED_EXT	7
#endif

enum load_kind {
	LOAD_BUSY,	/* spins */
	LOAD_SLEEPY,	/* sleeps a millisecond at a time */
};

/*
 * A page of counters shared with the children: a child bumps its slot on
 * every round of its loop, so that the parent can tell that it runs.
 */
#define LOAD_MAX_CHILDREN	64

static inline unsigned long *load_counters_map(void)
{
	void *p = mmap(NULL, LOAD_MAX_CHILDREN * sizeof(unsigned long),
		       PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static inline void load_counters_unmap(unsigned long *counters)
{
	if (counters)
		munmap(counters, LOAD_MAX_CHILDREN * sizeof(unsigned long));
}

/*
 * Forks a child of @kind, pinned to @cpu unless it is negative, switched to
 * SCHED_EXT if @ext (for schedulers with SCX_OPS_SWITCH_PARTIAL), that bumps
 * @counters[@slot] if @counters is not NULL. The child closes @link's fd if
 * @link is not NULL: a struct_ops link is detached only once its last fd is
 * closed, and the parent's bpf_link__destroy() must detach it. The child
 * dies with the parent. Returns the child's pid, or -1.
 */
static inline pid_t spawn_load(enum load_kind kind, int cpu, bool ext,
			       struct bpf_link *link, unsigned long *counters,
			       int slot)
{
	struct sched_param param = {};
	cpu_set_t mask;
	pid_t pid;

	pid = fork();
	if (pid)
		return pid;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (link)
		close(bpf_link__fd(link));
	if (cpu >= 0) {
		CPU_ZERO(&mask);
		CPU_SET(cpu, &mask);
		if (sched_setaffinity(0, sizeof(mask), &mask))
			_exit(1);
	}
	if (ext && sched_setscheduler(0, SCHED_EXT, &param))
		_exit(1);

	while (true) {
		if (counters && slot >= 0 && slot < LOAD_MAX_CHILDREN)
			__atomic_add_fetch(&counters[slot], 1, __ATOMIC_RELAXED);
		if (kind == LOAD_SLEEPY)
			usleep(1000);
	}
}

/* Kills and reaps the children in @pids that were started. */
static inline void reap_load(pid_t *pids, int nr)
{
	int i;

	for (i = 0; i < nr; i++) {
		if (pids[i] <= 0)
			continue;
		kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
		pids[i] = -1;
	}
}

/*
 * Fills @cpus with the CPUs below @max that this process may run on;
 * returns how many.
 */
static inline int online_cpus(int *cpus, int max)
{
	cpu_set_t mask;
	int cpu, nr = 0;

	if (sched_getaffinity(0, sizeof(mask), &mask))
		return 0;
	for (cpu = 0; cpu < max && cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &mask))
			cpus[nr++] = cpu;
	return nr;
}

#endif /* __LOAD_UTIL_H */
