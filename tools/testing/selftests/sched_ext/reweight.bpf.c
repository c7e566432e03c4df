// SPDX-License-Identifier: GPL-2.0
/*
 * A partial scheduler that records the weights the core gives one task: the
 * weight it sees in ops.enable(), and both the argument of ops.set_weight()
 * and the task's p->scx.weight at that call.
 */

#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

/* Set by user space before the target switches to SCHED_EXT. */
s32 target_pid;

u64 nr_enable, nr_set_weight;
u32 enable_weight, set_weight_arg, set_weight_task;

UEI_DEFINE(uei);

static bool is_target(const struct task_struct *p)
{
	return target_pid && p->pid == target_pid;
}

void BPF_STRUCT_OPS(reweight_enable, struct task_struct *p)
{
	if (!is_target(p))
		return;

	enable_weight = p->scx.weight;
	__sync_fetch_and_add(&nr_enable, 1);
}

void BPF_STRUCT_OPS(reweight_set_weight, struct task_struct *p, u32 weight)
{
	if (!is_target(p))
		return;

	set_weight_arg = weight;
	set_weight_task = p->scx.weight;
	__sync_fetch_and_add(&nr_set_weight, 1);
}

void BPF_STRUCT_OPS(reweight_exit, struct scx_exit_info *ei)
{
	UEI_RECORD(uei, ei);
}

SEC(".struct_ops.link")
struct sched_ext_ops reweight_ops = {
	.enable			= (void *)reweight_enable,
	.set_weight		= (void *)reweight_set_weight,
	.exit			= (void *)reweight_exit,
	.flags			= SCX_OPS_SWITCH_PARTIAL,
	.name			= "reweight",
	.timeout_ms		= 1000U,
};
