// SPDX-License-Identifier: GPL-2.0
/*
 * Verify core scheduling under a BPF scheduler: two SCX tasks with
 * different core-scheduling cookies never run on the two threads of a core
 * at once, and two with the same cookie do.
 *
 * Needs SMT, e.g. a guest started with "-smp 4,sockets=1,cores=2,threads=2",
 * and CONFIG_SCHED_CORE; skips without either. Two children are pinned to
 * the two threads of one core and spin until the same deadline, SPIN_MS
 * away, so that without core scheduling they would run side by side all
 * the time. The scheduler (see core_sched.bpf.c) measures how long each
 * ran and how long both ran at once, from ops.running() to ops.stopping(),
 * and tells the overlap that core scheduling explains, until the sibling
 * takes the IPI that makes it switch, from the rest. Two runs:
 *
 *  - separate: each child has a cookie of its own (PR_SCHED_CORE_CREATE).
 *    The core must alternate them: no overlap may be unexplained, the
 *    whole overlap must be below MAX_SEPARATE_PCT of their mean runtime,
 *    and each must have run for at least MIN_SHARE_PCT of SPIN_MS.
 *  - shared: the second child takes the first one's cookie
 *    (PR_SCHED_CORE_SHARE_FROM). They may run together, and must: the
 *    unexplained overlap must be above MIN_SHARED_PCT of their mean
 *    runtime. This also shows that the check of the separate run can fail.
 *
 * Why the separate run may overlap at all: one CPU of the core picks the
 * tasks of both, switches at once, and makes its sibling switch with a
 * resched IPI. When the picking CPU is the one that starts a task, e.g. a
 * forced-idle CPU that reschedules, its sibling goes on running its task,
 * of the other cookie, until it takes the IPI. That is microseconds on
 * hardware, but can be many milliseconds in a TCG guest whose vCPU threads
 * wait for the host's CPUs, while the guest's clock goes on. Measured in
 * TCG guests of 4 vCPUs on 2 busy host CPUs, with the C and the Rust
 * cores: 0 to 3 windows a run, all explained, of up to 50 ms each, 0 to
 * 25% of the mean runtime; the shared run, 99%. MAX_SEPARATE_PCT is high
 * so that a busy host can't fail the test; the unexplained overlap, which
 * doesn't depend on timing, is the exact check.
 */
#include <bpf/bpf.h>
#include <poll.h>
#include <scx/common.h>
#include <stdio.h>
#include <sys/prctl.h>
#include "core_sched.bpf.skel.h"
#include "core_sched_test.h"
#include "scx_test.h"
#include "safety_util.h"
#include "load_util.h"

#ifndef PR_SCHED_CORE
#define PR_SCHED_CORE			62
#define PR_SCHED_CORE_GET		0
#define PR_SCHED_CORE_CREATE		1
#define PR_SCHED_CORE_SHARE_FROM	3
#endif
#ifndef PR_SCHED_CORE_SCOPE_THREAD
#define PR_SCHED_CORE_SCOPE_THREAD	0
#endif

#define SPIN_MS			2000
#define READY_WAIT_MS		5000
#define DONE_WAIT_MS		(SPIN_MS + 10000)
#define MAX_SEPARATE_PCT	50
#define MIN_SHARED_PCT		70
#define MIN_SHARE_PCT		20

static const char * const run_names[NR_RUNS] = { "separate", "shared" };

struct core_sched_ctx {
	struct core_sched *skel;
	struct bpf_link *link;
	int cpus[2];		/* two SMT siblings */
	cpu_set_t saved;	/* the test's own affinity, to restore */
	bool pinned;
	pid_t children[2];
};

/* Finds two siblings of one core, the last one with two online; 0 or -1. */
static int find_siblings(int *cpus)
{
	char path[96], buf[64];
	cpu_set_t online;
	int cpu, a, b;
	char sep;

	if (sched_getaffinity(0, sizeof(online), &online))
		return -1;
	for (cpu = CPU_SETSIZE - 1; cpu >= 0; cpu--) {
		if (!CPU_ISSET(cpu, &online))
			continue;
		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list",
			 cpu);
		if (read_str(path, buf, sizeof(buf)))
			continue;
		/* "a-b" or "a,b", maybe with more after. */
		if (sscanf(buf, "%d%c%d", &a, &sep, &b) != 3 ||
		    (sep != '-' && sep != ','))
			continue;
		if (sep == '-')
			b = a + 1;
		if (a == b || a < 0 || b >= CPU_SETSIZE ||
		    !CPU_ISSET(a, &online) || !CPU_ISSET(b, &online))
			continue;
		cpus[0] = a;
		cpus[1] = b;
		return 0;
	}
	return -1;
}

static enum scx_test_status setup(void **ctx)
{
	struct core_sched_ctx *cctx;
	unsigned long long cookie = 0;
	char buf[16];
	int cpus[2];

	if (read_str("/sys/devices/system/cpu/smt/active", buf, sizeof(buf)) ||
	    strcmp(buf, "1")) {
		fprintf(stderr, "Skipping: SMT is not active\n");
		return SCX_TEST_SKIP;
	}
	if (find_siblings(cpus)) {
		fprintf(stderr, "Skipping: no core with two online threads\n");
		return SCX_TEST_SKIP;
	}
	if (prctl(PR_SCHED_CORE, PR_SCHED_CORE_GET, 0,
		  PR_SCHED_CORE_SCOPE_THREAD, &cookie)) {
		fprintf(stderr, "Skipping: PR_SCHED_CORE not supported: %s\n",
			errno == EINVAL ? "EINVAL, no CONFIG_SCHED_CORE" :
			errno == ENODEV ? "ENODEV, no SMT" : strerror(errno));
		return SCX_TEST_SKIP;
	}

	cctx = calloc(1, sizeof(*cctx));
	SCX_FAIL_IF(!cctx, "Failed to allocate the test context");
	cctx->cpus[0] = cpus[0];
	cctx->cpus[1] = cpus[1];
	cctx->children[0] = -1;
	cctx->children[1] = -1;

	cctx->skel = core_sched__open_and_load();
	if (!cctx->skel) {
		free(cctx);
		SCX_FAIL("Failed to open and load skel");
	}
	*ctx = cctx;
	return SCX_TEST_PASS;
}

/*
 * Pins itself to @cpu, takes the cookie of @share_from if it is not 0,
 * says it is ready, waits for the go, which is the deadline, and spins
 * until then.
 */
static void child(struct bpf_link *link, int cpu, pid_t share_from,
		  int ready_fd, int go_fd)
{
	cpu_set_t mask;
	u64 end;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* The parent's bpf_link__destroy() must detach the scheduler. */
	close(bpf_link__fd(link));
	CPU_ZERO(&mask);
	CPU_SET(cpu, &mask);
	if (sched_setaffinity(0, sizeof(mask), &mask))
		_exit(1);
	if (share_from && prctl(PR_SCHED_CORE, PR_SCHED_CORE_SHARE_FROM,
				share_from, PR_SCHED_CORE_SCOPE_THREAD, 0))
		_exit(2);
	if (write(ready_fd, "r", 1) != 1 ||
	    read(go_fd, &end, sizeof(end)) != sizeof(end))
		_exit(3);
	while (now_ms() < end)
		;
	_exit(0);
}

static pid_t fork_child(struct bpf_link *link, int cpu, pid_t share_from,
			int *ready, int *go)
{
	pid_t pid = fork();

	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		child(link, cpu, share_from, ready[1], go[0]);
	}
	return pid;
}

static int create_cookie(pid_t pid)
{
	return prctl(PR_SCHED_CORE, PR_SCHED_CORE_CREATE, pid,
		     PR_SCHED_CORE_SCOPE_THREAD, 0) ? -errno : 0;
}

static unsigned long long get_cookie(pid_t pid)
{
	unsigned long long cookie = 0;

	if (prctl(PR_SCHED_CORE, PR_SCHED_CORE_GET, pid,
		  PR_SCHED_CORE_SCOPE_THREAD, &cookie))
		return 0;
	return cookie;
}

/* Reads @n bytes from @fd within @timeout_ms; whether it could. */
static bool read_within(int fd, int n, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	u64 deadline = now_ms() + timeout_ms;
	char c;

	while (n) {
		if (poll(&pfd, 1, 100) == 1) {
			if (read(fd, &c, 1) != 1)
				return false;
			n--;
		} else if (now_ms() > deadline) {
			return false;
		}
	}
	return true;
}

/* Waits for the children to exit within @timeout_ms; whether both did 0. */
static bool wait_children(pid_t *pids, int timeout_ms)
{
	u64 deadline = now_ms() + timeout_ms;
	int i, status;
	bool ok = true;

	for (i = 0; i < 2; i++) {
		while (true) {
			pid_t ret = waitpid(pids[i], &status, WNOHANG);

			if (ret == pids[i])
				break;
			if (ret < 0 || now_ms() > deadline)
				return false;
			usleep(10000);
		}
		pids[i] = -1;
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "child %d: status 0x%x\n", i, status);
			ok = false;
		}
	}
	return ok;
}

static enum scx_test_status measure(struct core_sched_ctx *cctx, int run,
				    struct run_stats *st)
{
	struct core_sched__bss *bss = cctx->skel->bss;
	int ready[2], go[2], ret;
	unsigned long long cookies[2];
	u32 key = run;
	bool shared = run == RUN_SHARED;
	u64 deadline;

	SCX_FAIL_IF(pipe(ready) || pipe(go), "Failed to make pipes");

	cctx->children[0] = fork_child(cctx->link, cctx->cpus[0], 0, ready, go);
	SCX_FAIL_IF(cctx->children[0] < 0, "Failed to fork");
	ret = create_cookie(cctx->children[0]);
	SCX_FAIL_IF(ret, "PR_SCHED_CORE_CREATE failed (%d)", ret);

	cctx->children[1] = fork_child(cctx->link, cctx->cpus[1],
				       shared ? cctx->children[0] : 0, ready, go);
	SCX_FAIL_IF(cctx->children[1] < 0, "Failed to fork");
	if (!shared) {
		ret = create_cookie(cctx->children[1]);
		SCX_FAIL_IF(ret, "PR_SCHED_CORE_CREATE failed (%d)", ret);
	}
	close(ready[1]);
	close(go[0]);

	SCX_FAIL_IF(!read_within(ready[0], 2, READY_WAIT_MS),
		    "The children are not ready in %d ms", READY_WAIT_MS);
	close(ready[0]);

	/*
	 * The ids are hashes of the cookies, equal for equal cookies, or 0 if
	 * the kernel can't hash yet: compare them only when both are set.
	 */
	cookies[0] = get_cookie(cctx->children[0]);
	cookies[1] = get_cookie(cctx->children[1]);
	if (cookies[0] && cookies[1])
		SCX_FAIL_IF((cookies[0] == cookies[1]) != shared,
			    "%s run: cookies %llx and %llx", run_names[run],
			    cookies[0], cookies[1]);
	else
		fprintf(stderr, "%s run: no cookie ids to compare (%llx, %llx)\n",
			run_names[run], cookies[0], cookies[1]);

	bss->pids[0] = cctx->children[0];
	bss->pids[1] = cctx->children[1];
	bss->run_idx = run;
	/* One deadline for both, a write each: pipe writes this small are atomic. */
	deadline = now_ms() + SPIN_MS;
	SCX_FAIL_IF(write(go[1], &deadline, sizeof(deadline)) != sizeof(deadline) ||
		    write(go[1], &deadline, sizeof(deadline)) != sizeof(deadline),
		    "Failed to start the children");
	close(go[1]);

	SCX_FAIL_IF(!wait_children(cctx->children, DONE_WAIT_MS),
		    "The children failed or did not end in %d ms", DONE_WAIT_MS);
	bss->pids[0] = 0;
	bss->pids[1] = 0;

	SCX_FAIL_IF(bpf_map_lookup_elem(bpf_map__fd(cctx->skel->maps.stats),
					&key, st),
		    "Failed to read the stats");
	return SCX_TEST_PASS;
}

static u64 pct(u64 part, u64 whole)
{
	return whole ? part * 100 / whole : 0;
}

static enum scx_test_status run(void *ctx)
{
	struct core_sched_ctx *cctx = ctx;
	struct run_stats st[NR_RUNS];
	enum scx_test_status status;
	u64 mean[NR_RUNS];
	cpu_set_t mask;
	int i, cpu;

	/* Keep the test off the two CPUs, if there is another one. */
	if (!sched_getaffinity(0, sizeof(cctx->saved), &cctx->saved)) {
		mask = cctx->saved;
		CPU_CLR(cctx->cpus[0], &mask);
		CPU_CLR(cctx->cpus[1], &mask);
		for (cpu = 0; cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &mask); cpu++)
			;
		if (cpu < CPU_SETSIZE) {
			CPU_ZERO(&mask);
			CPU_SET(cpu, &mask);
			cctx->pinned = !sched_setaffinity(0, sizeof(mask), &mask);
		}
	}

	cctx->skel->bss->cpus[0] = cctx->cpus[0];
	cctx->skel->bss->cpus[1] = cctx->cpus[1];
	cctx->link = bpf_map__attach_struct_ops(cctx->skel->maps.core_sched_ops);
	SCX_FAIL_IF(!cctx->link, "Failed to attach scheduler (%d)", -errno);

	for (i = 0; i < NR_RUNS; i++) {
		status = measure(cctx, i, &st[i]);
		if (status != SCX_TEST_PASS)
			return status;
		mean[i] = (st[i].runtime[0] + st[i].runtime[1]) / 2;
		fprintf(stderr,
			"%s: CPUs %d,%d, runtime %llu ms (%llu runs), %llu ms (%llu runs); overlap %llu us in %llu windows, %llu%% of the mean, unexplained %llu us in %llu windows, %llu%%\n",
			run_names[i], cctx->cpus[0], cctx->cpus[1],
			ULL(st[i].runtime[0] / 1000000), ULL(st[i].nr_runs[0]),
			ULL(st[i].runtime[1] / 1000000), ULL(st[i].nr_runs[1]),
			ULL(st[i].overlap / 1000), ULL(st[i].nr_windows),
			ULL(pct(st[i].overlap, mean[i])),
			ULL(st[i].overlap_unexplained / 1000),
			ULL(st[i].nr_windows_unexplained),
			ULL(pct(st[i].overlap_unexplained, mean[i])));
	}

	SCX_EQ(cctx->skel->data->uei.kind, EXIT_KIND(SCX_EXIT_NONE));

	for (i = 0; i < NR_RUNS; i++) {
		SCX_EQ(st[i].nr_elsewhere, 0);
		SCX_GE(st[i].runtime[0], SPIN_MS * 1000000ULL * MIN_SHARE_PCT / 100);
		SCX_GE(st[i].runtime[1], SPIN_MS * 1000000ULL * MIN_SHARE_PCT / 100);
	}
	SCX_EQ(st[RUN_SEPARATE].nr_windows_unexplained, 0);
	SCX_LT(pct(st[RUN_SEPARATE].overlap, mean[RUN_SEPARATE]),
	       MAX_SEPARATE_PCT);
	SCX_GT(pct(st[RUN_SHARED].overlap_unexplained, mean[RUN_SHARED]),
	       MIN_SHARED_PCT);

	bpf_link__destroy(cctx->link);
	cctx->link = NULL;
	SCX_EQ(cctx->skel->data->uei.kind, EXIT_KIND(SCX_EXIT_UNREG));
	return SCX_TEST_PASS;
}

static void cleanup(void *ctx)
{
	struct core_sched_ctx *cctx = ctx;

	reap_load(cctx->children, 2);
	if (cctx->link)
		bpf_link__destroy(cctx->link);
	if (cctx->pinned)
		sched_setaffinity(0, sizeof(cctx->saved), &cctx->saved);
	core_sched__destroy(cctx->skel);
	free(cctx);
}

struct scx_test core_sched = {
	.name = "core_sched",
	.description = "Verify that core scheduling keeps different cookies off sibling threads",
	.setup = setup,
	.run = run,
	.cleanup = cleanup,
};

REGISTER_SCX_TEST(&core_sched)
