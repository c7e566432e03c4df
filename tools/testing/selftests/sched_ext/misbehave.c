// SPDX-License-Identifier: GPL-2.0
/*
 * Misbehaving schedulers: each test attaches misbehave_ops (see
 * misbehave.bpf.c) in one mode, under a load of a few sleeping and spinning
 * children, and checks how it ends:
 *
 * - Most modes break a rule the core enforces. The scheduler must be
 *   ejected with the exit kind and the message the core gives that rule,
 *   within EXIT_WAIT_MS.
 * - Three do something the core must tolerate: dispatching a task twice
 *   (the core drops the second dispatch), failing ops.init_task() for a
 *   fork (that fork fails, with the errno ops.init_task() returned), and
 *   attaching and detaching in a loop while tasks fork and exit. The
 *   scheduler must still be running when detached.
 *
 * Either way, once detached, the scheduler must have been given back every
 * task it was given: as many ops.exit_task() calls as ops.init_task()
 * calls that succeeded. Then misbehave_sane_ops must attach and schedule
 * tasks, which shows that the kernel recovered. The harness looks for BUG,
 * WARNING and lockdep reports in the kernel log of each test.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <scx/common.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include "misbehave.h"
#include "misbehave.bpf.skel.h"
#include "scx_test.h"
#include "safety_util.h"

#define EXIT_WAIT_MS		30000
#define STATE_WAIT_MS		5000
#define SANE_WAIT_MS		10000
#define SANE_ENQUEUES		50
/* How many times a tolerated misbehaviour must have happened. */
#define SURVIVE_MIN		200
#define SURVIVE_WAIT_MS		20000
#define NR_FORKS		2100
#define NR_ATTACH_CYCLES	20
#define NR_SLEEPERS		2
#define NR_SPINNERS		1
#define MAX_CHILDREN		(NR_SLEEPERS + NR_SPINNERS + 1)

struct mb_case {
	enum misbehave_mode mode;
	/* The exit kind, by name; NULL for a scheduler that must survive. */
	const char *kind;
	/* The exit message must contain one of these. */
	const char *msg[2];
	/* For SCX_EXIT_UNREG_BPF: the exit code. */
	s64 exit_code;
};

struct mb_ctx {
	const struct mb_case *c;
	struct misbehave *skel;
	struct bpf_link *link;
	pid_t children[MAX_CHILDREN];
	int nr_children;
};

static void sleeper(void)
{
	while (true)
		usleep(200);
}

static void spinner(void)
{
	while (true)
		;
}

/* A child that forks children that exit at once, forever. */
static void forker(void)
{
	pid_t pid;

	while (true) {
		pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
}

static int start_child(struct mb_ctx *mctx, void (*fn)(void))
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		fn();
		_exit(0);
	}
	mctx->children[mctx->nr_children++] = pid;
	return 0;
}

static void stop_children(struct mb_ctx *mctx)
{
	int i;

	for (i = 0; i < mctx->nr_children; i++)
		kill(mctx->children[i], SIGKILL);
	for (i = 0; i < mctx->nr_children; i++)
		waitpid(mctx->children[i], NULL, 0);
	mctx->nr_children = 0;
}

/*
 * Every task the scheduler was given must have been handed back: the core
 * calls ops.exit_task() once for each ops.init_task() that succeeded, when
 * the task dies or when the scheduler leaves, and the scheduler has left.
 */
static enum scx_test_status check_tasks_returned(struct misbehave *skel)
{
	u64 inits = skel->bss->nr_init_task - skel->bss->nr_init_failed;

	SCX_FAIL_IF(inits != skel->bss->nr_exit_task,
		    "%llu ops.init_task() succeeded, but %llu ops.exit_task()",
		    (unsigned long long)inits,
		    (unsigned long long)skel->bss->nr_exit_task);
	return SCX_TEST_PASS;
}

static enum scx_test_status detach(struct mb_ctx *mctx)
{
	char state[32];

	bpf_link__destroy(mctx->link);
	mctx->link = NULL;
	SCX_FAIL_IF(read_str(SCX_STATE, state, sizeof(state)) ||
		    strcmp(state, "disabled"),
		    "%s does not read \"disabled\" after detaching", SCX_STATE);
	return check_tasks_returned(mctx->skel);
}

static enum scx_test_status check_ejected(struct mb_ctx *mctx)
{
	const struct mb_case *c = mctx->c;
	struct misbehave *skel = mctx->skel;
	const char *msg = skel->data->uei.msg;
	u64 deadline = now_ms() + EXIT_WAIT_MS;

	while (!UEI_EXITED(skel, uei)) {
		SCX_FAIL_IF(now_ms() > deadline,
			    "Not ejected within %d ms (%llu enqueues, misbehaved %llu times)",
			    EXIT_WAIT_MS, (unsigned long long)skel->bss->nr_enqueued,
			    (unsigned long long)skel->bss->nr_misbehaved);
		usleep(10000);
	}

	SCX_FAIL_IF(skel->data->uei.kind != __COMPAT_ENUM_OR_ZERO("scx_exit_kind", c->kind),
		    "Exit kind %d (\"%s\": \"%s\"), expected %s", skel->data->uei.kind,
		    skel->data->uei.reason, msg, c->kind);
	SCX_FAIL_IF(!strstr(msg, c->msg[0]) && !(c->msg[1] && strstr(msg, c->msg[1])),
		    "Exit message \"%s\" contains neither \"%s\" nor \"%s\"", msg,
		    c->msg[0], c->msg[1] ?: "");
	if (c->exit_code)
		SCX_EQ(skel->data->uei.exit_code, c->exit_code);
	return detach(mctx);
}

/* The scheduler tolerated what it did SURVIVE_MIN times, and is still up. */
static enum scx_test_status check_survived(struct mb_ctx *mctx)
{
	struct misbehave *skel = mctx->skel;
	u64 deadline = now_ms() + SURVIVE_WAIT_MS;

	while (skel->bss->nr_misbehaved < SURVIVE_MIN) {
		SCX_FAIL_IF(UEI_EXITED(skel, uei), "Ejected: \"%s\": \"%s\"",
			    skel->data->uei.reason, skel->data->uei.msg);
		SCX_FAIL_IF(now_ms() > deadline,
			    "Misbehaved only %llu times in %d ms",
			    (unsigned long long)skel->bss->nr_misbehaved, SURVIVE_WAIT_MS);
		usleep(10000);
	}
	return SCX_TEST_PASS;
}

/*
 * Forks NR_FORKS children that exit at once while ops.init_task() fails one
 * fork in MB_INIT_FAIL_EVERY: those forks, and only those, must fail, with
 * -ENOMEM.
 */
static enum scx_test_status fork_with_failures(struct mb_ctx *mctx)
{
	struct misbehave *skel = mctx->skel;
	int i, failed = 0;
	pid_t pid;

	for (i = 0; i < NR_FORKS; i++) {
		pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid < 0) {
			SCX_FAIL_IF(errno != ENOMEM, "fork() failed with %d, expected %d",
				    errno, ENOMEM);
			failed++;
			continue;
		}
		waitpid(pid, NULL, 0);
	}
	SCX_FAIL_IF(UEI_EXITED(skel, uei), "Ejected: \"%s\": \"%s\"",
		    skel->data->uei.reason, skel->data->uei.msg);
	SCX_GE(failed, 1);
	SCX_GE(skel->bss->nr_init_failed, failed);
	return SCX_TEST_PASS;
}

/* Attaches and detaches NR_ATTACH_CYCLES times while a child forks. */
static enum scx_test_status attach_loop(struct mb_ctx *mctx)
{
	struct misbehave *skel = mctx->skel;
	enum scx_test_status status;
	int i;

	SCX_FAIL_IF(start_child(mctx, forker), "Failed to fork the forker");
	for (i = 0; i < NR_ATTACH_CYCLES; i++) {
		mctx->link = bpf_map__attach_struct_ops(skel->maps.misbehave_ops);
		SCX_FAIL_IF(!mctx->link, "Cycle %d: failed to attach (%d)", i, -errno);
		SCX_FAIL_IF(!wait_state("enabled", STATE_WAIT_MS),
			    "Cycle %d: %s does not read \"enabled\"", i, SCX_STATE);
		usleep(20000);
		status = detach(mctx);
		if (status != SCX_TEST_PASS)
			return status;
		SCX_FAIL_IF(skel->data->uei.kind != EXIT_KIND(SCX_EXIT_UNREG),
			    "Cycle %d: exit kind %d (\"%s\": \"%s\")", i,
			    skel->data->uei.kind, skel->data->uei.reason,
			    skel->data->uei.msg);
		skel->data->uei.kind = 0;
	}
	return SCX_TEST_PASS;
}

/* A correct scheduler attaches after the misbehaving one, and schedules. */
static enum scx_test_status check_sane(struct mb_ctx *mctx)
{
	struct misbehave *skel = mctx->skel;
	u64 start, deadline;

	mctx->link = bpf_map__attach_struct_ops(skel->maps.misbehave_sane_ops);
	SCX_FAIL_IF(!mctx->link, "Failed to attach the sane scheduler (%d)", -errno);
	SCX_FAIL_IF(!wait_state("enabled", STATE_WAIT_MS),
		    "%s does not read \"enabled\" with the sane scheduler", SCX_STATE);
	start = skel->bss->nr_sane_enqueued;
	deadline = now_ms() + SANE_WAIT_MS;
	while (skel->bss->nr_sane_enqueued - start < SANE_ENQUEUES) {
		SCX_FAIL_IF(now_ms() > deadline,
			    "The sane scheduler enqueued %llu tasks in %d ms",
			    (unsigned long long)(skel->bss->nr_sane_enqueued - start),
			    SANE_WAIT_MS);
		usleep(10000);
	}
	SCX_FAIL_IF(UEI_EXITED(skel, sane_uei), "The sane scheduler exited: \"%s\": \"%s\"",
		    skel->data->sane_uei.reason, skel->data->sane_uei.msg);
	bpf_link__destroy(mctx->link);
	mctx->link = NULL;
	SCX_EQ(skel->data->sane_uei.kind, EXIT_KIND(SCX_EXIT_UNREG));
	return SCX_TEST_PASS;
}

static enum scx_test_status setup_case(void **ctx, const struct mb_case *c)
{
	struct mb_ctx *mctx;

	mctx = calloc(1, sizeof(*mctx));
	SCX_FAIL_IF(!mctx, "Failed to allocate the test context");
	mctx->c = c;
	mctx->skel = misbehave__open_and_load();
	if (!mctx->skel) {
		free(mctx);
		SCX_FAIL("Failed to open and load skel");
	}
	mctx->skel->bss->mode = c->mode;
	*ctx = mctx;
	return SCX_TEST_PASS;
}

static enum scx_test_status run(void *ctx)
{
	struct mb_ctx *mctx = ctx;
	const struct mb_case *c = mctx->c;
	enum scx_test_status status;
	int i;

	for (i = 0; i < NR_SLEEPERS; i++)
		SCX_FAIL_IF(start_child(mctx, sleeper), "Failed to fork a sleeper");
	for (i = 0; i < NR_SPINNERS; i++)
		SCX_FAIL_IF(start_child(mctx, spinner), "Failed to fork a spinner");

	if (c->mode == MB_NONE) {
		status = attach_loop(mctx);
	} else {
		mctx->link = bpf_map__attach_struct_ops(mctx->skel->maps.misbehave_ops);
		SCX_FAIL_IF(!mctx->link, "Failed to attach (%d)", -errno);
		if (c->kind) {
			status = check_ejected(mctx);
		} else {
			if (c->mode == MB_INIT_FAIL_FORK)
				status = fork_with_failures(mctx);
			else
				status = check_survived(mctx);
			if (status == SCX_TEST_PASS)
				status = detach(mctx);
			SCX_FAIL_IF(status == SCX_TEST_PASS &&
				    mctx->skel->data->uei.kind != EXIT_KIND(SCX_EXIT_UNREG),
				    "Exit kind %d (\"%s\": \"%s\") after detaching",
				    mctx->skel->data->uei.kind, mctx->skel->data->uei.reason,
				    mctx->skel->data->uei.msg);
		}
	}
	if (status != SCX_TEST_PASS)
		return status;
	return check_sane(mctx);
}

static void cleanup(void *ctx)
{
	struct mb_ctx *mctx = ctx;

	if (!mctx)
		return;
	if (mctx->link)
		bpf_link__destroy(mctx->link);
	stop_children(mctx);
	misbehave__destroy(mctx->skel);
	free(mctx);
}

#define MISBEHAVE_TEST(_name, _desc, ...)					\
	static const struct mb_case case_##_name = { __VA_ARGS__ };		\
	static enum scx_test_status setup_##_name(void **ctx)			\
	{									\
		return setup_case(ctx, &case_##_name);				\
	}									\
	static struct scx_test test_##_name = {					\
		.name = "misbehave_" #_name,					\
		.description = _desc,						\
		.setup = setup_##_name,						\
		.run = run,							\
		.cleanup = cleanup,						\
	};									\
	/* REGISTER_SCX_TEST() can be used once per file only. */		\
	__attribute__((constructor)) static void register_##_name(void)		\
	{									\
		scx_test_register(&test_##_name);				\
	}

#define STALL_MSGS	{ "failed to run for", "watchdog failed to check in for" }

MISBEHAVE_TEST(no_dispatch, "Ejected for a stall: ops.dispatch() stops dispatching",
	       .mode = MB_NO_DISPATCH, .kind = "SCX_EXIT_ERROR_STALL", .msg = STALL_MSGS);
MISBEHAVE_TEST(slow_dispatch,
	       "Ejected for a stall: ops.dispatch() spins 100 ms a call and dispatches nothing",
	       .mode = MB_SLOW_DISPATCH, .kind = "SCX_EXIT_ERROR_STALL", .msg = STALL_MSGS);
MISBEHAVE_TEST(bad_dsq, "Ejected: ops.dispatch() dispatches to a DSQ that does not exist",
	       .mode = MB_BAD_DSQ, .kind = "SCX_EXIT_ERROR",
	       .msg = { "non-existent DSQ 0x5ca1ab1e for " });
MISBEHAVE_TEST(dispatch_twice,
	       "Survives: ops.dispatch() dispatches each task twice, the core drops the second",
	       .mode = MB_DISPATCH_TWICE);
MISBEHAVE_TEST(not_owned, "Ejected: ops.enqueue() dispatches a task it was not given",
	       .mode = MB_NOT_OWNED, .kind = "SCX_EXIT_ERROR",
	       .msg = { "but trying to direct-dispatch " });
MISBEHAVE_TEST(wrong_context, "Ejected: ops.enqueue() calls scx_bpf_consume()",
	       .mode = MB_WRONG_CONTEXT, .kind = "SCX_EXIT_ERROR",
	       .msg = { "kfunc with mask 0x2 called from an operation only allowing 0x4" });
MISBEHAVE_TEST(bad_cpu, "Ejected: ops.select_cpu() returns a CPU that does not exist",
	       .mode = MB_BAD_CPU, .kind = "SCX_EXIT_ERROR",
	       .msg = { "invalid CPU 1048576 from ops.select_cpu()" });
MISBEHAVE_TEST(init_fail_enable, "Ejected: ops.init_task() fails for a task while attaching",
	       .mode = MB_INIT_FAIL_ENABLE, .kind = "SCX_EXIT_ERROR",
	       .msg = { "ops.init_task() failed (-12) for " });
MISBEHAVE_TEST(init_fail_fork,
	       "Survives: ops.init_task() fails 1 fork in 1000, and that fork fails with ENOMEM",
	       .mode = MB_INIT_FAIL_FORK);
MISBEHAVE_TEST(exit_in_enable, "Exits: scx_bpf_exit() from ops.enable() while attaching",
	       .mode = MB_EXIT_IN_ENABLE, .kind = "SCX_EXIT_UNREG_BPF",
	       .msg = { "misbehave: exit from ops.enable() of " }, .exit_code = MB_EXIT_CODE);
MISBEHAVE_TEST(destroy_busy, "Ejected: ops.dispatch() destroys the DSQ that holds its tasks",
	       .mode = MB_DESTROY_BUSY, .kind = "SCX_EXIT_ERROR",
	       .msg = { "attempting to destroy in-use dsq 0x0000000000000001 (nr=" });
MISBEHAVE_TEST(attach_loop,
	       "Survives: attached and detached 20 times while a child forks and its children exit",
	       .mode = MB_NONE);
