// SPDX-License-Identifier: GPL-2.0
/*
 * Verify that the watchdog ejects a scheduler that leaves a runnable task
 * unscheduled for longer than ops.timeout_ms.
 *
 * The scheduler queues every SCHED_EXT task on a DSQ it never consumes. A
 * child switches itself to SCHED_EXT and sleeps in a loop, so its first
 * wakeup strands it. The core must then exit the scheduler with
 * SCX_EXIT_ERROR_STALL, and the message must name the child the way the
 * core formats it in check_rq_for_timeouts(): "comm[pid] failed to run for
 * S.MMMs". The stall must be caught within the timeout plus a margin that
 * covers the watchdog period (timeout / 2) and a slow, emulated guest.
 */
#include <bpf/bpf.h>
#include <sched.h>
#include <scx/common.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "stall.bpf.skel.h"
#include "scx_test.h"
#include "safety_util.h"

#define SCHED_EXT		7
#define STALL_TIMEOUT_MS	1000
#define STALL_MARGIN_MS		8000
#define STALL_COMM		"scx_stall_task"

struct stall_ctx {
	struct stall *skel;
	struct bpf_link *link;
	pid_t child;
};

static void stall_child(void)
{
	struct sched_param param = {};

	prctl(PR_SET_NAME, STALL_COMM);
	if (sched_setscheduler(0, SCHED_EXT, &param))
		_exit(1);

	/* Every wakeup goes through ops.enqueue() and is never dispatched. */
	while (true)
		usleep(1000);
}

/*
 * The message must be check_rq_for_timeouts()'s "%s[%d] failed to run for
 * %u.%03us" for the child, with a duration past the timeout.
 */
static enum scx_test_status check_exit_msg(const char *msg, pid_t child)
{
	unsigned int secs, msecs;
	char expect[64];
	const char *at;

	snprintf(expect, sizeof(expect), "%s[%d] failed to run for ",
		 STALL_COMM, child);
	at = strstr(msg, expect);
	SCX_FAIL_IF(!at, "Exit message \"%s\" does not contain \"%s\"", msg,
		    expect);
	SCX_FAIL_IF(sscanf(at + strlen(expect), "%u.%us", &secs, &msecs) != 2,
		    "No duration in exit message \"%s\"", msg);
	SCX_GE(secs * 1000 + msecs, STALL_TIMEOUT_MS);

	return SCX_TEST_PASS;
}

static enum scx_test_status setup(void **ctx)
{
	struct stall_ctx *sctx;

	sctx = calloc(1, sizeof(*sctx));
	SCX_FAIL_IF(!sctx, "Failed to allocate the test context");
	sctx->child = -1;

	sctx->skel = stall__open_and_load();
	if (!sctx->skel) {
		free(sctx);
		SCX_FAIL("Failed to open and load skel");
	}
	*ctx = sctx;

	return SCX_TEST_PASS;
}

static enum scx_test_status run(void *ctx)
{
	struct stall_ctx *sctx = ctx;
	struct stall *skel = sctx->skel;
	enum scx_test_status status;
	u64 start, elapsed;
	int wstatus;

	SCX_EQ(skel->struct_ops.stall_ops->timeout_ms, STALL_TIMEOUT_MS);

	sctx->link = bpf_map__attach_struct_ops(skel->maps.stall_ops);
	SCX_FAIL_IF(!sctx->link, "Failed to attach scheduler (%d)", -errno);

	start = now_ms();
	sctx->child = fork();
	SCX_FAIL_IF(sctx->child < 0, "Failed to fork child");
	if (sctx->child == 0) {
		/* The scheduler detaches only once its last fd closes. */
		close(bpf_link__fd(sctx->link));
		stall_child();
	}

	while (!UEI_EXITED(skel, uei)) {
		SCX_FAIL_IF(now_ms() - start > STALL_TIMEOUT_MS + STALL_MARGIN_MS,
			    "Scheduler not ejected %d ms after the child started",
			    STALL_TIMEOUT_MS + STALL_MARGIN_MS);
		if (waitpid(sctx->child, &wstatus, WNOHANG) == sctx->child) {
			sctx->child = -1;
			SCX_FAIL("Child exited early (status 0x%x), SCHED_EXT refused?",
				 wstatus);
		}
		usleep(10000);
	}
	elapsed = now_ms() - start;

	SCX_EQ(skel->data->uei.kind, EXIT_KIND(SCX_EXIT_ERROR_STALL));

	status = check_exit_msg(skel->data->uei.msg, sctx->child);
	if (status != SCX_TEST_PASS)
		return status;
	SCX_LT(elapsed, STALL_TIMEOUT_MS + STALL_MARGIN_MS);

	bpf_link__destroy(sctx->link);
	sctx->link = NULL;

	return SCX_TEST_PASS;
}

static void cleanup(void *ctx)
{
	struct stall_ctx *sctx = ctx;

	/* Detach first: a stranded child can only die once it runs again. */
	if (sctx->link)
		bpf_link__destroy(sctx->link);
	if (sctx->child > 0) {
		kill(sctx->child, SIGKILL);
		waitpid(sctx->child, NULL, 0);
	}
	stall__destroy(sctx->skel);
	free(sctx);
}

struct scx_test stall = {
	.name = "stall",
	.description = "Verify that the watchdog ejects a scheduler that stalls a task",
	.setup = setup,
	.run = run,
	.cleanup = cleanup,
};

REGISTER_SCX_TEST(&stall)
