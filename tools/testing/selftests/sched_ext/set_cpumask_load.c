// SPDX-License-Identifier: GPL-2.0
/*
 * Verify that ops.set_cpumask() tells the scheduler the affinity of tasks
 * that are already running when it is attached, and of later changes.
 *
 * set_cpus_allowed_scx() is not called while a task is on another class,
 * so the core calls ops.set_cpumask() from switching_to_scx() for every task
 * it switches in while enabling. A child pinned to CPU 0 before the attach
 * must be reported with a mask of CPU 0 alone by the time the attach has
 * returned. Moving it to CPU 1 afterwards must be reported too.
 */
#include <bpf/bpf.h>
#include <sched.h>
#include <scx/common.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "set_cpumask_load.bpf.skel.h"
#include "scx_test.h"
#include "safety_util.h"

#define REPORT_WAIT_MS	1000

struct cpumask_ctx {
	struct set_cpumask_load *skel;
	struct bpf_link *link;
	pid_t child;
};

static int pin_to(pid_t pid, int cpu)
{
	cpu_set_t mask;

	CPU_ZERO(&mask);
	CPU_SET(cpu, &mask);
	return sched_setaffinity(pid, sizeof(mask), &mask);
}

/* Waits up to @timeout_ms for more than @nr ops.set_cpumask() reports. */
static bool wait_reports(struct set_cpumask_load *skel, u64 nr,
			 unsigned int timeout_ms)
{
	u64 deadline = now_ms() + timeout_ms;

	while (__atomic_load_n(&skel->bss->nr_set_cpumask, __ATOMIC_ACQUIRE) <= nr) {
		if (now_ms() > deadline)
			return false;
		usleep(1000);
	}
	return true;
}

static enum scx_test_status setup(void **ctx)
{
	struct cpumask_ctx *cctx;
	cpu_set_t online;

	if (sched_getaffinity(0, sizeof(online), &online) ||
	    !CPU_ISSET(0, &online) || !CPU_ISSET(1, &online)) {
		fprintf(stderr, "Needs CPUs 0 and 1 online\n");
		return SCX_TEST_SKIP;
	}

	cctx = calloc(1, sizeof(*cctx));
	SCX_FAIL_IF(!cctx, "Failed to allocate the test context");
	cctx->child = -1;

	cctx->skel = set_cpumask_load__open_and_load();
	if (!cctx->skel) {
		free(cctx);
		SCX_FAIL("Failed to open and load skel");
	}
	*ctx = cctx;

	return SCX_TEST_PASS;
}

static enum scx_test_status run(void *ctx)
{
	struct cpumask_ctx *cctx = ctx;
	struct set_cpumask_load *skel = cctx->skel;
	u64 nr;

	cctx->child = fork();
	SCX_FAIL_IF(cctx->child < 0, "Failed to fork child");
	if (cctx->child == 0) {
		while (true)
			pause();
	}
	SCX_FAIL_IF(pin_to(cctx->child, 0), "Failed to pin child to CPU 0");

	skel->bss->target_pid = cctx->child;
	cctx->link = bpf_map__attach_struct_ops(skel->maps.set_cpumask_load_ops);
	SCX_FAIL_IF(!cctx->link, "Failed to attach scheduler (%d)", -errno);

	SCX_FAIL_IF(!wait_reports(skel, 0, REPORT_WAIT_MS),
		    "No ops.set_cpumask() for the child after attaching");
	SCX_EQ(skel->bss->mask_weight, 1);
	SCX_ASSERT(skel->bss->has_cpu0);
	SCX_ASSERT(!skel->bss->has_cpu1);

	/* On SCX, an affinity change goes through set_cpus_allowed_scx(). */
	nr = skel->bss->nr_set_cpumask;
	SCX_FAIL_IF(pin_to(cctx->child, 1), "Failed to move child to CPU 1");
	SCX_FAIL_IF(!wait_reports(skel, nr, REPORT_WAIT_MS),
		    "No ops.set_cpumask() for the child's new affinity");
	SCX_EQ(skel->bss->mask_weight, 1);
	SCX_ASSERT(!skel->bss->has_cpu0);
	SCX_ASSERT(skel->bss->has_cpu1);

	SCX_EQ(skel->data->uei.kind, EXIT_KIND(SCX_EXIT_NONE));
	bpf_link__destroy(cctx->link);
	cctx->link = NULL;
	SCX_EQ(skel->data->uei.kind, EXIT_KIND(SCX_EXIT_UNREG));

	return SCX_TEST_PASS;
}

static void cleanup(void *ctx)
{
	struct cpumask_ctx *cctx = ctx;

	if (cctx->link)
		bpf_link__destroy(cctx->link);
	if (cctx->child > 0) {
		kill(cctx->child, SIGKILL);
		waitpid(cctx->child, NULL, 0);
	}
	set_cpumask_load__destroy(cctx->skel);
	free(cctx);
}

struct scx_test set_cpumask_load = {
	.name = "set_cpumask_load",
	.description = "Verify ops.set_cpumask() for tasks switched in at attach and later",
	.setup = setup,
	.run = run,
	.cleanup = cleanup,
};

REGISTER_SCX_TEST(&set_cpumask_load)
