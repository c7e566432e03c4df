// SPDX-License-Identifier: GPL-2.0
/*
 * Verify that kicks with SCX_KICK_WAIT neither deadlock nor stall the
 * system.
 *
 * The scheduler (see kick_wait.bpf.c) makes CPU 0, or CPUs 0 and 1, kick
 * the other with SCX_KICK_WAIT on every fourth tick and on some enqueues
 * and dispatches, while children pinned to the two CPUs keep them
 * scheduling. For RUN_MS, the scheduler must stay attached, every child
 * must make progress in every PERIOD_MS, and kicks must have been made
 * from every site.
 *
 * - kick_wait: CPU 0, kept busy, kicks CPU 1, which runs sleepy children
 *   and is otherwise idle.
 * - kick_wait_mutual: both CPUs are kept busy and kick each other.
 *
 * On the 6.12 C core, a waiting CPU spins in the kick's irq_work, with
 * IRQs disabled, until the kicked CPU's rq->scx.pnt_seq moves, and only
 * switch_class() moves it: when the CPU switches from an SCX task to a
 * task of another class, here to the idle task. A kicked CPU that goes on
 * running SCX tasks holds the waiting CPU for as long, and two CPUs that
 * wait for each other deadlock: neither can reschedule. In kick_wait, CPU
 * 1 goes idle every millisecond or so, and CPU 0 kicks at most every few
 * milliseconds, so that it keeps running on the C core too (kicking on
 * every tick starves its tasks under emulation). kick_wait_mutual hangs
 * the C core, and so runs only if SCX_TEST_KICK_WAIT_MUTUAL is set in the
 * environment.
 */
#include <bpf/bpf.h>
#include <scx/common.h>
#include <stdio.h>
#include <stdlib.h>
#include "kick_wait.bpf.skel.h"
#include "scx_test.h"
#include "safety_util.h"
#include "load_util.h"

#define NR_CHILDREN	6
#define RUN_MS		5000
#define PERIOD_MS	1000
#define MUTUAL_ENV	"SCX_TEST_KICK_WAIT_MUTUAL"

/* The kick sites of kick_wait.bpf.c. */
enum { FROM_TICK, FROM_ENQUEUE, FROM_DISPATCH };

struct kick_wait_ctx {
	struct kick_wait *skel;
	struct bpf_link *link;
	unsigned long *counters;
	pid_t children[NR_CHILDREN];
};

static enum scx_test_status setup(void **ctx)
{
	struct kick_wait_ctx *kctx;
	cpu_set_t online;
	int i;

	if (sched_getaffinity(0, sizeof(online), &online) ||
	    !CPU_ISSET(0, &online) || !CPU_ISSET(1, &online)) {
		fprintf(stderr, "Needs CPUs 0 and 1 online\n");
		return SCX_TEST_SKIP;
	}

	kctx = calloc(1, sizeof(*kctx));
	SCX_FAIL_IF(!kctx, "Failed to allocate the test context");
	for (i = 0; i < NR_CHILDREN; i++)
		kctx->children[i] = -1;

	kctx->counters = load_counters_map();
	kctx->skel = kick_wait__open_and_load();
	if (!kctx->counters || !kctx->skel) {
		load_counters_unmap(kctx->counters);
		kick_wait__destroy(kctx->skel);
		free(kctx);
		SCX_FAIL("Failed to open and load skel");
	}
	*ctx = kctx;

	return SCX_TEST_PASS;
}

static enum scx_test_status setup_mutual(void **ctx)
{
	if (!getenv(MUTUAL_ENV)) {
		fprintf(stderr, "Deadlocks the 6.12 C core; set %s to run\n",
			MUTUAL_ENV);
		return SCX_TEST_SKIP;
	}
	return setup(ctx);
}

/*
 * Runs the children described by @kinds and @cpus and the scheduler with
 * @kickers kicking, and checks that everything keeps running.
 */
static enum scx_test_status run_kicks(struct kick_wait_ctx *kctx, u64 kickers,
				      const enum load_kind *kinds,
				      const int *cpus)
{
	struct kick_wait *skel = kctx->skel;
	unsigned long last[NR_CHILDREN] = {}, now;
	u64 start, period;
	int i;

	skel->bss->kickers = kickers;

	/* Forked before the attach, so that they don't hold the link. */
	for (i = 0; i < NR_CHILDREN; i++) {
		kctx->children[i] = spawn_load(kinds[i], cpus[i], false, NULL,
					       kctx->counters, i);
		SCX_FAIL_IF(kctx->children[i] < 0, "Failed to fork a child");
	}

	kctx->link = bpf_map__attach_struct_ops(skel->maps.kick_wait_ops);
	SCX_FAIL_IF(!kctx->link, "Failed to attach scheduler (%d)", -errno);

	for (start = now_ms(); now_ms() - start < RUN_MS;) {
		period = now_ms();
		while (now_ms() - period < PERIOD_MS && !UEI_EXITED(skel, uei))
			usleep(10000);
		SCX_EQ(skel->data->uei.kind, EXIT_KIND(SCX_EXIT_NONE));

		for (i = 0; i < NR_CHILDREN; i++) {
			now = __atomic_load_n(&kctx->counters[i], __ATOMIC_RELAXED);
			SCX_FAIL_IF(now == last[i],
				    "Child %d, on CPU %d, made no progress in %d ms",
				    i, cpus[i], PERIOD_MS);
			last[i] = now;
		}
	}

	fprintf(stderr, "kicks with SCX_KICK_WAIT: tick %llu, enqueue %llu, dispatch %llu\n",
		ULL(skel->bss->nr_kicks[FROM_TICK]),
		ULL(skel->bss->nr_kicks[FROM_ENQUEUE]),
		ULL(skel->bss->nr_kicks[FROM_DISPATCH]));

	SCX_GT(skel->bss->nr_kicks[FROM_TICK], 0);
	SCX_GT(skel->bss->nr_kicks[FROM_ENQUEUE], 0);
	SCX_GT(skel->bss->nr_kicks[FROM_DISPATCH], 0);

	bpf_link__destroy(kctx->link);
	kctx->link = NULL;
	SCX_EQ(skel->data->uei.kind, EXIT_KIND(SCX_EXIT_UNREG));

	return SCX_TEST_PASS;
}

/* CPU 0 busy and kicking; CPU 1 woken up often, idle in between. */
static enum scx_test_status run(void *ctx)
{
	static const enum load_kind kinds[NR_CHILDREN] = {
		LOAD_BUSY, LOAD_BUSY, LOAD_SLEEPY,
		LOAD_SLEEPY, LOAD_SLEEPY, LOAD_SLEEPY,
	};
	static const int cpus[NR_CHILDREN] = { 0, 0, 0, 1, 1, 1 };

	return run_kicks(ctx, 1 << 0, kinds, cpus);
}

/* Both CPUs busy and kicking each other. */
static enum scx_test_status run_mutual(void *ctx)
{
	static const enum load_kind kinds[NR_CHILDREN] = {
		LOAD_BUSY, LOAD_BUSY, LOAD_SLEEPY,
		LOAD_BUSY, LOAD_BUSY, LOAD_SLEEPY,
	};
	static const int cpus[NR_CHILDREN] = { 0, 0, 0, 1, 1, 1 };

	return run_kicks(ctx, 1 << 0 | 1 << 1, kinds, cpus);
}

static void cleanup(void *ctx)
{
	struct kick_wait_ctx *kctx = ctx;

	if (kctx->link)
		bpf_link__destroy(kctx->link);
	reap_load(kctx->children, NR_CHILDREN);
	load_counters_unmap(kctx->counters);
	kick_wait__destroy(kctx->skel);
	free(kctx);
}

struct scx_test kick_wait = {
	.name = "kick_wait",
	.description = "Verify that a CPU kicking another with SCX_KICK_WAIT keeps running",
	.setup = setup,
	.run = run,
	.cleanup = cleanup,
};

struct scx_test kick_wait_mutual = {
	.name = "kick_wait_mutual",
	.description = "Verify that CPUs kicking each other with SCX_KICK_WAIT keep running",
	.setup = setup_mutual,
	.run = run_mutual,
	.cleanup = cleanup,
};

/* What REGISTER_SCX_TEST() does, which can't be used twice in a file. */
__attribute__((constructor))
static void register_kick_wait_tests(void)
{
	scx_test_register(&kick_wait);
	scx_test_register(&kick_wait_mutual);
}
