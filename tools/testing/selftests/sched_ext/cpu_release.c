// SPDX-License-Identifier: GPL-2.0
/*
 * Verify ops.cpu_release(), ops.cpu_acquire() and scx_bpf_reenqueue_local()
 * when an RT task takes a CPU from SCX tasks.
 *
 * Busy SCX children keep CPU 1's local DSQ populated (see
 * cpu_release.bpf.c). NR_RT times, a child pinned to CPU 1 turns itself
 * SCHED_FIFO, sleeps, and on waking up preempts the SCX task running
 * there, then spins for RT_SPIN_MS and exits. Each time, ops.cpu_release()
 * must be called with SCX_CPU_PREEMPT_RT and the RT task as
 * args->task, and scx_bpf_reenqueue_local() must return as many tasks as
 * it re-enqueued through ops.enqueue() with SCX_ENQ_REENQ, which is at
 * least the preempted task. Every ops.cpu_acquire() must follow an
 * ops.cpu_release() of its CPU, and once the RT task is gone, every CPU
 * must have been acquired again.
 *
 * The C core doesn't reset the released state of a CPU when a scheduler
 * detaches: a scheduler may see ops.cpu_acquire() first, without an
 * ops.cpu_release(), if the one before it left the CPU released. That
 * first event is tolerated, once per CPU.
 */
#include <bpf/bpf.h>
#include <scx/common.h>
#include <stdio.h>
#include "cpu_release.bpf.skel.h"
#include "scx_test.h"
#include "safety_util.h"
#include "load_util.h"

#define RT_CPU		1
#define NR_RT		5
#define RT_SPIN_MS	100
#define RT_WAIT_MS	5000
#define ACQUIRE_WAIT_MS	2000
#define NR_CHILDREN	3

struct cpu_release_ctx {
	struct cpu_release *skel;
	struct bpf_link *link;
	pid_t children[NR_CHILDREN];
	pid_t rt_child;
};

static enum scx_test_status setup(void **ctx)
{
	struct cpu_release_ctx *rctx;
	cpu_set_t online;
	int i;

	if (sched_getaffinity(0, sizeof(online), &online) ||
	    !CPU_ISSET(0, &online) || !CPU_ISSET(RT_CPU, &online)) {
		fprintf(stderr, "Needs CPUs 0 and %d online\n", RT_CPU);
		return SCX_TEST_SKIP;
	}

	rctx = calloc(1, sizeof(*rctx));
	SCX_FAIL_IF(!rctx, "Failed to allocate the test context");
	for (i = 0; i < NR_CHILDREN; i++)
		rctx->children[i] = -1;
	rctx->rt_child = -1;

	rctx->skel = cpu_release__open_and_load();
	if (!rctx->skel) {
		free(rctx);
		SCX_FAIL("Failed to open and load skel");
	}
	*ctx = rctx;

	return SCX_TEST_PASS;
}

/*
 * Pins itself to RT_CPU, waits for the go on @go_fd, turns SCHED_FIFO,
 * sleeps, and on waking up preempts the SCX task running on RT_CPU.
 */
static void rt_child(int go_fd, struct bpf_link *link)
{
	struct sched_param param = { .sched_priority = 1 };
	cpu_set_t mask;
	u64 end;
	char c;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	close(bpf_link__fd(link));
	CPU_ZERO(&mask);
	CPU_SET(RT_CPU, &mask);
	if (sched_setaffinity(0, sizeof(mask), &mask) ||
	    read(go_fd, &c, 1) != 1 ||
	    sched_setscheduler(0, SCHED_FIFO, &param))
		_exit(1);

	usleep(5000);
	for (end = now_ms() + RT_SPIN_MS; now_ms() < end;)
		;
	_exit(0);
}

/* Runs one RT child to its end; returns its exit status or -1. */
static int run_rt_child(struct cpu_release_ctx *rctx)
{
	int go[2], status = -1;
	u64 deadline;

	if (pipe(go))
		return -1;

	rctx->rt_child = fork();
	if (rctx->rt_child == 0) {
		close(go[1]);
		rt_child(go[0], rctx->link);
	}
	close(go[0]);
	if (rctx->rt_child < 0) {
		close(go[1]);
		return -1;
	}

	rctx->skel->bss->rt_pid = rctx->rt_child;
	if (write(go[1], "g", 1) != 1)
		goto out;

	deadline = now_ms() + RT_WAIT_MS;
	while (waitpid(rctx->rt_child, &status, WNOHANG) == 0) {
		if (now_ms() > deadline) {
			status = -1;
			goto out;
		}
		usleep(10000);
	}
	rctx->rt_child = -1;
out:
	close(go[1]);
	return status;
}

static bool all_acquired(struct cpu_release__bss *bss)
{
	int i;

	for (i = 0; i < 64; i++)
		if (__atomic_load_n(&bss->released[i], __ATOMIC_RELAXED))
			return false;
	return true;
}

static enum scx_test_status run(void *ctx)
{
	struct cpu_release_ctx *rctx = ctx;
	struct cpu_release *skel = rctx->skel;
	struct cpu_release__bss *bss = skel->bss;
	u64 deadline;
	int i, status;

	/* Two busy on RT_CPU, so that one waits on its local DSQ. */
	rctx->children[0] = spawn_load(LOAD_BUSY, RT_CPU, false, NULL, NULL, 0);
	rctx->children[1] = spawn_load(LOAD_BUSY, RT_CPU, false, NULL, NULL, 0);
	rctx->children[2] = spawn_load(LOAD_BUSY, 0, false, NULL, NULL, 0);
	for (i = 0; i < NR_CHILDREN; i++)
		SCX_FAIL_IF(rctx->children[i] < 0, "Failed to fork a child");

	rctx->link = bpf_map__attach_struct_ops(skel->maps.cpu_release_ops);
	SCX_FAIL_IF(!rctx->link, "Failed to attach scheduler (%d)", -errno);
	usleep(100000);

	for (i = 0; i < NR_RT; i++) {
		status = run_rt_child(rctx);
		SCX_FAIL_IF(!WIFEXITED(status) || WEXITSTATUS(status),
			    "RT child %d failed (status 0x%x)", i, status);
		usleep(100000);
	}

	deadline = now_ms() + ACQUIRE_WAIT_MS;
	while (!all_acquired(bss) && now_ms() < deadline)
		usleep(10000);

	fprintf(stderr,
		"releases %llu (RT child %llu), reenqueued %llu, acquires %llu (first %llu); bad: args %llu reenq %llu acquire %llu\n",
		ULL(bss->nr_releases), ULL(bss->nr_rt_releases),
		ULL(bss->nr_reenqueued), ULL(bss->nr_acquires),
		ULL(bss->nr_first_acquires), ULL(bss->nr_bad_args),
		ULL(bss->nr_bad_reenq), ULL(bss->nr_bad_acquire));

	SCX_EQ(skel->data->uei.kind, EXIT_KIND(SCX_EXIT_NONE));
	SCX_GE(bss->nr_rt_releases, NR_RT);
	SCX_EQ(bss->nr_bad_args, 0);
	SCX_EQ(bss->nr_bad_reenq, 0);
	SCX_GE(bss->nr_reenqueued, NR_RT);
	SCX_GE(bss->nr_acquires, NR_RT);
	SCX_EQ(bss->nr_bad_acquire, 0);
	SCX_FAIL_IF(!all_acquired(bss), "A CPU not acquired again in %d ms",
		    ACQUIRE_WAIT_MS);

	bpf_link__destroy(rctx->link);
	rctx->link = NULL;
	SCX_EQ(skel->data->uei.kind, EXIT_KIND(SCX_EXIT_UNREG));

	return SCX_TEST_PASS;
}

static void cleanup(void *ctx)
{
	struct cpu_release_ctx *rctx = ctx;

	if (rctx->link)
		bpf_link__destroy(rctx->link);
	reap_load(&rctx->rt_child, 1);
	reap_load(rctx->children, NR_CHILDREN);
	cpu_release__destroy(rctx->skel);
	free(rctx);
}

struct scx_test cpu_release = {
	.name = "cpu_release",
	.description = "Verify ops.cpu_release(), ops.cpu_acquire() and scx_bpf_reenqueue_local()",
	.setup = setup,
	.run = run,
	.cleanup = cleanup,
};

REGISTER_SCX_TEST(&cpu_release)
