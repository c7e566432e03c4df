// SPDX-License-Identifier: GPL-2.0
/*
 * A switch-all FIFO scheduler that, after MB_WARMUP enqueues, breaks one
 * rule of the sched_ext ABI, chosen by @mode (see misbehave.h), and a
 * correct one, misbehave_sane_ops, that user space attaches afterwards to
 * show that the kernel still schedules.
 *
 * misbehave_ops owns its tasks the way most BPF schedulers do: ops.enqueue()
 * keeps the pid in a BPF queue, and ops.dispatch() pops one and dispatches
 * the task to a local DSQ. So when the core ejects the scheduler, some
 * tasks are still in the BPF scheduler's hands and must be taken back.
 *
 * Every ops.init_task() and ops.exit_task() is counted: however the
 * scheduler leaves, once it is detached each task it was given must have
 * been handed back exactly once.
 */
#include <scx/common.bpf.h>
#include "misbehave.h"

char _license[] SEC("license") = "GPL";

/* The user DSQ that MB_DESTROY_BUSY queues its tasks on, and destroys. */
#define VICTIM_DSQ	1

/* Set by user space before attaching. */
u32 mode;

u64 nr_enqueued;
u64 nr_misbehaved;
u64 nr_queue_full;
u64 nr_init_task;
u64 nr_init_walk;
u64 nr_init_fork;
u64 nr_init_failed;
u64 nr_exit_task;
u64 nr_enable;
u64 nr_sane_enqueued;

UEI_DEFINE(uei);
UEI_DEFINE(sane_uei);

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 8192);
	__type(value, s32);
} fifo SEC(".maps");

/* Whether the warmup is over: from then on, the scheduler misbehaves. */
static bool warm(void)
{
	return nr_enqueued > MB_WARMUP;
}

s32 BPF_STRUCT_OPS(misbehave_select_cpu, struct task_struct *p, s32 prev_cpu,
		   u64 wake_flags)
{
	if (mode == MB_BAD_CPU && warm()) {
		__sync_fetch_and_add(&nr_misbehaved, 1);
		return MB_BAD_CPU_NR;
	}
	return prev_cpu;
}

void BPF_STRUCT_OPS(misbehave_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct task_struct *cur;
	s32 pid = p->pid;

	__sync_fetch_and_add(&nr_enqueued, 1);

	if (warm()) {
		switch (mode) {
		case MB_NOT_OWNED:
			cur = bpf_get_current_task_btf();
			if (cur != p) {
				__sync_fetch_and_add(&nr_misbehaved, 1);
				scx_bpf_dispatch(cur, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, 0);
				return;
			}
			break;
		case MB_WRONG_CONTEXT:
			__sync_fetch_and_add(&nr_misbehaved, 1);
			scx_bpf_consume(SCX_DSQ_GLOBAL);
			break;
		}
	}

	if (mode == MB_DESTROY_BUSY) {
		scx_bpf_dispatch(p, VICTIM_DSQ, SCX_SLICE_DFL, enq_flags);
		return;
	}

	if (bpf_map_push_elem(&fifo, &pid, 0)) {
		__sync_fetch_and_add(&nr_queue_full, 1);
		scx_bpf_dispatch(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
	}
}

static long spin_until(u64 idx, void *deadline)
{
	return bpf_ktime_get_ns() >= *(u64 *)deadline;
}

void BPF_STRUCT_OPS(misbehave_dispatch, s32 cpu, struct task_struct *prev)
{
	struct task_struct *p;
	u64 deadline, local;
	s32 pid;

	if (warm()) {
		switch (mode) {
		case MB_NO_DISPATCH:
			__sync_fetch_and_add(&nr_misbehaved, 1);
			return;
		case MB_SLOW_DISPATCH:
			__sync_fetch_and_add(&nr_misbehaved, 1);
			deadline = bpf_ktime_get_ns() + MB_SLOW_NS;
			bpf_loop(1 << 23, spin_until, &deadline, 0);
			return;
		case MB_DESTROY_BUSY:
			if (scx_bpf_dsq_nr_queued(VICTIM_DSQ) > 0) {
				__sync_fetch_and_add(&nr_misbehaved, 1);
				scx_bpf_destroy_dsq(VICTIM_DSQ);
			}
			break;
		}
	}

	if (mode == MB_DESTROY_BUSY) {
		scx_bpf_consume(VICTIM_DSQ);
		return;
	}

	if (bpf_map_pop_elem(&fifo, &pid))
		return;
	p = bpf_task_from_pid(pid);
	if (!p)
		return;

	/*
	 * Any CPU may pop any task, but a task pinned elsewhere must not be
	 * moved here: it goes to the local DSQ of the CPU it is on.
	 */
	if (bpf_cpumask_test_cpu(cpu, p->cpus_ptr))
		local = SCX_DSQ_LOCAL;
	else
		local = SCX_DSQ_LOCAL_ON | scx_bpf_task_cpu(p);

	if (warm() && mode == MB_BAD_DSQ) {
		__sync_fetch_and_add(&nr_misbehaved, 1);
		scx_bpf_dispatch(p, MB_BOGUS_DSQ, SCX_SLICE_DFL, 0);
	} else if (warm() && mode == MB_DISPATCH_TWICE) {
		/*
		 * The second dispatch finds the task no longer queued on the
		 * BPF scheduler, with the sequence number of the first, and the
		 * core drops it: the scheduler is not at fault for racing with
		 * itself, and must not be ejected for it.
		 */
		__sync_fetch_and_add(&nr_misbehaved, 1);
		scx_bpf_dispatch(p, local, SCX_SLICE_DFL, 0);
		scx_bpf_dispatch(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, 0);
	} else {
		scx_bpf_dispatch(p, local, SCX_SLICE_DFL, 0);
	}
	bpf_task_release(p);
}

s32 BPF_STRUCT_OPS(misbehave_init_task, struct task_struct *p,
		   struct scx_init_task_args *args)
{
	__sync_fetch_and_add(&nr_init_task, 1);

	/* Forks while attaching are counted apart: they are not the walk. */
	if (mode == MB_INIT_FAIL_ENABLE && !args->fork &&
	    __sync_fetch_and_add(&nr_init_walk, 1) + 1 == MB_INIT_FAIL_AT) {
		__sync_fetch_and_add(&nr_init_failed, 1);
		return -ENOMEM;
	}
	if (mode == MB_INIT_FAIL_FORK && args->fork &&
	    !((__sync_fetch_and_add(&nr_init_fork, 1) + 1) % MB_INIT_FAIL_EVERY)) {
		__sync_fetch_and_add(&nr_init_failed, 1);
		return -ENOMEM;
	}
	return 0;
}

void BPF_STRUCT_OPS(misbehave_exit_task, struct task_struct *p,
		    struct scx_exit_task_args *args)
{
	__sync_fetch_and_add(&nr_exit_task, 1);
}

void BPF_STRUCT_OPS(misbehave_enable, struct task_struct *p)
{
	u64 n = __sync_fetch_and_add(&nr_enable, 1) + 1;

	if (mode == MB_EXIT_IN_ENABLE && n == MB_EXIT_AT)
		scx_bpf_exit(MB_EXIT_CODE, "misbehave: exit from ops.enable() of %s[%d]",
			     p->comm, p->pid);
}

s32 BPF_STRUCT_OPS_SLEEPABLE(misbehave_init)
{
	return scx_bpf_create_dsq(VICTIM_DSQ, -1);
}

void BPF_STRUCT_OPS(misbehave_exit, struct scx_exit_info *ei)
{
	UEI_RECORD(uei, ei);
}

SEC(".struct_ops.link")
struct sched_ext_ops misbehave_ops = {
	.select_cpu		= (void *)misbehave_select_cpu,
	.enqueue		= (void *)misbehave_enqueue,
	.dispatch		= (void *)misbehave_dispatch,
	.init_task		= (void *)misbehave_init_task,
	.exit_task		= (void *)misbehave_exit_task,
	.enable			= (void *)misbehave_enable,
	.init			= (void *)misbehave_init,
	.exit			= (void *)misbehave_exit,
	.name			= "misbehave",
	.timeout_ms		= 2000U,
};

void BPF_STRUCT_OPS(misbehave_sane_enqueue, struct task_struct *p, u64 enq_flags)
{
	__sync_fetch_and_add(&nr_sane_enqueued, 1);
	scx_bpf_dispatch(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

void BPF_STRUCT_OPS(misbehave_sane_exit, struct scx_exit_info *ei)
{
	UEI_RECORD(sane_uei, ei);
}

SEC(".struct_ops.link")
struct sched_ext_ops misbehave_sane_ops = {
	.enqueue		= (void *)misbehave_sane_enqueue,
	.exit			= (void *)misbehave_sane_exit,
	.name			= "misbehave_sane",
	.timeout_ms		= 5000U,
};
