// SPDX-License-Identifier: GPL-2.0
/*
 * Verify that SysRq-S ejects the BPF scheduler.
 *
 * The core registers the 'S' key in scx_init(); its handler disables the
 * scheduler with SCX_EXIT_SYSRQ, whose reason is "disabled by sysrq-S". The
 * sysfs state must read "disabled" and the "root" directory must be gone
 * once the link is destroyed, and a scheduler must be able to attach again
 * afterwards.
 */
#include <bpf/bpf.h>
#include <fcntl.h>
#include <scx/common.h>
#include <time.h>
#include <unistd.h>
#include "sysrq_exit.bpf.skel.h"
#include "scx_test.h"
#include "safety_util.h"

#define SCX_ROOT	"/sys/kernel/sched_ext/root"
#define EXIT_WAIT_MS	10000
#define STATE_WAIT_MS	5000

struct sysrq_ctx {
	struct sysrq_exit *skel;
	struct bpf_link *link;
};

static enum scx_test_status setup(void **ctx)
{
	struct sysrq_ctx *sctx;

	if (access(SYSRQ_TRIGGER, W_OK)) {
		fprintf(stderr, "%s not available (CONFIG_MAGIC_SYSRQ?)\n",
			SYSRQ_TRIGGER);
		return SCX_TEST_SKIP;
	}

	sctx = calloc(1, sizeof(*sctx));
	SCX_FAIL_IF(!sctx, "Failed to allocate the test context");

	sctx->skel = sysrq_exit__open_and_load();
	if (!sctx->skel) {
		free(sctx);
		SCX_FAIL("Failed to open and load skel");
	}
	*ctx = sctx;

	return SCX_TEST_PASS;
}

static enum scx_test_status run(void *ctx)
{
	struct sysrq_ctx *sctx = ctx;
	struct sysrq_exit *skel = sctx->skel;
	char state[32];
	u64 deadline;

	sctx->link = bpf_map__attach_struct_ops(skel->maps.sysrq_exit_ops);
	SCX_FAIL_IF(!sctx->link, "Failed to attach scheduler (%d)", -errno);
	SCX_FAIL_IF(!wait_state("enabled", STATE_WAIT_MS),
		    "%s does not read \"enabled\" after attaching", SCX_STATE);
	SCX_EQ(skel->data->uei.kind, EXIT_KIND(SCX_EXIT_NONE));

	SCX_FAIL_IF(sysrq('S'), "Failed to write to %s", SYSRQ_TRIGGER);

	deadline = now_ms() + EXIT_WAIT_MS;
	while (!UEI_EXITED(skel, uei)) {
		SCX_FAIL_IF(now_ms() > deadline,
			    "Scheduler still attached %d ms after SysRq-S",
			    EXIT_WAIT_MS);
		usleep(10000);
	}

	SCX_EQ(skel->data->uei.kind, EXIT_KIND(SCX_EXIT_SYSRQ));
	SCX_FAIL_IF(strcmp(skel->data->uei.reason, "disabled by sysrq-S"),
		    "Unexpected exit reason \"%s\"", skel->data->uei.reason);

	bpf_link__destroy(sctx->link);
	sctx->link = NULL;

	SCX_FAIL_IF(read_str(SCX_STATE, state, sizeof(state)),
		    "Failed to read %s", SCX_STATE);
	SCX_FAIL_IF(strcmp(state, "disabled"),
		    "%s reads \"%s\" after detaching", SCX_STATE, state);
	SCX_FAIL_IF(!access(SCX_ROOT, F_OK), "%s still exists after detaching",
		    SCX_ROOT);

	/* The core must take a scheduler again. */
	sctx->link = bpf_map__attach_struct_ops(skel->maps.sysrq_exit_ops);
	SCX_FAIL_IF(!sctx->link, "Failed to attach scheduler after SysRq-S (%d)",
		    -errno);
	SCX_FAIL_IF(!wait_state("enabled", STATE_WAIT_MS),
		    "%s does not read \"enabled\" after attaching again",
		    SCX_STATE);

	bpf_link__destroy(sctx->link);
	sctx->link = NULL;
	SCX_EQ(skel->data->uei.kind, EXIT_KIND(SCX_EXIT_UNREG));

	return SCX_TEST_PASS;
}

static void cleanup(void *ctx)
{
	struct sysrq_ctx *sctx = ctx;

	if (sctx->link)
		bpf_link__destroy(sctx->link);
	sysrq_exit__destroy(sctx->skel);
	free(sctx);
}

struct scx_test sysrq_exit = {
	.name = "sysrq_exit",
	.description = "Verify that SysRq-S ejects the BPF scheduler",
	.setup = setup,
	.run = run,
	.cleanup = cleanup,
};

REGISTER_SCX_TEST(&sysrq_exit)
