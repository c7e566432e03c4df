// SPDX-License-Identifier: GPL-2.0
/*
 * Verify the order in which the DSQ iterator returns tasks, and that an
 * iteration returns only the tasks queued before it began.
 *
 * The scheduler (see dsq_iter.bpf.c) checks every iteration of its
 * per-CPU FIFO and vtime DSQs from ops.dispatch(), forward and with
 * SCX_DSQ_ITER_REV, and counts what doesn't match. Busy children pinned to
 * each CPU keep a few tasks queued on every DSQ; a few sleepy ones add
 * wakeups. Once every kind of check has run enough times on DSQs of at
 * least two tasks, none of the mismatch counters may have moved.
 */
#include <bpf/bpf.h>
#include <scx/common.h>
#include <stdio.h>
#include "dsq_iter.bpf.skel.h"
#include "scx_test.h"
#include "safety_util.h"
#include "load_util.h"

#define MAX_LOAD_CPUS	4
#define BUSY_PER_CPU	4
#define NR_SLEEPY	2
#define NR_CHILDREN	(MAX_LOAD_CPUS * BUSY_PER_CPU + NR_SLEEPY)
#define MIN_CHECKS	20
#define MIN_RUN_MS	1000
#define MAX_RUN_MS	20000

struct dsq_iter_ctx {
	struct dsq_iter *skel;
	struct bpf_link *link;
	pid_t children[NR_CHILDREN];
};

static enum scx_test_status setup(void **ctx)
{
	struct dsq_iter_ctx *ictx;
	int i;

	ictx = calloc(1, sizeof(*ictx));
	SCX_FAIL_IF(!ictx, "Failed to allocate the test context");
	for (i = 0; i < NR_CHILDREN; i++)
		ictx->children[i] = -1;

	ictx->skel = dsq_iter__open_and_load();
	if (!ictx->skel) {
		free(ictx);
		SCX_FAIL("Failed to open and load skel");
	}
	*ctx = ictx;

	return SCX_TEST_PASS;
}

static bool enough_checks(struct dsq_iter__bss *bss)
{
	return bss->nr_fifo_checked >= MIN_CHECKS &&
	       bss->nr_fifo_rev_checked >= MIN_CHECKS &&
	       bss->nr_vtime_checked >= MIN_CHECKS &&
	       bss->nr_vtime_rev_checked >= MIN_CHECKS &&
	       bss->nr_seq_checked >= MIN_CHECKS;
}

static enum scx_test_status run(void *ctx)
{
	struct dsq_iter_ctx *ictx = ctx;
	struct dsq_iter *skel = ictx->skel;
	struct dsq_iter__bss *bss = skel->bss;
	int cpus[MAX_LOAD_CPUS], nr_cpus, i, j, n = 0;
	u64 start;

	/* Forked before the attach, so that they don't hold the link. */
	nr_cpus = online_cpus(cpus, MAX_LOAD_CPUS);
	for (i = 0; i < nr_cpus; i++)
		for (j = 0; j < BUSY_PER_CPU; j++)
			ictx->children[n++] = spawn_load(LOAD_BUSY, cpus[i],
							 false, NULL, NULL, 0);
	for (i = 0; i < NR_SLEEPY; i++)
		ictx->children[n++] = spawn_load(LOAD_SLEEPY, -1, false, NULL,
						 NULL, 0);
	for (i = 0; i < n; i++)
		SCX_FAIL_IF(ictx->children[i] < 0, "Failed to fork a child");

	ictx->link = bpf_map__attach_struct_ops(skel->maps.dsq_iter_ops);
	SCX_FAIL_IF(!ictx->link, "Failed to attach scheduler (%d)", -errno);

	start = now_ms();
	while (now_ms() - start < MIN_RUN_MS || !enough_checks(bss)) {
		if (UEI_EXITED(skel, uei) || now_ms() - start > MAX_RUN_MS)
			break;
		usleep(10000);
	}

	fprintf(stderr,
		"checked: fifo %llu rev %llu, vtime %llu rev %llu, seq %llu; bad: order %llu vtime %llu count %llu move %llu, seen again %llu, moved again %llu\n",
		ULL(bss->nr_fifo_checked), ULL(bss->nr_fifo_rev_checked),
		ULL(bss->nr_vtime_checked), ULL(bss->nr_vtime_rev_checked),
		ULL(bss->nr_seq_checked), ULL(bss->nr_bad_order),
		ULL(bss->nr_bad_vtime), ULL(bss->nr_bad_count),
		ULL(bss->nr_bad_move), ULL(bss->nr_seen_again),
		ULL(bss->nr_moved_again));

	SCX_EQ(skel->data->uei.kind, EXIT_KIND(SCX_EXIT_NONE));
	SCX_FAIL_IF(!enough_checks(bss),
		    "Fewer than %d checks of each kind in %d ms", MIN_CHECKS,
		    MAX_RUN_MS);
	/* The orders, the counts and the sequence rule. */
	SCX_EQ(bss->nr_bad_order, 0);
	SCX_EQ(bss->nr_bad_vtime, 0);
	SCX_EQ(bss->nr_bad_count, 0);
	SCX_EQ(bss->nr_bad_move, 0);
	SCX_EQ(bss->nr_seen_again, 0);
	SCX_EQ(bss->nr_moved_again, 0);

	bpf_link__destroy(ictx->link);
	ictx->link = NULL;
	SCX_EQ(skel->data->uei.kind, EXIT_KIND(SCX_EXIT_UNREG));

	return SCX_TEST_PASS;
}

static void cleanup(void *ctx)
{
	struct dsq_iter_ctx *ictx = ctx;

	if (ictx->link)
		bpf_link__destroy(ictx->link);
	reap_load(ictx->children, NR_CHILDREN);
	dsq_iter__destroy(ictx->skel);
	free(ictx);
}

struct scx_test dsq_iter = {
	.name = "dsq_iter",
	.description = "Verify the order and the sequence rule of the DSQ iterator",
	.setup = setup,
	.run = run,
	.cleanup = cleanup,
};

REGISTER_SCX_TEST(&dsq_iter)
