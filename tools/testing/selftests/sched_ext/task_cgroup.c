// SPDX-License-Identifier: GPL-2.0
/*
 * Verify scx_bpf_task_cgroup(): on the task of the operation, it returns the
 * task's cgroup; on another task, the core ejects the scheduler.
 *
 * A child that wakes up every millisecond is put in the cgroup C1 of a
 * cgroup2 hierarchy with the cpu controller enabled (see cgrp_util.h),
 * and the scheduler (see task_cgroup.bpf.c) attached. ops.select_cpu(),
 * ops.enqueue() and ops.running() of the child must each find it in C1, by
 * cgroup id, the inode number of C1's directory, at least MIN_CALLS times
 * and never elsewhere. The child is then moved to C2, and from then on
 * they must find it in C2: the task group the core reports follows the
 * move.
 *
 * Last, ops.running() of the child calls scx_bpf_task_cgroup() on the test
 * process, which no operation is called for. The scheduler must exit with
 * SCX_EXIT_ERROR and the core's message "called on a task not being
 * operated on"; the call itself returns the root cgroup.
 */
#include <bpf/bpf.h>
#include <scx/common.h>
#include <stdio.h>
#include "task_cgroup.bpf.skel.h"
#include "scx_test.h"
#include "safety_util.h"
#include "load_util.h"
#include "cgrp_util.h"

#define MIN_CALLS	20
#define CALLS_WAIT_MS	5000
#define EXIT_WAIT_MS	5000

enum { CG_1, CG_2, NR_CGS };

struct task_cgroup_ctx {
	struct task_cgroup *skel;
	struct bpf_link *link;
	struct cg_root root;
	char cgs[NR_CGS][PATH_MAX];
	bool made[NR_CGS];
	unsigned long long ids[NR_CGS];
	pid_t child;
};

static enum scx_test_status setup(void **ctx)
{
	struct task_cgroup_ctx *tctx;
	const char *why = "";
	int ret;

	tctx = calloc(1, sizeof(*tctx));
	SCX_FAIL_IF(!tctx, "Failed to allocate the test context");
	tctx->child = -1;

	ret = cg_root_init(&tctx->root, &why);
	if (ret) {
		fprintf(stderr, "Skipping: %s (%d)\n", why, ret);
		free(tctx);
		return SCX_TEST_SKIP;
	}

	tctx->skel = task_cgroup__open_and_load();
	if (!tctx->skel) {
		cg_root_exit(&tctx->root);
		free(tctx);
		SCX_FAIL("Failed to open and load skel");
	}
	*ctx = tctx;
	return SCX_TEST_PASS;
}

/* Waits until the ops saw the child MIN_CALLS times in the expected cgroup. */
static bool wait_calls(struct task_cgroup__bss *bss)
{
	u64 deadline = now_ms() + CALLS_WAIT_MS;

	while (__atomic_load_n(&bss->nr_sel_match, __ATOMIC_RELAXED) < MIN_CALLS ||
	       __atomic_load_n(&bss->nr_enq_match, __ATOMIC_RELAXED) < MIN_CALLS ||
	       __atomic_load_n(&bss->nr_run_match, __ATOMIC_RELAXED) < MIN_CALLS) {
		if (now_ms() > deadline)
			return false;
		usleep(10000);
	}
	return true;
}

/* Moves the child to the cgroup @cg and checks what the ops see. */
static enum scx_test_status check_in(struct task_cgroup_ctx *tctx, int cg)
{
	struct task_cgroup__bss *bss = tctx->skel->bss;
	bool seen;
	int ret;

	/* Compare nothing while the child moves. */
	bss->expect_cgid = 0;
	ret = cg_enter(tctx->cgs[cg], tctx->child);
	SCX_FAIL_IF(ret, "Failed to move the child to %s (%d)", tctx->cgs[cg],
		    ret);
	bss->nr_sel_match = 0;
	bss->nr_sel_mismatch = 0;
	bss->nr_enq_match = 0;
	bss->nr_enq_mismatch = 0;
	bss->nr_run_match = 0;
	bss->nr_run_mismatch = 0;
	bss->expect_cgid = tctx->ids[cg];

	seen = wait_calls(bss);
	fprintf(stderr,
		"cgroup %llu: select_cpu %llu match, %llu not (last %llu); enqueue %llu match, %llu not (last %llu); running %llu match, %llu not (last %llu)\n",
		tctx->ids[cg], ULL(bss->nr_sel_match), ULL(bss->nr_sel_mismatch),
		ULL(bss->last_sel_cgid), ULL(bss->nr_enq_match), ULL(bss->nr_enq_mismatch),
		ULL(bss->last_enq_cgid), ULL(bss->nr_run_match),
		ULL(bss->nr_run_mismatch), ULL(bss->last_run_cgid));
	SCX_FAIL_IF(!seen, "Fewer than %d calls in cgroup %llu in %d ms",
		    MIN_CALLS, tctx->ids[cg], CALLS_WAIT_MS);
	SCX_EQ(bss->nr_sel_mismatch, 0);
	SCX_EQ(bss->nr_enq_mismatch, 0);
	SCX_EQ(bss->nr_run_mismatch, 0);
	SCX_EQ(tctx->skel->data->uei.kind, EXIT_KIND(SCX_EXIT_NONE));
	return SCX_TEST_PASS;
}

static enum scx_test_status run(void *ctx)
{
	static const char expect[] = "called on a task not being operated on";
	struct task_cgroup_ctx *tctx = ctx;
	struct task_cgroup *skel = tctx->skel;
	enum scx_test_status status;
	char name[64];
	u64 deadline;
	int i, ret;

	for (i = 0; i < NR_CGS; i++) {
		snprintf(name, sizeof(name), "scx_task_cgroup.%d.%d", getpid(),
			 i + 1);
		ret = cg_create(&tctx->root, name, tctx->cgs[i],
				sizeof(tctx->cgs[i]));
		SCX_FAIL_IF(ret, "Failed to make cgroup %s (%d)", name, ret);
		tctx->made[i] = true;
		tctx->ids[i] = cg_id(tctx->cgs[i]);
		SCX_FAIL_IF(!tctx->ids[i], "No id for cgroup %s", name);
	}

	/* Before the attach, so that it has no fd of the link. */
	tctx->child = spawn_load(LOAD_SLEEPY, -1, false, NULL, NULL, 0);
	SCX_FAIL_IF(tctx->child < 0, "Failed to fork the child");

	tctx->link = bpf_map__attach_struct_ops(skel->maps.task_cgroup_ops);
	SCX_FAIL_IF(!tctx->link, "Failed to attach scheduler (%d)", -errno);
	skel->bss->target_pid = tctx->child;

	for (i = 0; i < NR_CGS; i++) {
		status = check_in(tctx, i);
		if (status != SCX_TEST_PASS)
			return status;
	}

	/* Now on a task that is not the operation's. */
	skel->bss->other_pid = getpid();
	deadline = now_ms() + EXIT_WAIT_MS;
	while (skel->data->uei.kind == EXIT_KIND(SCX_EXIT_NONE) &&
	       now_ms() < deadline)
		usleep(10000);

	fprintf(stderr,
		"exit kind %llu, \"%s\"; %llu call(s) on the other task, which returned cgroup %llu\n",
		ULL(skel->data->uei.kind), skel->data->uei.msg,
		ULL(skel->bss->nr_other_calls), ULL(skel->bss->other_cgid));
	SCX_EQ(skel->data->uei.kind, EXIT_KIND(SCX_EXIT_ERROR));
	SCX_FAIL_IF(strcmp(skel->data->uei.msg, expect),
		    "Exit message \"%s\", not \"%s\"", skel->data->uei.msg,
		    expect);
	SCX_GE(skel->bss->nr_other_calls, 1);
	SCX_EQ(skel->bss->other_cgid, cg_id(tctx->root.path));

	return SCX_TEST_PASS;
}

static void cleanup(void *ctx)
{
	struct task_cgroup_ctx *tctx = ctx;
	int i;

	reap_load(&tctx->child, 1);
	if (tctx->link)
		bpf_link__destroy(tctx->link);
	for (i = 0; i < NR_CGS; i++)
		if (tctx->made[i])
			cg_remove(tctx->cgs[i]);
	task_cgroup__destroy(tctx->skel);
	cg_root_exit(&tctx->root);
	free(tctx);
}

struct scx_test task_cgroup = {
	.name = "task_cgroup",
	.description = "Verify scx_bpf_task_cgroup() on the operation's task and on another",
	.setup = setup,
	.run = run,
	.cleanup = cleanup,
};

REGISTER_SCX_TEST(&task_cgroup)
