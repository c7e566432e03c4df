// SPDX-License-Identifier: GPL-2.0
/*
 * Verify scx_bpf_dispatch_from_dsq() and scx_bpf_dispatch_vtime_from_dsq(),
 * with scx_bpf_dispatch_from_dsq_set_slice() and _set_vtime(), from
 * ops.dispatch() and from a BPF_PROG_TYPE_SYSCALL program.
 *
 * The scheduler (see dsq_move.bpf.c) runs every task after a move from a
 * user DSQ to another user DSQ and then to SCX_DSQ_LOCAL, straight to
 * SCX_DSQ_LOCAL, or to the local DSQ of the other CPU of its pair, and
 * checks that the moves succeed and that the tasks run where they were
 * moved to, with the slice and the vtime set for the move.
 *
 * Then a sleepy child is parked on a DSQ that no CPU consumes; it must
 * stop making progress until the syscall program moves it to a user DSQ
 * from user space, and run again after that.
 */
#include <bpf/bpf.h>
#include <scx/common.h>
#include <stdio.h>
#include "dsq_move.bpf.skel.h"
#include "scx_test.h"
#include "safety_util.h"
#include "load_util.h"

#define NR_BUSY		4
#define NR_SLEEPY	2
#define NR_CHILDREN	(NR_BUSY + NR_SLEEPY + 1)
#define PARKEE		(NR_CHILDREN - 1)	/* index and counter slot */
#define MIN_RUNS	20
#define MIN_RUN_MS	1000
#define MAX_RUN_MS	20000
#define PARK_WAIT_MS	5000
#define PARKED_MS	300

/* The kinds of moves of dsq_move.bpf.c. */
enum { MOVE_MID = 1, MOVE_LOCAL, MOVE_REMOTE, MOVE_SYSCALL };

struct dsq_move_ctx {
	struct dsq_move *skel;
	struct bpf_link *link;
	unsigned long *counters;
	pid_t children[NR_CHILDREN];
};

static enum scx_test_status setup(void **ctx)
{
	struct dsq_move_ctx *mctx;
	cpu_set_t online;
	int i;

	if (sched_getaffinity(0, sizeof(online), &online) ||
	    !CPU_ISSET(0, &online) || !CPU_ISSET(1, &online)) {
		fprintf(stderr, "Needs CPUs 0 and 1 online\n");
		return SCX_TEST_SKIP;
	}

	mctx = calloc(1, sizeof(*mctx));
	SCX_FAIL_IF(!mctx, "Failed to allocate the test context");
	for (i = 0; i < NR_CHILDREN; i++)
		mctx->children[i] = -1;

	mctx->counters = load_counters_map();
	mctx->skel = dsq_move__open_and_load();
	if (!mctx->counters || !mctx->skel) {
		load_counters_unmap(mctx->counters);
		dsq_move__destroy(mctx->skel);
		free(mctx);
		SCX_FAIL("Failed to open and load skel");
	}
	*ctx = mctx;

	return SCX_TEST_PASS;
}

static bool enough_runs(struct dsq_move__bss *bss)
{
	return bss->nr_ran[MOVE_MID] >= MIN_RUNS &&
	       bss->nr_ran[MOVE_LOCAL] >= MIN_RUNS &&
	       bss->nr_ran[MOVE_REMOTE] >= MIN_RUNS;
}

/* Parks the parkee and checks that move_parked sets it free. */
static enum scx_test_status check_syscall_move(struct dsq_move_ctx *mctx)
{
	struct dsq_move__bss *bss = mctx->skel->bss;
	struct bpf_test_run_opts topts = { .sz = sizeof(topts) };
	unsigned long *progress = &mctx->counters[PARKEE];
	unsigned long parked_at;
	u64 deadline;
	int ret;

	bss->park_pid = mctx->children[PARKEE];
	__atomic_store_n(&bss->park_armed, 1, __ATOMIC_RELEASE);

	deadline = now_ms() + PARK_WAIT_MS;
	while (!__atomic_load_n(&bss->nr_parked, __ATOMIC_ACQUIRE)) {
		SCX_FAIL_IF(now_ms() > deadline, "The child was never parked");
		usleep(1000);
	}

	/* Parked: it must not run... */
	parked_at = __atomic_load_n(progress, __ATOMIC_RELAXED);
	usleep(PARKED_MS * 1000);
	SCX_EQ(__atomic_load_n(progress, __ATOMIC_RELAXED), parked_at);

	/* ... until the syscall program moves it from user space. */
	ret = bpf_prog_test_run_opts(bpf_program__fd(mctx->skel->progs.move_parked),
				     &topts);
	SCX_FAIL_IF(ret, "Failed to run move_parked (%d)", ret);
	SCX_EQ(topts.retval, 1);

	deadline = now_ms() + PARK_WAIT_MS;
	while (__atomic_load_n(progress, __ATOMIC_RELAXED) == parked_at ||
	       !bss->nr_ran[MOVE_SYSCALL]) {
		SCX_FAIL_IF(now_ms() > deadline,
			    "The child didn't run after move_parked");
		usleep(1000);
	}

	return SCX_TEST_PASS;
}

static enum scx_test_status run(void *ctx)
{
	struct dsq_move_ctx *mctx = ctx;
	struct dsq_move *skel = mctx->skel;
	struct dsq_move__bss *bss = skel->bss;
	enum scx_test_status status;
	int cpus[64], nr_cpus, i;
	u64 start;

	nr_cpus = online_cpus(cpus, 64);
	for (i = 0; i < nr_cpus; i++)
		bss->online_mask |= 1ULL << cpus[i];

	/* Forked before the attach, so that they don't hold the link. */
	for (i = 0; i < NR_CHILDREN; i++) {
		mctx->children[i] = spawn_load(i < NR_BUSY ? LOAD_BUSY : LOAD_SLEEPY,
					       -1, false, NULL, mctx->counters, i);
		SCX_FAIL_IF(mctx->children[i] < 0, "Failed to fork a child");
	}

	mctx->link = bpf_map__attach_struct_ops(skel->maps.dsq_move_ops);
	SCX_FAIL_IF(!mctx->link, "Failed to attach scheduler (%d)", -errno);

	start = now_ms();
	while (now_ms() - start < MIN_RUN_MS || !enough_runs(bss)) {
		if (UEI_EXITED(skel, uei) || now_ms() - start > MAX_RUN_MS)
			break;
		usleep(10000);
	}
	SCX_EQ(skel->data->uei.kind, EXIT_KIND(SCX_EXIT_NONE));

	status = check_syscall_move(mctx);

	fprintf(stderr,
		"to MID %llu; moved/ran: MID->local %llu/%llu, local %llu/%llu, remote %llu/%llu, syscall %llu/%llu; failed %llu, bad slice %llu vtime %llu cpu %llu\n",
		ULL(bss->nr_moved_mid),
		ULL(bss->nr_moved[MOVE_MID]), ULL(bss->nr_ran[MOVE_MID]),
		ULL(bss->nr_moved[MOVE_LOCAL]), ULL(bss->nr_ran[MOVE_LOCAL]),
		ULL(bss->nr_moved[MOVE_REMOTE]), ULL(bss->nr_ran[MOVE_REMOTE]),
		ULL(bss->nr_moved[MOVE_SYSCALL]), ULL(bss->nr_ran[MOVE_SYSCALL]),
		ULL(bss->nr_failed), ULL(bss->nr_bad_slice),
		ULL(bss->nr_bad_vtime), ULL(bss->nr_bad_cpu));
	if (status != SCX_TEST_PASS)
		return status;

	SCX_EQ(skel->data->uei.kind, EXIT_KIND(SCX_EXIT_NONE));
	SCX_FAIL_IF(!enough_runs(bss),
		    "Fewer than %d runs after each kind of move in %d ms",
		    MIN_RUNS, MAX_RUN_MS);
	SCX_EQ(bss->nr_failed, 0);
	SCX_EQ(bss->nr_bad_slice, 0);
	SCX_EQ(bss->nr_bad_vtime, 0);
	SCX_EQ(bss->nr_bad_cpu, 0);
	SCX_EQ(bss->nr_moved[MOVE_SYSCALL], 1);

	bpf_link__destroy(mctx->link);
	mctx->link = NULL;
	SCX_EQ(skel->data->uei.kind, EXIT_KIND(SCX_EXIT_UNREG));

	return SCX_TEST_PASS;
}

static void cleanup(void *ctx)
{
	struct dsq_move_ctx *mctx = ctx;

	if (mctx->link)
		bpf_link__destroy(mctx->link);
	reap_load(mctx->children, NR_CHILDREN);
	load_counters_unmap(mctx->counters);
	dsq_move__destroy(mctx->skel);
	free(mctx);
}

struct scx_test dsq_move = {
	.name = "dsq_move",
	.description = "Verify moving tasks between DSQs with scx_bpf_dispatch_from_dsq()",
	.setup = setup,
	.run = run,
	.cleanup = cleanup,
};

REGISTER_SCX_TEST(&dsq_move)
