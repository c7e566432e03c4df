// SPDX-License-Identifier: GPL-2.0
/*
 * scx_bpf_task_cgroup() on the task an operation is called for, and on
 * another one.
 *
 * Every task stays on its CPU and goes to the global DSQ, through
 * ops.enqueue(): ops.select_cpu() dispatches nothing. For the task
 * target_pid, ops.select_cpu(), ops.enqueue() and ops.running() ask for its
 * cgroup, which must be the one user space put it in, expect_cgid, whenever
 * that is set: the calls that give it and those that don't are counted. Once user space sets
 * other_pid, ops.running() of the target also asks for the cgroup of the
 * task other_pid, which no operation is called for: the core must reject
 * the call and eject the scheduler.
 */

#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

UEI_DEFINE(uei);

/* Set by user space. */
s32 target_pid;
s32 other_pid;
u64 expect_cgid;	/* 0: not compared */

/* For user space. */
u64 nr_sel_match, nr_sel_mismatch, last_sel_cgid;
u64 nr_enq_match, nr_enq_mismatch, last_enq_cgid;
u64 nr_run_match, nr_run_mismatch, last_run_cgid;
u64 nr_other_calls, other_cgid;

static __always_inline void check_cgroup(struct task_struct *p, u64 *match,
					 u64 *mismatch, u64 *last)
{
	u64 expect = expect_cgid;
	struct cgroup *cgrp;
	u64 cgid;

	cgrp = scx_bpf_task_cgroup(p);
	cgid = cgrp->kn->id;
	bpf_cgroup_release(cgrp);

	*last = cgid;
	if (!expect)
		return;
	if (cgid == expect)
		__sync_fetch_and_add(match, 1);
	else
		__sync_fetch_and_add(mismatch, 1);
}

s32 BPF_STRUCT_OPS(task_cgroup_select_cpu, struct task_struct *p,
		   s32 prev_cpu, u64 wake_flags)
{
	if (target_pid && p->pid == target_pid)
		check_cgroup(p, &nr_sel_match, &nr_sel_mismatch, &last_sel_cgid);

	return prev_cpu;
}

void BPF_STRUCT_OPS(task_cgroup_enqueue, struct task_struct *p, u64 enq_flags)
{
	if (target_pid && p->pid == target_pid)
		check_cgroup(p, &nr_enq_match, &nr_enq_mismatch, &last_enq_cgid);

	scx_bpf_dispatch(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

void BPF_STRUCT_OPS(task_cgroup_running, struct task_struct *p)
{
	struct task_struct *other;
	struct cgroup *cgrp;

	if (!target_pid || p->pid != target_pid)
		return;

	check_cgroup(p, &nr_run_match, &nr_run_mismatch, &last_run_cgid);

	if (!other_pid)
		return;
	other = bpf_task_from_pid(other_pid);
	if (!other)
		return;
	/* Not a task this operation is called for: an error. */
	cgrp = scx_bpf_task_cgroup(other);
	other_cgid = cgrp->kn->id;
	bpf_cgroup_release(cgrp);
	bpf_task_release(other);
	__sync_fetch_and_add(&nr_other_calls, 1);
}

void BPF_STRUCT_OPS(task_cgroup_exit, struct scx_exit_info *ei)
{
	UEI_RECORD(uei, ei);
}

SEC(".struct_ops.link")
struct sched_ext_ops task_cgroup_ops = {
	.select_cpu		= (void *)task_cgroup_select_cpu,
	.enqueue		= (void *)task_cgroup_enqueue,
	.running		= (void *)task_cgroup_running,
	.exit			= (void *)task_cgroup_exit,
	.name			= "task_cgroup",
};
