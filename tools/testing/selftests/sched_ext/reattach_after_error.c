// SPDX-License-Identifier: GPL-2.0
/*
 * Verify that a scheduler can attach after the previous one was ejected by
 * scx_bpf_error().
 *
 * Each cycle attaches a scheduler that errors out, from ops.enable() while
 * it is being enabled or from ops.running() once it runs tasks, waits for
 * its SCX_EXIT_ERROR_BPF exit and destroys its link. The core must then be
 * back to "disabled" with no /sys/kernel/sched_ext/root, and a second,
 * well-behaved scheduler must attach, read "enabled" in the sysfs state and
 * show its own name in root/ops. In the C core, an error raised during
 * scx_ops_enable() still lets the attach succeed: the error is reported
 * through ops.exit(). The cycle repeats to catch state, such as the sysfs
 * "root" kobject, that outlives an error exit.
 */
#include <bpf/bpf.h>
#include <scx/common.h>
#include <time.h>
#include <unistd.h>
#include "reattach_after_error.bpf.skel.h"
#include "scx_test.h"
#include "safety_util.h"

#define NR_CYCLES	6
#define EXIT_WAIT_MS	10000
#define STATE_WAIT_MS	5000
#define SCX_ROOT	"/sys/kernel/sched_ext/root"
#define SCX_OPS		"/sys/kernel/sched_ext/root/ops"

struct reattach_ctx {
	struct reattach_after_error *skel;
	struct bpf_link *bad;
	struct bpf_link *good;
};

static void put_cycle(struct reattach_ctx *rctx)
{
	if (rctx->bad)
		bpf_link__destroy(rctx->bad);
	if (rctx->good)
		bpf_link__destroy(rctx->good);
	reattach_after_error__destroy(rctx->skel);
	rctx->bad = NULL;
	rctx->good = NULL;
	rctx->skel = NULL;
}

static enum scx_test_status run_cycle(struct reattach_ctx *rctx, int cycle)
{
	struct reattach_after_error *skel;
	bool in_running = cycle % 2;
	const char *expect = in_running ?
		"reattach: error in ops.running() of " :
		"reattach: error in ops.enable() of ";
	char buf[64];
	u64 deadline;

	skel = reattach_after_error__open_and_load();
	SCX_FAIL_IF(!skel, "Failed to open and load skel");
	rctx->skel = skel;
	skel->bss->error_in_running = in_running;

	rctx->bad = bpf_map__attach_struct_ops(skel->maps.reattach_bad_ops);
	SCX_FAIL_IF(!rctx->bad,
		    "Cycle %d: failed to attach the failing scheduler (%d)",
		    cycle, -errno);

	deadline = now_ms() + EXIT_WAIT_MS;
	while (!UEI_EXITED(skel, uei_bad)) {
		SCX_FAIL_IF(now_ms() > deadline,
			    "Cycle %d: failing scheduler not ejected in %d ms",
			    cycle, EXIT_WAIT_MS);
		usleep(10000);
	}
	SCX_EQ(skel->data->uei_bad.kind, EXIT_KIND(SCX_EXIT_ERROR_BPF));
	SCX_FAIL_IF(strncmp(skel->data->uei_bad.msg, expect, strlen(expect)),
		    "Cycle %d: exit message \"%s\", expected \"%s...\"", cycle,
		    skel->data->uei_bad.msg, expect);

	bpf_link__destroy(rctx->bad);
	rctx->bad = NULL;

	SCX_FAIL_IF(read_str(SCX_STATE, buf, sizeof(buf)) ||
		    strcmp(buf, "disabled"),
		    "Cycle %d: %s does not read \"disabled\" after detaching",
		    cycle, SCX_STATE);
	SCX_FAIL_IF(!access(SCX_ROOT, F_OK),
		    "Cycle %d: %s still exists after detaching", cycle, SCX_ROOT);

	rctx->good = bpf_map__attach_struct_ops(skel->maps.reattach_good_ops);
	SCX_FAIL_IF(!rctx->good,
		    "Cycle %d: failed to attach a scheduler after an error exit (%d)",
		    cycle, -errno);
	SCX_FAIL_IF(!wait_state("enabled", STATE_WAIT_MS),
		    "Cycle %d: %s does not read \"enabled\"", cycle, SCX_STATE);
	SCX_FAIL_IF(read_str(SCX_OPS, buf, sizeof(buf)),
		    "Cycle %d: failed to read %s", cycle, SCX_OPS);
	SCX_FAIL_IF(strcmp(buf, "reattach_good"),
		    "Cycle %d: %s reads \"%s\"", cycle, SCX_OPS, buf);
	SCX_EQ(skel->data->uei_good.kind, EXIT_KIND(SCX_EXIT_NONE));

	bpf_link__destroy(rctx->good);
	rctx->good = NULL;
	SCX_EQ(skel->data->uei_good.kind, EXIT_KIND(SCX_EXIT_UNREG));

	put_cycle(rctx);

	return SCX_TEST_PASS;
}

static enum scx_test_status setup(void **ctx)
{
	struct reattach_ctx *rctx;

	rctx = calloc(1, sizeof(*rctx));
	SCX_FAIL_IF(!rctx, "Failed to allocate the test context");
	*ctx = rctx;

	return SCX_TEST_PASS;
}

static enum scx_test_status run(void *ctx)
{
	enum scx_test_status status;
	int cycle;

	for (cycle = 0; cycle < NR_CYCLES; cycle++) {
		status = run_cycle(ctx, cycle);
		if (status != SCX_TEST_PASS)
			return status;
	}

	return SCX_TEST_PASS;
}

static void cleanup(void *ctx)
{
	struct reattach_ctx *rctx = ctx;

	put_cycle(rctx);
	free(rctx);
}

struct scx_test reattach_after_error = {
	.name = "reattach_after_error",
	.description = "Verify that a scheduler attaches after one exited with scx_bpf_error()",
	.setup = setup,
	.run = run,
	.cleanup = cleanup,
};

REGISTER_SCX_TEST(&reattach_after_error)
