// SPDX-License-Identifier: GPL-2.0
/*
 * A switch-all scheduler that dispatches every task from ops.dispatch() to
 * the local DSQ of a CPU with SCX_DSQ_LOCAL_ON: the CPU the task is on for
 * every task but one, and bad_cpu, which is outside its affinity, for the
 * task whose pid is target_pid.
 *
 * ops.enqueue() queues the pid of each task in a BPF queue, and
 * ops.dispatch() pops one and looks the task up by pid.
 */

#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

/* Set by user space before attaching. */
s32 target_pid;
s32 bad_cpu;

UEI_DEFINE(uei);

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 8192);
	__type(value, s32);
} pids SEC(".maps");

s32 BPF_STRUCT_OPS(dlod_select_cpu, struct task_struct *p, s32 prev_cpu,
		   u64 wake_flags)
{
	/* Stay put so that every wakeup goes through ops.enqueue(). */
	return prev_cpu;
}

void BPF_STRUCT_OPS(dlod_enqueue, struct task_struct *p, u64 enq_flags)
{
	s32 pid = p->pid;

	if (bpf_map_push_elem(&pids, &pid, 0))
		scx_bpf_error("Failed to queue %s[%d]", p->comm, p->pid);
}

void BPF_STRUCT_OPS(dlod_dispatch, s32 cpu, struct task_struct *prev)
{
	struct task_struct *p;
	s32 pid, target;

	if (bpf_map_pop_elem(&pids, &pid))
		return;

	p = bpf_task_from_pid(pid);
	if (!p)
		return;

	if (target_pid && p->pid == target_pid) {
		target = bad_cpu;
	} else {
		target = scx_bpf_task_cpu(p);
		if (!bpf_cpumask_test_cpu(target, p->cpus_ptr)) {
			scx_bpf_dispatch(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, 0);
			goto out;
		}
	}

	scx_bpf_dispatch(p, SCX_DSQ_LOCAL_ON | target, SCX_SLICE_DFL, 0);
out:
	bpf_task_release(p);
}

void BPF_STRUCT_OPS(dlod_exit, struct scx_exit_info *ei)
{
	UEI_RECORD(uei, ei);
}

SEC(".struct_ops.link")
struct sched_ext_ops dsp_local_on_disallowed_ops = {
	.select_cpu		= (void *)dlod_select_cpu,
	.enqueue		= (void *)dlod_enqueue,
	.dispatch		= (void *)dlod_dispatch,
	.exit			= (void *)dlod_exit,
	.name			= "dsp_local_on_disallowed",
	.timeout_ms		= 1000U,
};
