// SPDX-License-Identifier: GPL-2.0
/*
 * Verify direct dispatches to the local DSQ of another CPU, with
 * SCX_DSQ_LOCAL_ON | cpu, from ops.select_cpu() and from ops.enqueue().
 *
 * The scheduler (see ddsp_remote.bpf.c) schedules only the children, which
 * switch themselves to SCHED_EXT, and dispatches each of them to another
 * CPU than the one whose runqueue it is on. Every such task must run on
 * the CPU it was dispatched to, both kinds of dispatch must have been made
 * and run a good number of times, and the scheduler must not have exited.
 */
#include <bpf/bpf.h>
#include <scx/common.h>
#include <stdio.h>
#include "ddsp_remote.bpf.skel.h"
#include "scx_test.h"
#include "safety_util.h"
#include "load_util.h"

#define NR_BUSY		2
#define NR_SLEEPY	3
#define NR_CHILDREN	(NR_BUSY + NR_SLEEPY)
#define MIN_RUNS	50
#define MIN_RUN_MS	1000
#define MAX_RUN_MS	20000

/* The dispatch sites of ddsp_remote.bpf.c. */
enum { FROM_SELECT_CPU, FROM_ENQUEUE };

struct ddsp_remote_ctx {
	struct ddsp_remote *skel;
	struct bpf_link *link;
	pid_t children[NR_CHILDREN];
};

static enum scx_test_status setup(void **ctx)
{
	struct ddsp_remote_ctx *dctx;
	int cpus[2];
	int i;

	if (online_cpus(cpus, 2) < 2) {
		fprintf(stderr, "Needs CPUs 0 and 1 online\n");
		return SCX_TEST_SKIP;
	}

	dctx = calloc(1, sizeof(*dctx));
	SCX_FAIL_IF(!dctx, "Failed to allocate the test context");
	for (i = 0; i < NR_CHILDREN; i++)
		dctx->children[i] = -1;

	dctx->skel = ddsp_remote__open_and_load();
	if (!dctx->skel) {
		free(dctx);
		SCX_FAIL("Failed to open and load skel");
	}
	*ctx = dctx;

	return SCX_TEST_PASS;
}

static bool enough_runs(struct ddsp_remote__bss *bss)
{
	return bss->nr_ran[FROM_SELECT_CPU] >= MIN_RUNS &&
	       bss->nr_ran[FROM_ENQUEUE] >= MIN_RUNS;
}

static enum scx_test_status run(void *ctx)
{
	struct ddsp_remote_ctx *dctx = ctx;
	struct ddsp_remote *skel = dctx->skel;
	struct ddsp_remote__bss *bss = skel->bss;
	int cpus[64], nr_cpus, i;
	u64 start;

	nr_cpus = online_cpus(cpus, 64);
	for (i = 0; i < nr_cpus; i++)
		bss->online_mask |= 1ULL << cpus[i];

	/* Forked before the attach, so that they don't hold the link. */
	for (i = 0; i < NR_CHILDREN; i++) {
		dctx->children[i] = spawn_load(i < NR_BUSY ? LOAD_BUSY : LOAD_SLEEPY,
					       -1, true, NULL, NULL, 0);
		SCX_FAIL_IF(dctx->children[i] < 0, "Failed to fork a child");
	}

	dctx->link = bpf_map__attach_struct_ops(skel->maps.ddsp_remote_ops);
	SCX_FAIL_IF(!dctx->link, "Failed to attach scheduler (%d)", -errno);

	start = now_ms();
	while (now_ms() - start < MIN_RUN_MS || !enough_runs(bss)) {
		if (UEI_EXITED(skel, uei) || now_ms() - start > MAX_RUN_MS)
			break;
		usleep(10000);
	}

	fprintf(stderr,
		"dispatched/ran: select_cpu %llu/%llu, enqueue %llu/%llu; not remote %llu, wrong CPU %llu\n",
		ULL(bss->nr_dispatched[FROM_SELECT_CPU]),
		ULL(bss->nr_ran[FROM_SELECT_CPU]),
		ULL(bss->nr_dispatched[FROM_ENQUEUE]),
		ULL(bss->nr_ran[FROM_ENQUEUE]),
		ULL(bss->nr_not_remote), ULL(bss->nr_wrong_cpu));

	SCX_EQ(skel->data->uei.kind, EXIT_KIND(SCX_EXIT_NONE));
	SCX_FAIL_IF(!enough_runs(bss),
		    "Fewer than %d runs after each kind of dispatch in %d ms",
		    MIN_RUNS, MAX_RUN_MS);
	SCX_EQ(bss->nr_wrong_cpu, 0);

	bpf_link__destroy(dctx->link);
	dctx->link = NULL;
	SCX_EQ(skel->data->uei.kind, EXIT_KIND(SCX_EXIT_UNREG));

	return SCX_TEST_PASS;
}

static void cleanup(void *ctx)
{
	struct ddsp_remote_ctx *dctx = ctx;

	if (dctx->link)
		bpf_link__destroy(dctx->link);
	reap_load(dctx->children, NR_CHILDREN);
	ddsp_remote__destroy(dctx->skel);
	free(dctx);
}

struct scx_test ddsp_remote = {
	.name = "ddsp_remote",
	.description = "Verify direct dispatches to the local DSQ of another CPU",
	.setup = setup,
	.run = run,
	.cleanup = cleanup,
};

REGISTER_SCX_TEST(&ddsp_remote)
