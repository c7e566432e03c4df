// SPDX-License-Identifier: GPL-2.0
/*
 * A load for guests whose userspace is only busybox (the armhf guest),
 * where stress-ng is not available: it keeps every CPU busy and drives the
 * scheduler paths a BPF scheduler must handle, until SIGTERM or SIGINT.
 *
 * usage: loadgen [SECONDS]   (0 or none: until signalled)
 *
 * Per online CPU it starts one worker of each kind (two for pipe):
 *   spin    a CPU-bound loop: slices run out, tasks are preempted;
 *   pipe    two tasks passing a byte back and forth: wakeups and
 *           context switches, often across CPUs;
 *   yield   sched_yield() in a loop: the yield path;
 *   fork    fork() of a child that exits at once, and wait(): tasks
 *           entering and leaving the scheduler all the time;
 *   sleep   1 ms sleeps: timer wakeups of a mostly idle task.
 *
 * When it stops it prints one line per worker, "worker KIND N count=C",
 * and a last line "loadgen: W workers, S starved", and exits 0 only when
 * every worker made progress.  A worker that made none was starved by the
 * scheduler under test.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum kind { SPIN, PIPE, YIELD, FORK, SLEEP, NR_KINDS };

static const char *const kind_names[NR_KINDS] = {
	"spin", "pipe", "yield", "fork", "sleep",
};

/*
 * Shared with the workers: the stop flag the parent sets and the count
 * each worker advances.  A count is written by its worker only; the
 * parent reads them after every worker has exited.
 */
struct shared {
	volatile sig_atomic_t stop;
	volatile unsigned long counts[];
};

static struct shared *sh;
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void spin_worker(int slot)
{
	volatile unsigned long x = 0;

	while (!sh->stop) {
		for (int i = 0; i < 100000; i++)
			x += i;
		sh->counts[slot]++;
	}
}

static void yield_worker(int slot)
{
	while (!sh->stop) {
		sched_yield();
		sh->counts[slot]++;
	}
}

static void fork_worker(int slot)
{
	while (!sh->stop) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		if (pid < 0) {
			/* Out of tasks for a moment: try again later. */
			usleep(1000);
			continue;
		}
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		sh->counts[slot]++;
	}
}

static void sleep_worker(int slot)
{
	const struct timespec ms = { .tv_sec = 0, .tv_nsec = 1000000 };

	while (!sh->stop) {
		nanosleep(&ms, NULL);
		sh->counts[slot]++;
	}
}

/*
 * One end of a ping-pong pair.  When either end stops it exits, which
 * closes its ends of both pipes, and the other end's read or write then
 * fails: so a pair always stops together, even if one end never saw the
 * flag.
 */
static void pipe_end(int slot, int rfd, int wfd, int first)
{
	char c = 0;

	if (first && write(wfd, &c, 1) != 1)
		return;
	while (!sh->stop) {
		if (read(rfd, &c, 1) != 1)
			return;
		if (write(wfd, &c, 1) != 1)
			return;
		sh->counts[slot]++;
	}
}

/* Starts a worker running FN(SLOT); its pid, or -1. */
static pid_t start(void (*fn)(int), int slot)
{
	pid_t pid = fork();

	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		fn(slot);
		_exit(0);
	}
	return pid;
}

int main(int argc, char **argv)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	long seconds = argc > 1 ? atol(argv[1]) : 0;
	int nworkers, starved = 0, slot = 0;
	enum kind *kinds;
	pid_t *pids;
	size_t size;

	if (cpus < 1)
		cpus = 1;
	/* A pipe pair is two workers. */
	nworkers = cpus * (NR_KINDS + 1);
	size = sizeof(*sh) + nworkers * sizeof(sh->counts[0]);
	sh = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	kinds = calloc(nworkers, sizeof(*kinds));
	pids = calloc(nworkers, sizeof(*pids));
	if (sh == MAP_FAILED || !kinds || !pids) {
		perror("loadgen: out of memory");
		return 2;
	}

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	for (long c = 0; c < cpus; c++) {
		static void (*const fns[NR_KINDS])(int) = {
			[SPIN] = spin_worker, [YIELD] = yield_worker,
			[FORK] = fork_worker, [SLEEP] = sleep_worker,
		};

		for (int k = 0; k < NR_KINDS; k++) {
			if (k == PIPE) {
				int ab[2], ba[2];

				if (pipe(ab) || pipe(ba)) {
					perror("loadgen: pipe");
					return 2;
				}
				for (int end = 0; end < 2; end++) {
					pid_t pid = fork();

					if (pid == 0) {
						signal(SIGTERM, SIG_DFL);
						signal(SIGINT, SIG_DFL);
						close(end ? ab[1] : ba[1]);
						close(end ? ba[0] : ab[0]);
						pipe_end(slot + end, end ? ab[0] : ba[0],
							 end ? ba[1] : ab[1], !end);
						_exit(0);
					}
					kinds[slot + end] = PIPE;
					pids[slot + end] = pid;
				}
				close(ab[0]);
				close(ab[1]);
				close(ba[0]);
				close(ba[1]);
				slot += 2;
				continue;
			}
			kinds[slot] = k;
			pids[slot] = start(fns[k], slot);
			slot++;
		}
	}

	for (int i = 0; i < nworkers; i++) {
		if (pids[i] < 0) {
			fprintf(stderr, "loadgen: could not start a %s worker: %s\n",
				kind_names[kinds[i]], strerror(errno));
			sh->stop = 1;
		}
	}

	for (long s = 0; !stop_requested && !sh->stop && (!seconds || s < seconds); s++)
		sleep(1);
	sh->stop = 1;

	for (int i = 0; i < nworkers; i++) {
		if (pids[i] > 0)
			while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
				;
	}

	for (int i = 0; i < nworkers; i++) {
		printf("worker %s %d count=%lu\n", kind_names[kinds[i]], i, sh->counts[i]);
		if (!sh->counts[i])
			starved++;
	}
	printf("loadgen: %d workers, %d starved\n", nworkers, starved);
	return starved ? 1 : 0;
}
