// SPDX-License-Identifier: GPL-2.0
/*
 * A scheduler with the cgroup callbacks: everything on the global DSQ, and
 * a record of what the core told it about cgroups.
 *
 * ops.cgroup_prep_move() refuses, with PREP_MOVE_ERR, to move the tasks of
 * the test's child process to the cgroup user space calls forbidden: all of
 * them, or only the thread fail_tid if it is set. Every prep_move() that
 * succeeds is remembered per thread, and must be followed by exactly one
 * ops.cgroup_move() or ops.cgroup_cancel_move() with the same cgroups;
 * anything else counts in nr_bad. ops.cgroup_init(), ops.cgroup_exit() and
 * ops.cgroup_set_weight() record the ids and weights they see.
 */

#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

/* Not an errno that the cgroup core returns itself, see cgroup_move.c. */
#define PREP_MOVE_ERR	EXFULL

UEI_DEFINE(uei);

/* Set by user space. */
s32 target_tgid;	/* the process whose moves are watched */
u64 forbidden_cgid;	/* prep_move() to it fails, if not 0 */
s32 fail_tid;		/* only this thread fails, if not 0 */

/* For user space; the target's threads only. */
u64 nr_prep_ok, nr_prep_fail, nr_moves, nr_cancels, nr_bad;
u64 last_move_from, last_move_to;
s32 last_cancel_tid;
u64 last_cancel_from, last_cancel_to;

/* The last ops.cgroup_set_weight() of any cgroup. */
u64 weight_cgid;
u32 weight_val;

struct move {
	u64 from;
	u64 to;
};

/* A thread's move between a successful prep_move() and its end. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, s32);
	__type(value, struct move);
} prepped SEC(".maps");

/* The weight ops.cgroup_init() saw, per cgroup id. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u64);
	__type(value, u32);
} inited SEC(".maps");

/* How many times ops.cgroup_exit() saw a cgroup id. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u64);
	__type(value, u32);
} exited SEC(".maps");

static bool watched(struct task_struct *p)
{
	return target_tgid && p->tgid == target_tgid;
}

s32 BPF_STRUCT_OPS(cgroup_move_cgroup_init, struct cgroup *cgrp,
		   struct scx_cgroup_init_args *args)
{
	u64 cgid = cgrp->kn->id;
	u32 weight = args->weight;

	bpf_map_update_elem(&inited, &cgid, &weight, BPF_ANY);
	return 0;
}

void BPF_STRUCT_OPS(cgroup_move_cgroup_exit, struct cgroup *cgrp)
{
	u64 cgid = cgrp->kn->id;
	u32 one = 1, *cnt;

	cnt = bpf_map_lookup_elem(&exited, &cgid);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	else
		bpf_map_update_elem(&exited, &cgid, &one, BPF_NOEXIST);
}

s32 BPF_STRUCT_OPS(cgroup_move_cgroup_prep_move, struct task_struct *p,
		   struct cgroup *from, struct cgroup *to)
{
	struct move mv = { .from = from->kn->id, .to = to->kn->id };
	s32 tid = p->pid;

	if (!watched(p))
		return 0;

	if (forbidden_cgid && mv.to == forbidden_cgid &&
	    (!fail_tid || fail_tid == tid)) {
		__sync_fetch_and_add(&nr_prep_fail, 1);
		return -PREP_MOVE_ERR;
	}

	/* A thread in the middle of a move can't be prepared again. */
	if (bpf_map_update_elem(&prepped, &tid, &mv, BPF_NOEXIST))
		__sync_fetch_and_add(&nr_bad, 1);
	__sync_fetch_and_add(&nr_prep_ok, 1);
	return 0;
}

/* Ends @p's move from @from to @to; whether it was prepared as such. */
static bool end_move(struct task_struct *p, struct cgroup *from,
		     struct cgroup *to)
{
	s32 tid = p->pid;
	struct move *mv;
	bool ok;

	mv = bpf_map_lookup_elem(&prepped, &tid);
	if (!mv)
		return false;
	ok = mv->from == from->kn->id && mv->to == to->kn->id;
	bpf_map_delete_elem(&prepped, &tid);
	return ok;
}

void BPF_STRUCT_OPS(cgroup_move_cgroup_move, struct task_struct *p,
		    struct cgroup *from, struct cgroup *to)
{
	if (!watched(p))
		return;

	if (!end_move(p, from, to))
		__sync_fetch_and_add(&nr_bad, 1);
	last_move_from = from->kn->id;
	last_move_to = to->kn->id;
	__sync_fetch_and_add(&nr_moves, 1);
}

void BPF_STRUCT_OPS(cgroup_move_cgroup_cancel_move, struct task_struct *p,
		    struct cgroup *from, struct cgroup *to)
{
	if (!watched(p))
		return;

	if (!end_move(p, from, to))
		__sync_fetch_and_add(&nr_bad, 1);
	last_cancel_tid = p->pid;
	last_cancel_from = from->kn->id;
	last_cancel_to = to->kn->id;
	__sync_fetch_and_add(&nr_cancels, 1);
}

void BPF_STRUCT_OPS(cgroup_move_cgroup_set_weight, struct cgroup *cgrp,
		    u32 weight)
{
	weight_cgid = cgrp->kn->id;
	weight_val = weight;
}

void BPF_STRUCT_OPS(cgroup_move_exit, struct scx_exit_info *ei)
{
	UEI_RECORD(uei, ei);
}

SEC(".struct_ops.link")
struct sched_ext_ops cgroup_move_ops = {
	.cgroup_init		= (void *)cgroup_move_cgroup_init,
	.cgroup_exit		= (void *)cgroup_move_cgroup_exit,
	.cgroup_prep_move	= (void *)cgroup_move_cgroup_prep_move,
	.cgroup_move		= (void *)cgroup_move_cgroup_move,
	.cgroup_cancel_move	= (void *)cgroup_move_cgroup_cancel_move,
	.cgroup_set_weight	= (void *)cgroup_move_cgroup_set_weight,
	.exit			= (void *)cgroup_move_exit,
	.flags			= SCX_OPS_HAS_CGROUP_WEIGHT,
	.name			= "cgroup_move",
};
