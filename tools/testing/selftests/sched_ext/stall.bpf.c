// SPDX-License-Identifier: GPL-2.0
/*
 * A scheduler that never runs the tasks it is given, for the watchdog test.
 *
 * ops.enqueue() queues every task on a user DSQ that nothing consumes: there
 * is no ops.dispatch(). ops.select_cpu() is implemented only so that the
 * default CPU selection cannot dispatch a waking task directly to a local
 * DSQ and bypass ops.enqueue(). With SCX_OPS_SWITCH_PARTIAL, only the tasks
 * that ask for SCHED_EXT are affected.
 */

#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

#define STALL_DSQ	0

UEI_DEFINE(uei);

s32 BPF_STRUCT_OPS(stall_select_cpu, struct task_struct *p, s32 prev_cpu,
		   u64 wake_flags)
{
	return prev_cpu;
}

void BPF_STRUCT_OPS(stall_enqueue, struct task_struct *p, u64 enq_flags)
{
	scx_bpf_dispatch(p, STALL_DSQ, SCX_SLICE_DFL, enq_flags);
}

s32 BPF_STRUCT_OPS_SLEEPABLE(stall_init)
{
	return scx_bpf_create_dsq(STALL_DSQ, -1);
}

void BPF_STRUCT_OPS(stall_exit, struct scx_exit_info *ei)
{
	UEI_RECORD(uei, ei);
}

SEC(".struct_ops.link")
struct sched_ext_ops stall_ops = {
	.select_cpu		= (void *)stall_select_cpu,
	.enqueue		= (void *)stall_enqueue,
	.init			= (void *)stall_init,
	.exit			= (void *)stall_exit,
	.flags			= SCX_OPS_SWITCH_PARTIAL,
	.timeout_ms		= 1000U,
	.name			= "watchdog_test",
};
