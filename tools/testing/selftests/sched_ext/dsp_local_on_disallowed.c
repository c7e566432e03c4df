// SPDX-License-Identifier: GPL-2.0
/*
 * Verify that dispatching a task to the local DSQ of a CPU outside its
 * affinity ejects the scheduler.
 *
 * A child pinned to CPU 0 is dispatched with SCX_DSQ_LOCAL_ON | 1 from
 * ops.dispatch(). As the task is on CPU 0's runqueue, the core checks the
 * move in task_can_run_on_remote_rq() and, since CPU 1 is not in the task's
 * cpus_ptr, exits with SCX_EXIT_ERROR and the message "SCX_DSQ_LOCAL[_ON]
 * target CPU 1 not allowed for comm[pid]". Every other task is dispatched
 * to the CPU it is on, which is never checked, so the child is the only
 * possible culprit.
 */
#include <bpf/bpf.h>
#include <poll.h>
#include <sched.h>
#include <scx/common.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "dsp_local_on_disallowed.bpf.skel.h"
#include "scx_test.h"
#include "safety_util.h"

#define TARGET_COMM	"scx_dlod_target"
#define ALLOWED_CPU	0
#define BAD_CPU		1
#define READY_WAIT_MS	5000
#define EXIT_WAIT_MS	10000

struct dlod_ctx {
	struct dsp_local_on_disallowed *skel;
	struct bpf_link *link;
	pid_t child;
};

/* Names and pins itself, tells the parent, then keeps waking up. */
static void dlod_child(int ready_fd)
{
	cpu_set_t mask;

	prctl(PR_SET_NAME, TARGET_COMM);
	CPU_ZERO(&mask);
	CPU_SET(ALLOWED_CPU, &mask);
	if (sched_setaffinity(0, sizeof(mask), &mask))
		_exit(1);
	if (write(ready_fd, "r", 1) != 1)
		_exit(1);
	while (true)
		usleep(1000);
}

static enum scx_test_status setup(void **ctx)
{
	struct dlod_ctx *dctx;
	cpu_set_t online;

	if (sched_getaffinity(0, sizeof(online), &online) ||
	    !CPU_ISSET(ALLOWED_CPU, &online) || !CPU_ISSET(BAD_CPU, &online)) {
		fprintf(stderr, "Needs CPUs %d and %d online\n", ALLOWED_CPU,
			BAD_CPU);
		return SCX_TEST_SKIP;
	}

	dctx = calloc(1, sizeof(*dctx));
	SCX_FAIL_IF(!dctx, "Failed to allocate the test context");
	dctx->child = -1;

	dctx->skel = dsp_local_on_disallowed__open_and_load();
	if (!dctx->skel) {
		free(dctx);
		SCX_FAIL("Failed to open and load skel");
	}
	*ctx = dctx;

	return SCX_TEST_PASS;
}

static enum scx_test_status run(void *ctx)
{
	struct dlod_ctx *dctx = ctx;
	struct dsp_local_on_disallowed *skel = dctx->skel;
	struct pollfd pfd = { .events = POLLIN };
	char expect[128], c;
	int ready[2], ret;
	u64 deadline;

	SCX_FAIL_IF(pipe(ready), "Failed to create a pipe");
	dctx->child = fork();
	if (dctx->child == 0) {
		close(ready[0]);
		dlod_child(ready[1]);
	}
	close(ready[1]);
	if (dctx->child < 0) {
		close(ready[0]);
		SCX_FAIL("Failed to fork child");
	}

	pfd.fd = ready[0];
	ret = poll(&pfd, 1, READY_WAIT_MS) == 1 && read(ready[0], &c, 1) == 1;
	close(ready[0]);
	SCX_FAIL_IF(!ret, "Child did not pin itself to CPU %d", ALLOWED_CPU);

	skel->bss->target_pid = dctx->child;
	skel->bss->bad_cpu = BAD_CPU;

	dctx->link = bpf_map__attach_struct_ops(skel->maps.dsp_local_on_disallowed_ops);
	SCX_FAIL_IF(!dctx->link, "Failed to attach scheduler (%d)", -errno);

	deadline = now_ms() + EXIT_WAIT_MS;
	while (!UEI_EXITED(skel, uei)) {
		SCX_FAIL_IF(now_ms() > deadline,
			    "Scheduler not ejected in %d ms", EXIT_WAIT_MS);
		usleep(10000);
	}

	SCX_EQ(skel->data->uei.kind, EXIT_KIND(SCX_EXIT_ERROR));
	snprintf(expect, sizeof(expect),
		 "SCX_DSQ_LOCAL[_ON] target CPU %d not allowed for %s[%d]",
		 BAD_CPU, TARGET_COMM, dctx->child);
	SCX_FAIL_IF(strcmp(skel->data->uei.msg, expect),
		    "Exit message \"%s\", expected \"%s\"",
		    skel->data->uei.msg, expect);

	bpf_link__destroy(dctx->link);
	dctx->link = NULL;

	return SCX_TEST_PASS;
}

static void cleanup(void *ctx)
{
	struct dlod_ctx *dctx = ctx;

	if (dctx->link)
		bpf_link__destroy(dctx->link);
	if (dctx->child > 0) {
		kill(dctx->child, SIGKILL);
		waitpid(dctx->child, NULL, 0);
	}
	dsp_local_on_disallowed__destroy(dctx->skel);
	free(dctx);
}

struct scx_test dsp_local_on_disallowed = {
	.name = "dsp_local_on_disallowed",
	.description = "Verify that dispatching to a local DSQ outside a task's affinity fails",
	.setup = setup,
	.run = run,
	.cleanup = cleanup,
};

REGISTER_SCX_TEST(&dsp_local_on_disallowed)
