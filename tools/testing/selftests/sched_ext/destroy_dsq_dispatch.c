// SPDX-License-Identifier: GPL-2.0
/*
 * Verify that DSQs can be destroyed from ops.dispatch().
 *
 * ops.dispatch() runs with the rq lock held. The C core's destroy_dsq()
 * unhashes the DSQ at once and frees it later from an irq_work, to avoid
 * nesting RCU operations inside scheduler locks. Here every ops.dispatch()
 * call destroys one of NR_VICTIM_DSQS empty DSQs while the scheduler keeps
 * scheduling a few busy tasks from a shared DSQ. All of them must be
 * destroyed, none must be found after its destruction, and the scheduler
 * must still be running before it is detached. Run under lockdep, this
 * also checks the locking of the destroy path.
 */
#include <bpf/bpf.h>
#include <sched.h>
#include <scx/common.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "destroy_dsq_dispatch.bpf.skel.h"
#include "destroy_dsq_dispatch_test.h"
#include "scx_test.h"
#include "safety_util.h"

#define NR_BUSY		2
#define MIN_RUN_MS	2000
#define MAX_RUN_MS	10000

struct destroy_ctx {
	struct destroy_dsq_dispatch *skel;
	struct bpf_link *link;
	pid_t busy[NR_BUSY];
};

static enum scx_test_status setup(void **ctx)
{
	struct destroy_ctx *dctx;
	int i;

	dctx = calloc(1, sizeof(*dctx));
	SCX_FAIL_IF(!dctx, "Failed to allocate the test context");
	for (i = 0; i < NR_BUSY; i++)
		dctx->busy[i] = -1;

	dctx->skel = destroy_dsq_dispatch__open_and_load();
	if (!dctx->skel) {
		free(dctx);
		SCX_FAIL("Failed to open and load skel");
	}
	*ctx = dctx;

	return SCX_TEST_PASS;
}

static enum scx_test_status run(void *ctx)
{
	struct destroy_ctx *dctx = ctx;
	struct destroy_dsq_dispatch *skel = dctx->skel;
	u64 start;
	int i;

	dctx->link = bpf_map__attach_struct_ops(skel->maps.destroy_dsq_dispatch_ops);
	SCX_FAIL_IF(!dctx->link, "Failed to attach scheduler (%d)", -errno);

	/* Each yield ends a slice and sends the CPU to ops.dispatch(). */
	for (i = 0; i < NR_BUSY; i++) {
		dctx->busy[i] = fork();
		SCX_FAIL_IF(dctx->busy[i] < 0, "Failed to fork busy child");
		if (dctx->busy[i] == 0) {
			/*
			 * The link's fd must not outlive the parent's: the
			 * scheduler detaches only once its last fd closes.
			 */
			close(bpf_link__fd(dctx->link));
			while (true)
				sched_yield();
		}
	}

	start = now_ms();
	while (now_ms() - start < MIN_RUN_MS ||
	       __atomic_load_n(&skel->bss->nr_destroyed, __ATOMIC_ACQUIRE) <
	       NR_VICTIM_DSQS) {
		if (UEI_EXITED(skel, uei) || now_ms() - start > MAX_RUN_MS)
			break;
		usleep(10000);
	}

	SCX_EQ(skel->data->uei.kind, EXIT_KIND(SCX_EXIT_NONE));
	SCX_EQ(skel->bss->nr_destroyed, NR_VICTIM_DSQS);
	SCX_EQ(skel->bss->nr_still_found, 0);

	bpf_link__destroy(dctx->link);
	dctx->link = NULL;
	SCX_EQ(skel->data->uei.kind, EXIT_KIND(SCX_EXIT_UNREG));

	return SCX_TEST_PASS;
}

static void cleanup(void *ctx)
{
	struct destroy_ctx *dctx = ctx;
	int i;

	if (dctx->link)
		bpf_link__destroy(dctx->link);
	for (i = 0; i < NR_BUSY; i++) {
		if (dctx->busy[i] > 0) {
			kill(dctx->busy[i], SIGKILL);
			waitpid(dctx->busy[i], NULL, 0);
		}
	}
	destroy_dsq_dispatch__destroy(dctx->skel);
	free(dctx);
}

struct scx_test destroy_dsq_dispatch = {
	.name = "destroy_dsq_dispatch",
	.description = "Verify that DSQs can be destroyed from ops.dispatch()",
	.setup = setup,
	.run = run,
	.cleanup = cleanup,
};

REGISTER_SCX_TEST(&destroy_dsq_dispatch)
