// SPDX-License-Identifier: GPL-2.0
/*
 * A partial-switch scheduler that dispatches every task directly to the
 * local DSQ of another CPU than the one whose runqueue it is on, with
 * SCX_DSQ_LOCAL_ON | cpu: from ops.select_cpu() on every other wakeup, and
 * from ops.enqueue() otherwise. The tasks are the test's children, which
 * may run on every CPU.
 *
 * The core can't lock the remote runqueue from there, and defers the move
 * to it. ops.running() checks that the task then runs on the CPU it was
 * dispatched to.
 */

#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

#define MAX_CPUS	64

enum ddsp_from {
	FROM_SELECT_CPU,
	FROM_ENQUEUE,
	NR_FROM,
};

UEI_DEFINE(uei);

struct task_ctx {
	u64	nr_wakeups;
	s32	cpu;		/* the CPU it was dispatched to, or -1 */
	u32	from;		/* an enum ddsp_from */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_ctx);
} task_ctxs SEC(".maps");

/* Set by user space: the online CPUs below 64. */
u64 online_mask;

/* Read by user space. nr_wrong_cpu must stay 0. */
u64 nr_dispatched[NR_FROM], nr_ran[NR_FROM];
u64 nr_not_remote, nr_wrong_cpu;

static struct task_ctx *lookup_task_ctx(struct task_struct *p)
{
	struct task_ctx *tctx;

	tctx = bpf_task_storage_get(&task_ctxs, p, 0, 0);
	if (!tctx)
		scx_bpf_error("no task_ctx for %s[%d]", p->comm, p->pid);
	return tctx;
}

/*
 * Whether @p has migration disabled, in which case a dispatch to another
 * CPU's local DSQ would go to the global DSQ instead. The BPF program runs
 * with migration disabled: when @p is the current task, as in ops.enqueue()
 * for a task at the end of its slice, that adds one.
 */
static bool migration_disabled(struct task_struct *p)
{
	u32 self = p->pid == (u32)bpf_get_current_pid_tgid();

	return p->migration_disabled > self;
}

/* The next online CPU after @cpu that @p may be moved to, or -1. */
static s32 remote_cpu(struct task_struct *p, s32 cpu)
{
	u32 i, other;

	if (migration_disabled(p))
		return -1;

	bpf_for(i, 1, MAX_CPUS) {
		other = ((u32)cpu + i) % MAX_CPUS;
		if ((online_mask & (1LLU << other)) &&
		    bpf_cpumask_test_cpu(other, p->cpus_ptr))
			return other;
	}
	return -1;
}

static void dispatch_remote(struct task_struct *p, struct task_ctx *tctx,
			    s32 cpu, enum ddsp_from from, u64 enq_flags)
{
	tctx->cpu = cpu;
	tctx->from = from;
	scx_bpf_dispatch(p, SCX_DSQ_LOCAL_ON | cpu, SCX_SLICE_DFL, enq_flags);
	__sync_fetch_and_add(&nr_dispatched[from], 1);
}

s32 BPF_STRUCT_OPS(ddsp_remote_select_cpu, struct task_struct *p,
		   s32 prev_cpu, u64 wake_flags)
{
	struct task_ctx *tctx;
	s32 cpu;

	tctx = lookup_task_ctx(p);
	if (!tctx || !(tctx->nr_wakeups++ & 1))
		return prev_cpu;

	/* The task goes to prev_cpu's runqueue, and runs on @cpu. */
	cpu = remote_cpu(p, prev_cpu);
	if (cpu >= 0)
		dispatch_remote(p, tctx, cpu, FROM_SELECT_CPU, 0);
	return prev_cpu;
}

void BPF_STRUCT_OPS(ddsp_remote_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct task_ctx *tctx;
	s32 cpu;

	tctx = lookup_task_ctx(p);
	if (!tctx)
		return;

	cpu = remote_cpu(p, scx_bpf_task_cpu(p));
	if (cpu < 0) {
		tctx->cpu = -1;
		__sync_fetch_and_add(&nr_not_remote, 1);
		scx_bpf_dispatch(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
		return;
	}
	dispatch_remote(p, tctx, cpu, FROM_ENQUEUE, enq_flags);
}

void BPF_STRUCT_OPS(ddsp_remote_running, struct task_struct *p)
{
	struct task_ctx *tctx;

	tctx = lookup_task_ctx(p);
	if (!tctx || tctx->cpu < 0)
		return;

	if (bpf_get_smp_processor_id() != tctx->cpu ||
	    scx_bpf_task_cpu(p) != tctx->cpu)
		__sync_fetch_and_add(&nr_wrong_cpu, 1);
	else if (tctx->from < NR_FROM)
		__sync_fetch_and_add(&nr_ran[tctx->from], 1);

	/* Once: a preempted task goes back to the head of its local DSQ. */
	tctx->cpu = -1;
}

s32 BPF_STRUCT_OPS_SLEEPABLE(ddsp_remote_init_task, struct task_struct *p,
			     struct scx_init_task_args *args)
{
	struct task_ctx *tctx;

	tctx = bpf_task_storage_get(&task_ctxs, p, 0,
				    BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!tctx)
		return -ENOMEM;
	tctx->cpu = -1;
	return 0;
}

void BPF_STRUCT_OPS(ddsp_remote_exit, struct scx_exit_info *ei)
{
	UEI_RECORD(uei, ei);
}

SEC(".struct_ops.link")
struct sched_ext_ops ddsp_remote_ops = {
	.select_cpu		= (void *)ddsp_remote_select_cpu,
	.enqueue		= (void *)ddsp_remote_enqueue,
	.running		= (void *)ddsp_remote_running,
	.init_task		= (void *)ddsp_remote_init_task,
	.exit			= (void *)ddsp_remote_exit,
	.flags			= SCX_OPS_SWITCH_PARTIAL,
	.name			= "ddsp_remote",
};
