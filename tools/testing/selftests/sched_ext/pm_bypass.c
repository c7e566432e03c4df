// SPDX-License-Identifier: GPL-2.0
/*
 * Verify that the core bypasses the BPF scheduler across a suspend.
 *
 * Suspend freezes user space, which BPF schedulers often depend on, so the
 * core schedules by itself (bypass mode) from PM_SUSPEND_PREPARE to
 * PM_POST_SUSPEND. /sys/power/pm_test set to "freezer" makes a suspend to
 * idle stop right after freezing the tasks, wait five seconds and resume:
 * tasks that run meanwhile must run on CPUs in bypass mode, the scheduler
 * must still be attached afterwards, and the CPUs out of bypass again.
 */
#include <bpf/bpf.h>
#include <fcntl.h>
#include <scx/common.h>
#include <time.h>
#include <unistd.h>
#include "pm_bypass.bpf.skel.h"
#include "scx_test.h"

#define PM_TEST		"/sys/power/pm_test"
#define PM_STATE	"/sys/power/state"

struct pm_ctx {
	struct pm_bypass *skel;
	struct bpf_link *link;
	bool pm_test_set;
};

static int write_str(const char *path, const char *val)
{
	ssize_t ret;
	int fd;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	ret = write(fd, val, strlen(val));
	close(fd);
	return ret == (ssize_t)strlen(val) ? 0 : -errno;
}

static enum scx_test_status setup(void **ctx)
{
	struct pm_ctx *pctx;
	char buf[256] = "";
	FILE *f;

	if (access(PM_TEST, W_OK)) {
		fprintf(stderr, "%s not available (CONFIG_PM_DEBUG?)\n", PM_TEST);
		return SCX_TEST_SKIP;
	}
	f = fopen(PM_STATE, "r");
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	if (!strstr(buf, "freeze")) {
		fprintf(stderr, "%s does not offer \"freeze\" (CONFIG_SUSPEND?)\n",
			PM_STATE);
		return SCX_TEST_SKIP;
	}

	pctx = calloc(1, sizeof(*pctx));
	SCX_FAIL_IF(!pctx, "Failed to allocate the test context");
	pctx->skel = pm_bypass__open_and_load();
	if (!pctx->skel) {
		free(pctx);
		SCX_FAIL("Failed to open and load skel");
	}
	*ctx = pctx;
	return SCX_TEST_PASS;
}

static enum scx_test_status run(void *ctx)
{
	struct pm_ctx *pctx = ctx;
	struct pm_bypass *skel = pctx->skel;
	u64 normal;

	pctx->link = bpf_map__attach_struct_ops(skel->maps.pm_bypass_ops);
	SCX_FAIL_IF(!pctx->link, "Failed to attach scheduler (%d)", -errno);

	/* Attached: no CPU is in bypass mode any more. */
	skel->bss->armed = true;
	usleep(300 * 1000);
	SCX_FAIL_IF(!skel->bss->nr_running_normal,
		    "No task ran after the attach");
	SCX_EQ(skel->bss->nr_running_bypassed, 0);

	SCX_FAIL_IF(write_str(PM_TEST, "freezer"), "Failed to set %s", PM_TEST);
	pctx->pm_test_set = true;
	/* Returns once the tasks are thawed again. */
	SCX_FAIL_IF(write_str(PM_STATE, "freeze"),
		    "The test suspend failed");
	SCX_FAIL_IF(write_str(PM_TEST, "none"), "Failed to reset %s", PM_TEST);
	pctx->pm_test_set = false;

	SCX_FAIL_IF(UEI_EXITED(skel, uei),
		    "The scheduler was ejected across the suspend: %s (%s)",
		    skel->data->uei.reason, skel->data->uei.msg);
	SCX_FAIL_IF(!skel->bss->nr_running_bypassed,
		    "No task ran in bypass mode during the suspend");

	/* And the scheduler schedules again. */
	normal = skel->bss->nr_running_normal;
	usleep(300 * 1000);
	SCX_FAIL_IF(skel->bss->nr_running_normal == normal,
		    "No task ran outside bypass mode after the resume");

	bpf_link__destroy(pctx->link);
	pctx->link = NULL;
	SCX_EQ(skel->data->uei.kind, EXIT_KIND(SCX_EXIT_UNREG));
	return SCX_TEST_PASS;
}

static void cleanup(void *ctx)
{
	struct pm_ctx *pctx = ctx;

	if (pctx->pm_test_set)
		write_str(PM_TEST, "none");
	if (pctx->link)
		bpf_link__destroy(pctx->link);
	pm_bypass__destroy(pctx->skel);
	free(pctx);
}

struct scx_test pm_bypass = {
	.name = "pm_bypass",
	.description = "Verify that the core bypasses the scheduler across a suspend",
	.setup = setup,
	.run = run,
	.cleanup = cleanup,
};

REGISTER_SCX_TEST(&pm_bypass)
