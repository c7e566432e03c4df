// SPDX-License-Identifier: GPL-2.0
/*
 * Verify the cgroup callbacks of a BPF scheduler: ops.cgroup_init() for a
 * cgroup made while it is loaded, ops.cgroup_set_weight(), and the moves of
 * a process between cgroups, with an ops.cgroup_prep_move() that succeeds
 * and one that fails.
 *
 * With the scheduler (see cgroup_move.bpf.c) attached, the test makes three
 * cgroups, A, B and F, in a cgroup2 hierarchy with the cpu controller
 * enabled (see cgrp_util.h). Each must have seen ops.cgroup_init() with the
 * default weight, 100; writing B's cpu.weight must call
 * ops.cgroup_set_weight(). A child process of two threads then moves:
 *
 *  1. to A and then to B: both writes to cgroup.procs succeed, and
 *     ops.cgroup_move() is called once per thread, from A to B the second
 *     time;
 *  2. to F, where ops.cgroup_prep_move() refuses every thread: the write
 *     fails with the error prep_move() returned, PREP_MOVE_ERR, an errno
 *     that the cgroup core does not return itself. The core stops at the
 *     first thread, the leader, whose prep_move() failed: nothing is to be
 *     cancelled, so neither ops.cgroup_cancel_move() nor ops.cgroup_move()
 *     is called, and both threads stay in B;
 *  3. to F, where prep_move() refuses the second thread only: the leader,
 *     which comes first in the cgroup core's task set, is prepared, then
 *     the second thread fails it, and the leader's move is cancelled with
 *     ops.cgroup_cancel_move(), from B to F; again nothing moves;
 *  4. to F, with nothing refused: the write succeeds, as the failures were
 *     prep_move()'s.
 *
 * Every successful prep_move() must have been ended by exactly one move or
 * cancel with the same cgroups (nr_bad). At last the cgroups are removed,
 * and each must see ops.cgroup_exit() once.
 */
#include <bpf/bpf.h>
#include <poll.h>
#include <pthread.h>
#include <scx/common.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cgroup_move.bpf.skel.h"
#include "scx_test.h"
#include "safety_util.h"
#include "cgrp_util.h"

#define PREP_MOVE_ERR	EXFULL	/* as in cgroup_move.bpf.c */
#define CHILD_WAIT_MS	5000
#define EXIT_WAIT_MS	5000
#define CG_DFL_WEIGHT	100
#define B_WEIGHT	50

enum { CG_A, CG_B, CG_F, NR_CGS };
static const char * const cg_names[NR_CGS] = { "a", "b", "f" };

struct cgroup_move_ctx {
	struct cgroup_move *skel;
	struct bpf_link *link;
	struct cg_root root;
	char cgs[NR_CGS][PATH_MAX];
	bool made[NR_CGS];
	unsigned long long ids[NR_CGS];
	pid_t child;
	pid_t tid;	/* the child's second thread */
};

static enum scx_test_status setup(void **ctx)
{
	struct cgroup_move_ctx *cctx;
	const char *why = "";
	int ret;

	/* The field that CONFIG_EXT_GROUP_SCHED adds, as do the callbacks. */
	if (!__COMPAT_struct_has_field("sched_ext_entity", "cgrp_moving_from")) {
		fprintf(stderr, "Skipping: no CONFIG_EXT_GROUP_SCHED\n");
		return SCX_TEST_SKIP;
	}

	cctx = calloc(1, sizeof(*cctx));
	SCX_FAIL_IF(!cctx, "Failed to allocate the test context");
	cctx->child = -1;

	ret = cg_root_init(&cctx->root, &why);
	if (ret) {
		fprintf(stderr, "Skipping: %s (%d)\n", why, ret);
		free(cctx);
		return SCX_TEST_SKIP;
	}

	cctx->skel = cgroup_move__open_and_load();
	if (!cctx->skel) {
		cg_root_exit(&cctx->root);
		free(cctx);
		SCX_FAIL("Failed to open and load skel");
	}
	*ctx = cctx;
	return SCX_TEST_PASS;
}

static void *child_thread(void *arg)
{
	int fd = *(int *)arg;
	pid_t tid = gettid();

	if (write(fd, &tid, sizeof(tid)) != sizeof(tid))
		_exit(1);
	while (true)
		pause();
	return NULL;
}

/* Forks the child, of two threads; returns its pid and the second tid. */
static pid_t start_child(pid_t *tid)
{
	struct pollfd pfd;
	int fds[2];
	pid_t pid;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		pthread_t thread;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(fds[0]);
		if (pthread_create(&thread, NULL, child_thread, &fds[1]))
			_exit(1);
		while (true)
			pause();
	}
	close(fds[1]);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	if (pid > 0 && (poll(&pfd, 1, CHILD_WAIT_MS) != 1 ||
			read(fds[0], tid, sizeof(*tid)) != sizeof(*tid))) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(fds[0]);
	return pid;
}

/* Whether both threads of the child are in the cgroup @cg. */
static bool child_in(struct cgroup_move_ctx *cctx, int cg)
{
	return cg_task_in(&cctx->root, cctx->cgs[cg], cctx->child, cctx->child) &&
	       cg_task_in(&cctx->root, cctx->cgs[cg], cctx->child, cctx->tid);
}

/* Whether the map @fd is empty. */
static bool map_empty(int fd)
{
	s32 key;

	return bpf_map_get_next_key(fd, NULL, &key) && errno == ENOENT;
}

/* Waits for ops.cgroup_exit() of every cgroup made; false if one lacks. */
static bool wait_exited(struct cgroup_move_ctx *cctx, u32 *cnt)
{
	int fd = bpf_map__fd(cctx->skel->maps.exited);
	u64 deadline = now_ms() + EXIT_WAIT_MS;
	int i;

	while (true) {
		for (i = 0; i < NR_CGS; i++) {
			cnt[i] = 0;
			bpf_map_lookup_elem(fd, &cctx->ids[i], &cnt[i]);
		}
		for (i = 0; i < NR_CGS && cnt[i]; i++)
			;
		if (i == NR_CGS)
			return true;
		if (now_ms() > deadline)
			return false;
		usleep(10000);
	}
}

static enum scx_test_status run(void *ctx)
{
	struct cgroup_move_ctx *cctx = ctx;
	struct cgroup_move *skel = cctx->skel;
	struct cgroup_move__bss *bss = skel->bss;
	u32 weight, cnt[NR_CGS];
	char name[64];
	int i, ret;

	cctx->child = start_child(&cctx->tid);
	SCX_FAIL_IF(cctx->child < 0, "Failed to start the child");

	cctx->link = bpf_map__attach_struct_ops(skel->maps.cgroup_move_ops);
	SCX_FAIL_IF(!cctx->link, "Failed to attach scheduler (%d)", -errno);

	for (i = 0; i < NR_CGS; i++) {
		snprintf(name, sizeof(name), "scx_cgroup_move.%d.%s", getpid(),
			 cg_names[i]);
		ret = cg_create(&cctx->root, name, cctx->cgs[i],
				sizeof(cctx->cgs[i]));
		SCX_FAIL_IF(ret, "Failed to make cgroup %s (%d)", name, ret);
		cctx->made[i] = true;
		cctx->ids[i] = cg_id(cctx->cgs[i]);
		SCX_FAIL_IF(!cctx->ids[i], "No id for cgroup %s", name);

		weight = 0;
		SCX_FAIL_IF(bpf_map_lookup_elem(bpf_map__fd(skel->maps.inited),
						&cctx->ids[i], &weight),
			    "No ops.cgroup_init() for cgroup %s", name);
		SCX_EQ(weight, CG_DFL_WEIGHT);
	}

	snprintf(name, sizeof(name), "%d", B_WEIGHT);
	SCX_EQ(cg_write(cctx->cgs[CG_B], "cpu.weight", name), 0);
	SCX_EQ(bss->weight_cgid, cctx->ids[CG_B]);
	SCX_EQ(bss->weight_val, B_WEIGHT);

	/* 1: to A, then to B. */
	bss->target_tgid = cctx->child;
	SCX_EQ(cg_enter(cctx->cgs[CG_A], cctx->child), 0);
	SCX_ASSERT(child_in(cctx, CG_A));
	SCX_EQ(bss->nr_prep_ok, 2);
	SCX_EQ(bss->nr_moves, 2);
	SCX_EQ(bss->last_move_to, cctx->ids[CG_A]);

	SCX_EQ(cg_enter(cctx->cgs[CG_B], cctx->child), 0);
	SCX_ASSERT(child_in(cctx, CG_B));
	SCX_EQ(bss->nr_prep_ok, 4);
	SCX_EQ(bss->nr_moves, 4);
	SCX_EQ(bss->last_move_from, cctx->ids[CG_A]);
	SCX_EQ(bss->last_move_to, cctx->ids[CG_B]);
	SCX_EQ(bss->nr_prep_fail, 0);
	SCX_EQ(bss->nr_cancels, 0);

	/* 2: to F, refused for every thread. */
	bss->forbidden_cgid = cctx->ids[CG_F];
	ret = cg_enter(cctx->cgs[CG_F], cctx->child);
	SCX_FAIL_IF(ret != -PREP_MOVE_ERR,
		    "Move to the forbidden cgroup returned %d, not %d", ret,
		    -PREP_MOVE_ERR);
	SCX_ASSERT(child_in(cctx, CG_B));
	SCX_EQ(bss->nr_prep_fail, 1);
	SCX_EQ(bss->nr_prep_ok, 4);
	SCX_EQ(bss->nr_cancels, 0);
	SCX_EQ(bss->nr_moves, 4);

	/* 3: to F, refused for the second thread only. */
	bss->fail_tid = cctx->tid;
	ret = cg_enter(cctx->cgs[CG_F], cctx->child);
	SCX_FAIL_IF(ret != -PREP_MOVE_ERR,
		    "Move to the forbidden cgroup returned %d, not %d", ret,
		    -PREP_MOVE_ERR);
	SCX_ASSERT(child_in(cctx, CG_B));
	SCX_EQ(bss->nr_prep_fail, 2);
	SCX_EQ(bss->nr_prep_ok, 5);
	SCX_EQ(bss->nr_cancels, 1);
	SCX_EQ(bss->last_cancel_tid, cctx->child);
	SCX_EQ(bss->last_cancel_from, cctx->ids[CG_B]);
	SCX_EQ(bss->last_cancel_to, cctx->ids[CG_F]);
	SCX_EQ(bss->nr_moves, 4);

	/* 4: to F, allowed. */
	bss->forbidden_cgid = 0;
	bss->fail_tid = 0;
	SCX_EQ(cg_enter(cctx->cgs[CG_F], cctx->child), 0);
	SCX_ASSERT(child_in(cctx, CG_F));
	SCX_EQ(bss->nr_prep_ok, 7);
	SCX_EQ(bss->nr_moves, 6);
	SCX_EQ(bss->last_move_from, cctx->ids[CG_B]);
	SCX_EQ(bss->last_move_to, cctx->ids[CG_F]);

	SCX_EQ(bss->nr_bad, 0);
	SCX_ASSERT(map_empty(bpf_map__fd(skel->maps.prepped)));
	SCX_EQ(skel->data->uei.kind, EXIT_KIND(SCX_EXIT_NONE));

	/* The cgroups go. */
	kill(cctx->child, SIGKILL);
	waitpid(cctx->child, NULL, 0);
	cctx->child = -1;
	for (i = 0; i < NR_CGS; i++) {
		ret = cg_remove(cctx->cgs[i]);
		SCX_FAIL_IF(ret, "Failed to remove %s (%d)", cctx->cgs[i], ret);
		cctx->made[i] = false;
	}
	SCX_FAIL_IF(!wait_exited(cctx, cnt),
		    "No ops.cgroup_exit() in %d ms: a %u, b %u, f %u",
		    EXIT_WAIT_MS, cnt[CG_A], cnt[CG_B], cnt[CG_F]);
	for (i = 0; i < NR_CGS; i++)
		SCX_EQ(cnt[i], 1);

	bpf_link__destroy(cctx->link);
	cctx->link = NULL;
	SCX_EQ(skel->data->uei.kind, EXIT_KIND(SCX_EXIT_UNREG));

	return SCX_TEST_PASS;
}

static void cleanup(void *ctx)
{
	struct cgroup_move_ctx *cctx = ctx;
	int i;

	if (cctx->child > 0) {
		kill(cctx->child, SIGKILL);
		waitpid(cctx->child, NULL, 0);
	}
	for (i = 0; i < NR_CGS; i++)
		if (cctx->made[i])
			cg_remove(cctx->cgs[i]);
	if (cctx->link)
		bpf_link__destroy(cctx->link);
	cgroup_move__destroy(cctx->skel);
	cg_root_exit(&cctx->root);
	free(cctx);
}

struct scx_test cgroup_move = {
	.name = "cgroup_move",
	.description = "Verify ops.cgroup_init/prep_move/move/cancel_move/exit across cgroup moves",
	.setup = setup,
	.run = run,
	.cleanup = cleanup,
};

REGISTER_SCX_TEST(&cgroup_move)
