// SPDX-License-Identifier: GPL-2.0
/*
 * Verify the weights that the core passes to ops.enable() and
 * ops.set_weight() as a SCHED_EXT task's nice value changes.
 *
 * The core converts the task's load weight, sched_prio_to_weight[nice + 20],
 * to the cgroup weight scale with sched_weight_to_cgroup(), which rounds
 * weight * 100 / 1024 to the closest integer and clamps it to [1, 10000]:
 * nice 0 gives 100, 10 gives 11, 19 gives 1 and -20 gives 8668. When a task
 * switches to SCHED_EXT, scx_ops_enable_task() sets p->scx.weight before
 * ops.enable() and calls ops.set_weight() right after it. Each nice change
 * then goes through reweight_task_scx(), which calls ops.set_weight() with
 * the new p->scx.weight. set_user_nice() does nothing when the nice value
 * does not change, so every step below changes it.
 */
#include <bpf/bpf.h>
#include <poll.h>
#include <sched.h>
#include <scx/common.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "reweight.bpf.skel.h"
#include "scx_test.h"

#define SCHED_EXT	7
#define READY_WAIT_MS	5000
#define NR_STEPS	4

struct reweight_ctx {
	struct reweight *skel;
	struct bpf_link *link;
	pid_t child;
	int go_fd;
	int ready_fd;
};

static const struct {
	int nice;
	u32 load;	/* sched_prio_to_weight[nice + 20] */
} steps[NR_STEPS] = {
	{ 10, 110 },
	{ 19, 15 },
	{ -20, 88761 },
	{ 0, 1024 },
};

/* sched_weight_to_cgroup() */
static u32 cgroup_weight(u32 load)
{
	u64 w = ((u64)load * 100 + 512) / 1024;

	return w < 1 ? 1 : w > 10000 ? 10000 : w;
}

/*
 * Waits for the parent's go, switches to SCHED_EXT, reports the result and
 * sleeps until the parent closes the go pipe.
 */
static void reweight_child(int go_fd, int ready_fd)
{
	struct sched_param param = {};
	int ret = 0;
	char c;

	if (read(go_fd, &c, 1) != 1)
		_exit(1);
	/* Start from nice 0 whatever the runner's is. */
	if (setpriority(PRIO_PROCESS, 0, 0) ||
	    sched_setscheduler(0, SCHED_EXT, &param))
		ret = errno;
	if (write(ready_fd, &ret, sizeof(ret)) != sizeof(ret))
		_exit(1);
	while (read(go_fd, &c, 1) > 0)
		;
	_exit(0);
}

static enum scx_test_status setup(void **ctx)
{
	struct reweight_ctx *rctx;

	rctx = calloc(1, sizeof(*rctx));
	SCX_FAIL_IF(!rctx, "Failed to allocate the test context");
	rctx->child = -1;
	rctx->go_fd = -1;
	rctx->ready_fd = -1;

	rctx->skel = reweight__open_and_load();
	if (!rctx->skel) {
		free(rctx);
		SCX_FAIL("Failed to open and load skel");
	}
	*ctx = rctx;

	return SCX_TEST_PASS;
}

static enum scx_test_status run(void *ctx)
{
	struct reweight_ctx *rctx = ctx;
	struct reweight *skel = rctx->skel;
	struct pollfd pfd;
	int go[2], ready[2], ret, i;
	u32 expect;
	u64 nr;

	SCX_FAIL_IF(pipe(go), "Failed to create a pipe");
	if (pipe(ready)) {
		close(go[0]);
		close(go[1]);
		SCX_FAIL("Failed to create a pipe");
	}

	rctx->child = fork();
	if (rctx->child == 0) {
		close(go[1]);
		close(ready[0]);
		reweight_child(go[0], ready[1]);
	}
	close(go[0]);
	close(ready[1]);
	rctx->go_fd = go[1];
	rctx->ready_fd = ready[0];
	SCX_FAIL_IF(rctx->child < 0, "Failed to fork child");

	skel->bss->target_pid = rctx->child;

	rctx->link = bpf_map__attach_struct_ops(skel->maps.reweight_ops);
	SCX_FAIL_IF(!rctx->link, "Failed to attach scheduler (%d)", -errno);

	SCX_FAIL_IF(write(rctx->go_fd, "g", 1) != 1, "Failed to start child");
	pfd.fd = rctx->ready_fd;
	pfd.events = POLLIN;
	SCX_FAIL_IF(poll(&pfd, 1, READY_WAIT_MS) != 1,
		    "Child did not switch to SCHED_EXT in %d ms", READY_WAIT_MS);
	SCX_FAIL_IF(read(rctx->ready_fd, &ret, sizeof(ret)) != sizeof(ret),
		    "Failed to read the child's status");
	SCX_FAIL_IF(ret, "Child failed to switch to SCHED_EXT (%s)",
		    strerror(ret));

	/* Enabling: the weight is set before ops.enable(), then reported. */
	SCX_EQ(skel->bss->nr_enable, 1);
	SCX_EQ(skel->bss->enable_weight, cgroup_weight(1024));
	SCX_EQ(skel->bss->nr_set_weight, 1);
	SCX_EQ(skel->bss->set_weight_arg, cgroup_weight(1024));
	SCX_EQ(skel->bss->set_weight_task, cgroup_weight(1024));

	for (i = 0; i < NR_STEPS; i++) {
		expect = cgroup_weight(steps[i].load);
		nr = skel->bss->nr_set_weight;

		SCX_FAIL_IF(setpriority(PRIO_PROCESS, rctx->child, steps[i].nice),
			    "Failed to set nice %d (%s)", steps[i].nice,
			    strerror(errno));

		SCX_EQ(skel->bss->nr_set_weight, nr + 1);
		SCX_EQ(skel->bss->set_weight_arg, expect);
		SCX_EQ(skel->bss->set_weight_task, expect);
	}

	SCX_EQ(skel->data->uei.kind, EXIT_KIND(SCX_EXIT_NONE));
	bpf_link__destroy(rctx->link);
	rctx->link = NULL;
	SCX_EQ(skel->data->uei.kind, EXIT_KIND(SCX_EXIT_UNREG));

	return SCX_TEST_PASS;
}

static void cleanup(void *ctx)
{
	struct reweight_ctx *rctx = ctx;

	if (rctx->link)
		bpf_link__destroy(rctx->link);
	if (rctx->go_fd >= 0)
		close(rctx->go_fd);
	if (rctx->ready_fd >= 0)
		close(rctx->ready_fd);
	if (rctx->child > 0) {
		kill(rctx->child, SIGKILL);
		waitpid(rctx->child, NULL, 0);
	}
	reweight__destroy(rctx->skel);
	free(rctx);
}

struct scx_test reweight = {
	.name = "reweight",
	.description = "Verify the weights that ops.enable() and ops.set_weight() see",
	.setup = setup,
	.run = run,
	.cleanup = cleanup,
};

REGISTER_SCX_TEST(&reweight)
