// SPDX-License-Identifier: GPL-2.0
/*
 * A switch-all scheduler that dispatches tasks to the local DSQ of their
 * CPU and, when a task of a higher class takes a CPU, takes its tasks back
 * with scx_bpf_reenqueue_local() from ops.cpu_release().
 *
 * ops.cpu_release() checks its arguments, and that
 * scx_bpf_reenqueue_local() returns the number of SCX_ENQ_REENQ calls of
 * ops.enqueue() it made: they are nested in it, on the same CPU. The
 * re-enqueued tasks go to the global DSQ. ops.cpu_acquire() checks that it
 * follows an ops.cpu_release() of its CPU.
 */

#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

#define MAX_CPUS	64

UEI_DEFINE(uei);

/* Set by user space: the RT task that will preempt. */
s32 rt_pid;

/* Per CPU, by that CPU with its rq lock held. */
static u64 nr_reenq_calls[MAX_CPUS];
static bool seen[MAX_CPUS];	/* any cpu_release or cpu_acquire */

/* Read by user space. The nr_bad_* must stay 0. */
bool released[MAX_CPUS];
u64 nr_releases, nr_rt_releases, nr_acquires, nr_reenqueued;
u64 nr_first_acquires;	/* a CPU's first event, see cpu_release.c */
u64 nr_bad_args, nr_bad_reenq, nr_bad_acquire;

void BPF_STRUCT_OPS(cpu_release_enqueue, struct task_struct *p, u64 enq_flags)
{
	s32 cpu = bpf_get_smp_processor_id();
	u64 *calls;

	if (enq_flags & SCX_ENQ_REENQ) {
		calls = MEMBER_VPTR(nr_reenq_calls, [cpu]);
		if (calls)
			(*calls)++;
		scx_bpf_dispatch(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
		return;
	}

	scx_bpf_dispatch(p, SCX_DSQ_LOCAL, SCX_SLICE_DFL, enq_flags);
}

void BPF_STRUCT_OPS(cpu_release_cpu_release, s32 cpu,
		    struct scx_cpu_release_args *args)
{
	bool *rel = MEMBER_VPTR(released, [cpu]);
	u64 *calls = MEMBER_VPTR(nr_reenq_calls, [cpu]);
	bool *seenp = MEMBER_VPTR(seen, [cpu]);
	u64 before;
	u32 nr;

	if (!rel || !calls || !seenp ||
	    cpu != bpf_get_smp_processor_id()) {
		scx_bpf_error("cpu_release(%d) on CPU %d", cpu,
			      bpf_get_smp_processor_id());
		return;
	}

	__sync_fetch_and_add(&nr_releases, 1);
	*seenp = true;
	*rel = true;

	if (!args->task) {
		__sync_fetch_and_add(&nr_bad_args, 1);
	} else if (rt_pid && args->task->pid == rt_pid) {
		if (args->reason == SCX_CPU_PREEMPT_RT)
			__sync_fetch_and_add(&nr_rt_releases, 1);
		else
			__sync_fetch_and_add(&nr_bad_args, 1);
	}

	before = *calls;
	nr = scx_bpf_reenqueue_local();
	if (*calls - before != nr)
		__sync_fetch_and_add(&nr_bad_reenq, 1);
	__sync_fetch_and_add(&nr_reenqueued, nr);
}

void BPF_STRUCT_OPS(cpu_release_cpu_acquire, s32 cpu,
		    struct scx_cpu_acquire_args *args)
{
	bool *rel = MEMBER_VPTR(released, [cpu]);
	bool *seenp = MEMBER_VPTR(seen, [cpu]);

	if (!rel || !seenp || cpu != bpf_get_smp_processor_id()) {
		scx_bpf_error("cpu_acquire(%d) on CPU %d", cpu,
			      bpf_get_smp_processor_id());
		return;
	}

	if (*rel)
		__sync_fetch_and_add(&nr_acquires, 1);
	else if (!*seenp)
		__sync_fetch_and_add(&nr_first_acquires, 1);
	else
		__sync_fetch_and_add(&nr_bad_acquire, 1);
	*seenp = true;
	*rel = false;
}

void BPF_STRUCT_OPS(cpu_release_exit, struct scx_exit_info *ei)
{
	UEI_RECORD(uei, ei);
}

SEC(".struct_ops.link")
struct sched_ext_ops cpu_release_ops = {
	.enqueue		= (void *)cpu_release_enqueue,
	.cpu_release		= (void *)cpu_release_cpu_release,
	.cpu_acquire		= (void *)cpu_release_cpu_acquire,
	.exit			= (void *)cpu_release_exit,
	.name			= "cpu_release",
};
