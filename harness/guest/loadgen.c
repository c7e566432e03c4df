// SPDX-License-Identifier: GPL-2.0
/*
 * A load for guests whose userspace is only busybox (the armhf guest),
 * where stress-ng is not available: it keeps every CPU busy and drives the
 * scheduler paths a BPF scheduler must handle, until SIGTERM or SIGINT.
 *
 * usage: loadgen
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
 * On SIGUSR1 it prints "snapshot K: C0 C1 ...", every worker's count so
 * far, so that whoever runs it can tell what the workers did between two
 * moments (the harness: while a scheduler was attached).  When it stops it
 * prints one line per worker, "worker KIND N count=C", and a last line
 * "loadgen: W workers, S starved, D died", and exits 0 only when every
 * worker made progress and exited normally.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
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
 * parent reads them for a snapshot while the workers run, and for the
 * final report after they have exited.
 */
struct shared {
	volatile sig_atomic_t stop;
	volatile unsigned long counts[];
};

static struct shared *sh;
static volatile sig_atomic_t stop_requested, snapshot_requested;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		snapshot_requested = 1;
	else
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
 * closes its ends of both pipes, and the other end's read then sees the
 * end of the file, or its write fails with EPIPE (SIGPIPE is ignored in
 * the workers): so a pair always stops together, even if one end never
 * saw the flag.
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

/*
 * What every worker does first: the default signal actions but SIGPIPE's,
 * and death with the parent, so that a loadgen killed by SIGKILL leaves no
 * worker behind.
 */
static void worker_init(pid_t parent)
{
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* The parent may have died before the line above. */
	if (getppid() != parent)
		_exit(1);
}

static void print_snapshot(int k, int nworkers)
{
	printf("snapshot %d:", k);
	for (int i = 0; i < nworkers; i++)
		printf(" %lu", sh->counts[i]);
	printf("\n");
	fflush(stdout);
}

int main(void)
{
	static void (*const fns[NR_KINDS])(int) = {
		[SPIN] = spin_worker, [YIELD] = yield_worker,
		[FORK] = fork_worker, [SLEEP] = sleep_worker,
	};
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int nworkers, started = 0, starved = 0, died = 0, snapshots = 0;
	const pid_t parent = getpid();
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
	signal(SIGUSR1, on_signal);

	/* Per CPU, one worker of each kind; two for a pipe pair. */
	while (started < nworkers) {
		enum kind k = started % (NR_KINDS + 1);
		int ab[2], ba[2];
		pid_t pid;

		/* Slots PIPE and PIPE + 1 are the two ends of a pair. */
		if (k > PIPE)
			k--;
		if (k == PIPE && (pipe(ab) || pipe(ba))) {
			perror("loadgen: pipe");
			break;
		}
		for (int end = 0; end < (k == PIPE ? 2 : 1); end++) {
			const int slot = started;

			pid = fork();
			if (pid < 0) {
				perror("loadgen: fork");
				break;
			}
			if (pid == 0) {
				worker_init(parent);
				if (k != PIPE) {
					fns[k](slot);
					_exit(0);
				}
				close(end ? ab[1] : ba[1]);
				close(end ? ba[0] : ab[0]);
				pipe_end(slot, end ? ab[0] : ba[0], end ? ba[1] : ab[1], !end);
				_exit(0);
			}
			kinds[slot] = k;
			pids[slot] = pid;
			started++;
		}
		if (k == PIPE) {
			close(ab[0]);
			close(ab[1]);
			close(ba[0]);
			close(ba[1]);
		}
		if (pid < 0)
			break;
	}
	if (started < nworkers)
		sh->stop = 1;

	while (!stop_requested && !sh->stop) {
		/* Any signal cuts the sleep short. */
		sleep(1);
		if (snapshot_requested) {
			snapshot_requested = 0;
			print_snapshot(++snapshots, started);
		}
	}
	sh->stop = 1;

	for (int i = 0; i < started; i++) {
		int status = 0;
		pid_t r;

		while ((r = waitpid(pids[i], &status, 0)) < 0 && errno == EINTR)
			;
		if (r == pids[i] && (!WIFEXITED(status) || WEXITSTATUS(status))) {
			printf("worker %s %d died: %s %d\n", kind_names[kinds[i]], i,
			       WIFSIGNALED(status) ? "signal" : "exit status",
			       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
			died++;
		}
	}

	for (int i = 0; i < started; i++) {
		printf("worker %s %d count=%lu\n", kind_names[kinds[i]], i, sh->counts[i]);
		if (!sh->counts[i])
			starved++;
	}
	printf("loadgen: %d workers, %d starved, %d died\n", started, starved, died);
	if (started < nworkers)
		printf("loadgen: started %d of %d workers\n", started, nworkers);
	return starved || died || started < nworkers ? 1 : 0;
}
