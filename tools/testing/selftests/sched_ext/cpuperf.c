// SPDX-License-Identifier: GPL-2.0
/*
 * Verify scx_bpf_cpuperf_cap(), scx_bpf_cpuperf_cur() and
 * scx_bpf_cpuperf_set().
 *
 * The scheduler (see cpuperf.bpf.c) sets each CPU's performance target
 * from ops.tick() and checks that the CPU's rq holds it, and reads the
 * capacity and current performance of every CPU. Capacities and current
 * performances must be within [1, SCX_CPUPERF_ONE], and the most capable
 * CPU must have SCX_CPUPERF_ONE: without asymmetric capacities, as in a
 * VM, every CPU does. The current performance comes from the frequency
 * invariance of the architecture, and is SCX_CPUPERF_ONE without it.
 *
 * Then the scheduler is loaded again four times, each time to make one
 * invalid call from ops.running(): the capacity, the current performance
 * and a target of an invalid CPU, and a target above SCX_CPUPERF_ONE. Each
 * must eject it with SCX_EXIT_ERROR. Before that, each load checks in
 * ops.init() that the attach reset the targets, which the previous load
 * left at 0, to SCX_CPUPERF_ONE.
 */
#include <bpf/bpf.h>
#include <scx/common.h>
#include <stdio.h>
#include "cpuperf.bpf.skel.h"
#include "scx_test.h"
#include "safety_util.h"
#include "load_util.h"

#define MAX_CPUS	64
#define NR_CHILDREN	(MAX_CPUS + 1)
#define MIN_SETS	25
#define MAX_RUN_MS	20000
#define EXIT_WAIT_MS	10000

/* The kernel's SCX_CPUPERF_ONE, SCHED_CAPACITY_SCALE: 1024. */
#define CPUPERF_ONE	((u32)__COMPAT_ENUM_OR_ZERO("scx_consts", "SCX_CPUPERF_ONE"))

/* The invalid calls of cpuperf.bpf.c. */
enum { BAD_CAP_CPU = 1, BAD_CUR_CPU, BAD_SET_CPU, BAD_SET_PERF };

struct cpuperf_ctx {
	struct cpuperf *skel;
	struct bpf_link *link;
	int cpus[MAX_CPUS];
	int nr_cpus;
	pid_t children[NR_CHILDREN];
};

static enum scx_test_status setup(void **ctx)
{
	struct cpuperf_ctx *cctx;
	int i;

	cctx = calloc(1, sizeof(*cctx));
	SCX_FAIL_IF(!cctx, "Failed to allocate the test context");
	for (i = 0; i < NR_CHILDREN; i++)
		cctx->children[i] = -1;
	*ctx = cctx;

	return SCX_TEST_PASS;
}

/* Whether @counts is at least @min for every online CPU. */
static bool all_cpus_reached(struct cpuperf_ctx *cctx, u64 *counts, u64 min)
{
	int i;

	for (i = 0; i < cctx->nr_cpus; i++)
		if (__atomic_load_n(&counts[cctx->cpus[i]], __ATOMIC_RELAXED) < min)
			return false;
	return true;
}

/* Checks that the attach of @skel found every CPU's target reset. */
static enum scx_test_status check_reset(struct cpuperf *skel)
{
	int i, nr_possible = libbpf_num_possible_cpus();

	for (i = 0; i < nr_possible && i < MAX_CPUS; i++)
		SCX_FAIL_IF(skel->bss->init_target[i] != CPUPERF_ONE,
			    "CPU %d's target was %u at attach, not %u", i,
			    skel->bss->init_target[i], CPUPERF_ONE);
	return SCX_TEST_PASS;
}

/* Sets the targets from ops.tick() and reads them back. */
static enum scx_test_status run_valid(struct cpuperf_ctx *cctx)
{
	struct cpuperf__bss *bss;
	u32 max_cap = 0;
	u64 start;
	int i;

	cctx->skel = cpuperf__open_and_load();
	SCX_FAIL_IF(!cctx->skel, "Failed to open and load skel");
	bss = cctx->skel->bss;

	cctx->link = bpf_map__attach_struct_ops(cctx->skel->maps.cpuperf_ops);
	SCX_FAIL_IF(!cctx->link, "Failed to attach scheduler (%d)", -errno);

	start = now_ms();
	while (!all_cpus_reached(cctx, bss->nr_set, MIN_SETS)) {
		if (UEI_EXITED(cctx->skel, uei) || now_ms() - start > MAX_RUN_MS)
			break;
		usleep(10000);
	}

	for (i = 0; i < cctx->nr_cpus; i++) {
		int cpu = cctx->cpus[i];

		fprintf(stderr, "CPU %d: %llu targets set, cap %u, cur %u\n",
			cpu, ULL(bss->nr_set[cpu]), bss->cap[cpu], bss->cur[cpu]);
		if (bss->cap[cpu] > max_cap)
			max_cap = bss->cap[cpu];
	}

	SCX_EQ(cctx->skel->data->uei.kind, EXIT_KIND(SCX_EXIT_NONE));
	SCX_FAIL_IF(!all_cpus_reached(cctx, bss->nr_set, MIN_SETS),
		    "Fewer than %d targets set on a CPU in %d ms", MIN_SETS,
		    MAX_RUN_MS);
	SCX_EQ(bss->nr_bad_target, 0);
	SCX_EQ(bss->nr_out_of_range, 0);
	SCX_EQ(max_cap, CPUPERF_ONE);
	if (check_reset(cctx->skel) != SCX_TEST_PASS)
		return SCX_TEST_FAIL;

	/* Leave every target at 0 for the next attach to reset. */
	bss->settle = 1;
	start = now_ms();
	while (!all_cpus_reached(cctx, bss->nr_settled, 1)) {
		SCX_FAIL_IF(now_ms() - start > MAX_RUN_MS,
			    "A CPU's target not set to 0 in %d ms", MAX_RUN_MS);
		usleep(10000);
	}

	bpf_link__destroy(cctx->link);
	cctx->link = NULL;
	SCX_EQ(cctx->skel->data->uei.kind, EXIT_KIND(SCX_EXIT_UNREG));

	return SCX_TEST_PASS;
}

/*
 * Loads the scheduler to make @bad_call on @bad_cpu, which must eject it
 * with the message @expect, or a message that starts with it if @prefix.
 */
static enum scx_test_status run_invalid(u32 bad_call, s32 bad_cpu,
					const char *expect, bool prefix)
{
	enum scx_test_status status = SCX_TEST_FAIL;
	struct bpf_link *link = NULL;
	struct cpuperf *skel;
	u64 deadline;
	size_t len;

	skel = cpuperf__open_and_load();
	SCX_FAIL_IF(!skel, "Failed to open and load skel");
	skel->bss->bad_call = bad_call;
	skel->bss->bad_cpu = bad_cpu;
	len = prefix ? strlen(expect) : sizeof(skel->data->uei.msg);

	link = bpf_map__attach_struct_ops(skel->maps.cpuperf_ops);
	if (!link) {
		SCX_ERR("Failed to attach scheduler (%d)", -errno);
		goto out;
	}

	deadline = now_ms() + EXIT_WAIT_MS;
	while (!UEI_EXITED(skel, uei)) {
		if (now_ms() > deadline) {
			SCX_ERR("Bad call %u didn't eject the scheduler", bad_call);
			goto out;
		}
		usleep(10000);
	}

	if (skel->data->uei.kind != EXIT_KIND(SCX_EXIT_ERROR) ||
	    strncmp(skel->data->uei.msg, expect, len)) {
		SCX_ERR("Bad call %u: exit kind %llu, message \"%s\", expected %llu, \"%s\"",
			bad_call, ULL(skel->data->uei.kind), skel->data->uei.msg,
			ULL(EXIT_KIND(SCX_EXIT_ERROR)), expect);
		goto out;
	}
	status = check_reset(skel);
out:
	bpf_link__destroy(link);
	cpuperf__destroy(skel);
	return status;
}

static enum scx_test_status run(void *ctx)
{
	struct cpuperf_ctx *cctx = ctx;
	int nr_possible = libbpf_num_possible_cpus();
	enum scx_test_status status;
	char expect[64];
	int i, n = 0;

	/* A busy child per CPU, for ops.tick(), forked before the attaches. */
	cctx->nr_cpus = online_cpus(cctx->cpus, MAX_CPUS);
	for (i = 0; i < cctx->nr_cpus; i++)
		cctx->children[n++] = spawn_load(LOAD_BUSY, cctx->cpus[i],
						 false, NULL, NULL, 0);
	cctx->children[n++] = spawn_load(LOAD_SLEEPY, -1, false, NULL, NULL, 0);
	for (i = 0; i < n; i++)
		SCX_FAIL_IF(cctx->children[i] < 0, "Failed to fork a child");

	status = run_valid(cctx);
	if (status != SCX_TEST_PASS)
		return status;

	snprintf(expect, sizeof(expect), "invalid CPU %d", nr_possible);
	status = run_invalid(BAD_CAP_CPU, nr_possible, expect, false);
	if (status != SCX_TEST_PASS)
		return status;
	status = run_invalid(BAD_CUR_CPU, -1, "invalid CPU -1", false);
	if (status != SCX_TEST_PASS)
		return status;
	status = run_invalid(BAD_SET_CPU, nr_possible, expect, false);
	if (status != SCX_TEST_PASS)
		return status;
	snprintf(expect, sizeof(expect), "Invalid cpuperf target %u for CPU ",
		 CPUPERF_ONE + 1);
	return run_invalid(BAD_SET_PERF, 0, expect, true);
}

static void cleanup(void *ctx)
{
	struct cpuperf_ctx *cctx = ctx;

	if (cctx->link)
		bpf_link__destroy(cctx->link);
	reap_load(cctx->children, NR_CHILDREN);
	cpuperf__destroy(cctx->skel);
	free(cctx);
}

struct scx_test cpuperf = {
	.name = "cpuperf",
	.description = "Verify scx_bpf_cpuperf_cap(), _cur() and _set()",
	.setup = setup,
	.run = run,
	.cleanup = cleanup,
};

REGISTER_SCX_TEST(&cpuperf)
