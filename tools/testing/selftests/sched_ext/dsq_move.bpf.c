// SPDX-License-Identifier: GPL-2.0
/*
 * A switch-all scheduler that moves every task between DSQs with
 * scx_bpf_dispatch[_vtime]_from_dsq() before it runs.
 *
 * ops.enqueue() queues a task on the SRC DSQ of the CPU whose runqueue it
 * is on. ops.dispatch() on that CPU moves the tasks of its SRC DSQ, in
 * turn, to:
 *
 * - its MID DSQ, a vtime DSQ, with a new slice and vtime; the same
 *   ops.dispatch() then checks that a task on MID carries both, and moves
 *   it to SCX_DSQ_LOCAL;
 * - SCX_DSQ_LOCAL, with a new slice;
 * - the local DSQ of another CPU, SCX_DSQ_LOCAL_ON | cpu, with a new slice,
 *   if the task may run there (else SCX_DSQ_LOCAL).
 *
 * Each move must succeed: the task is on a DSQ of the CPU's own runqueue,
 * whose lock ops.dispatch() holds from the iterator's return of the task
 * to the move. ops.running() checks that a task moved to a local DSQ runs
 * on that CPU with the slice of the move.
 *
 * From user space, the move_parked program (BPF_PROG_TYPE_SYSCALL, run with
 * no rq lock held) moves the task that ops.enqueue() parked on PARK_DSQ,
 * which no CPU consumes, to the MID DSQ of its CPU, with a new slice and
 * vtime; from there it runs as above.
 */

#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

#define MAX_CPUS	64
#define SRC_DSQ(cpu)	(0x1000 + (cpu))
#define MID_DSQ(cpu)	(0x2000 + (cpu))
#define PARK_DSQ	0x3000
#define MOVES_PER_CALL	3

/* Odd values, which no other path gives a task. */
#define SLICE_MID	(2 * 1000 * 1000 + 1)
#define SLICE_LOCAL	(3 * 1000 * 1000 + 3)
#define SLICE_REMOTE	(4 * 1000 * 1000 + 5)

enum move_kind {
	MOVE_NONE,
	MOVE_MID,	/* SRC -> MID -> local */
	MOVE_LOCAL,	/* SRC -> local */
	MOVE_REMOTE,	/* SRC -> another CPU's local */
	MOVE_SYSCALL,	/* PARK -> MID by move_parked -> local */
};

UEI_DEFINE(uei);

struct task_ctx {
	enum move_kind	kind;		/* how the task got to its local DSQ */
	u64		mid_vtime;	/* the vtime given on the way to MID */
	u64		slice;		/* the slice it must start with */
	s32		cpu;		/* the CPU it must run on */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_ctx);
} task_ctxs SEC(".maps");

/* Set by user space. */
u64 online_mask;	/* the online CPUs below 64 */
s32 park_pid;		/* the task to park ... */
u32 park_armed;		/* ... the next time it's enqueued, if set */

/* Per CPU, under that CPU's rq lock. */
struct cpu_ctx {
	u64	nr_moves;	/* picks the kind of the next move */
	u64	mid_vtime;	/* the last vtime given on the way to MID */
};

static struct cpu_ctx cpu_ctxs[MAX_CPUS];

/* Read by user space. nr_failed and the nr_bad_* must stay 0. */
u64 nr_moved[MOVE_SYSCALL + 1];	/* moves to a local DSQ, by kind */
u64 nr_ran[MOVE_SYSCALL + 1];	/* checked in ops.running(), by kind */
u64 nr_moved_mid, nr_parked, nr_failed;
u64 nr_bad_slice, nr_bad_vtime, nr_bad_cpu;

static struct task_ctx *lookup_task_ctx(struct task_struct *p)
{
	struct task_ctx *tctx;

	tctx = bpf_task_storage_get(&task_ctxs, p, 0, 0);
	if (!tctx)
		scx_bpf_error("no task_ctx for %s[%d]", p->comm, p->pid);
	return tctx;
}

s32 BPF_STRUCT_OPS_SLEEPABLE(dsq_move_init_task, struct task_struct *p,
			     struct scx_init_task_args *args)
{
	if (!bpf_task_storage_get(&task_ctxs, p, 0,
				  BPF_LOCAL_STORAGE_GET_F_CREATE))
		return -ENOMEM;
	return 0;
}

s32 BPF_STRUCT_OPS(dsq_move_select_cpu, struct task_struct *p, s32 prev_cpu,
		   u64 wake_flags)
{
	bool is_idle;

	/* Pick a CPU, but let every wakeup go through ops.enqueue(). */
	return scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, &is_idle);
}

void BPF_STRUCT_OPS(dsq_move_enqueue, struct task_struct *p, u64 enq_flags)
{
	s32 cpu = scx_bpf_task_cpu(p);
	struct task_ctx *tctx;

	tctx = lookup_task_ctx(p);
	if (!tctx)
		return;
	tctx->kind = MOVE_NONE;

	if (park_pid && p->pid == park_pid &&
	    __sync_val_compare_and_swap(&park_armed, 1, 0) == 1) {
		scx_bpf_dispatch(p, PARK_DSQ, SCX_SLICE_DFL, enq_flags);
		__sync_fetch_and_add(&nr_parked, 1);
		return;
	}

	if (cpu < 0 || cpu >= MAX_CPUS) {
		scx_bpf_dispatch(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
		return;
	}
	scx_bpf_dispatch(p, SRC_DSQ(cpu), SCX_SLICE_DFL, enq_flags);
}

/* Another online CPU that @p may be moved to now, or -1. */
static s32 remote_cpu(struct task_struct *p, s32 cpu)
{
	s32 other = cpu ^ 1;

	if (other >= MAX_CPUS || !(online_mask & (1LLU << other)))
		return -1;
	/*
	 * A task with migration disabled would go to the global DSQ. @p is
	 * queued, not the current task, so the count is its own and not the
	 * one of this BPF program's migrate_disable().
	 */
	if (!bpf_cpumask_test_cpu(other, p->cpus_ptr) ||
	    p->migration_disabled)
		return -1;
	return other;
}

static void count_move(bool moved, struct task_ctx *tctx)
{
	if (moved && tctx->kind <= MOVE_SYSCALL)
		__sync_fetch_and_add(&nr_moved[tctx->kind], 1);
	if (!moved) {
		__sync_fetch_and_add(&nr_failed, 1);
		tctx->kind = MOVE_NONE;
	}
}

void BPF_STRUCT_OPS(dsq_move_dispatch, s32 cpu, struct task_struct *prev)
{
	struct task_struct *p;
	struct task_ctx *tctx;
	struct cpu_ctx *cctx;
	s32 target;
	bool moved;

	cctx = MEMBER_VPTR(cpu_ctxs, [cpu]);
	if (!cctx)
		return;

	/*
	 * SRC -> MID, local or remote. The task's expectations are set before
	 * the move: once on another CPU's local DSQ, it may run at once.
	 */
	bpf_for_each(scx_dsq, p, SRC_DSQ(cpu), 0) {
		u64 n = cctx->nr_moves++;

		tctx = lookup_task_ctx(p);
		if (!tctx)
			return;

		switch (n % 3) {
		case 0:
			tctx->mid_vtime = ++cctx->mid_vtime;
			scx_bpf_dispatch_from_dsq_set_slice(BPF_FOR_EACH_ITER,
							    SLICE_MID);
			scx_bpf_dispatch_from_dsq_set_vtime(BPF_FOR_EACH_ITER,
							    tctx->mid_vtime);
			if (scx_bpf_dispatch_vtime_from_dsq(BPF_FOR_EACH_ITER, p,
							    MID_DSQ(cpu), 0)) {
				tctx->kind = MOVE_MID;
				__sync_fetch_and_add(&nr_moved_mid, 1);
			} else {
				__sync_fetch_and_add(&nr_failed, 1);
			}
			break;
		case 1:
			tctx->kind = MOVE_LOCAL;
			tctx->slice = SLICE_LOCAL;
			tctx->cpu = cpu;
			scx_bpf_dispatch_from_dsq_set_slice(BPF_FOR_EACH_ITER,
							    SLICE_LOCAL);
			moved = scx_bpf_dispatch_from_dsq(BPF_FOR_EACH_ITER, p,
							  SCX_DSQ_LOCAL, 0);
			count_move(moved, tctx);
			break;
		default:
			target = remote_cpu(p, cpu);
			if (target < 0) {
				tctx->kind = MOVE_LOCAL;
				tctx->slice = SLICE_LOCAL;
				tctx->cpu = cpu;
				target = cpu;
			} else {
				tctx->kind = MOVE_REMOTE;
				tctx->slice = SLICE_REMOTE;
				tctx->cpu = target;
			}
			scx_bpf_dispatch_from_dsq_set_slice(BPF_FOR_EACH_ITER,
							    tctx->slice);
			moved = scx_bpf_dispatch_from_dsq(BPF_FOR_EACH_ITER, p,
							  SCX_DSQ_LOCAL_ON | target,
							  0);
			count_move(moved, tctx);
			break;
		}

		if (n % MOVES_PER_CALL == MOVES_PER_CALL - 1)
			break;
	}

	/* MID -> local, for the tasks moved there here or by move_parked. */
	bpf_for_each(scx_dsq, p, MID_DSQ(cpu), 0) {
		tctx = lookup_task_ctx(p);
		if (!tctx)
			return;

		if (p->scx.slice != SLICE_MID)
			__sync_fetch_and_add(&nr_bad_slice, 1);
		if (p->scx.dsq_vtime != tctx->mid_vtime)
			__sync_fetch_and_add(&nr_bad_vtime, 1);

		if (tctx->kind != MOVE_SYSCALL)
			tctx->kind = MOVE_MID;
		tctx->slice = SLICE_LOCAL;
		tctx->cpu = cpu;
		scx_bpf_dispatch_from_dsq_set_slice(BPF_FOR_EACH_ITER,
						    SLICE_LOCAL);
		moved = scx_bpf_dispatch_from_dsq(BPF_FOR_EACH_ITER, p,
						  SCX_DSQ_LOCAL, 0);
		count_move(moved, tctx);
	}
}

void BPF_STRUCT_OPS(dsq_move_running, struct task_struct *p)
{
	s32 cpu = bpf_get_smp_processor_id();
	struct task_ctx *tctx;

	tctx = lookup_task_ctx(p);
	if (!tctx || tctx->kind == MOVE_NONE)
		return;

	if (p->scx.slice != tctx->slice)
		__sync_fetch_and_add(&nr_bad_slice, 1);
	if (cpu != tctx->cpu || scx_bpf_task_cpu(p) != cpu)
		__sync_fetch_and_add(&nr_bad_cpu, 1);
	if (tctx->kind <= MOVE_SYSCALL)
		__sync_fetch_and_add(&nr_ran[tctx->kind], 1);

	/* Once: a preempted task keeps running with what's left. */
	tctx->kind = MOVE_NONE;
}

/*
 * Moves the tasks parked on PARK_DSQ to the MID DSQ of their CPU and kicks
 * it; returns how many it moved.
 */
SEC("syscall")
int move_parked(void *ctx)
{
	struct task_struct *p;
	struct task_ctx *tctx;
	int nr = 0;
	s32 cpu;

	bpf_rcu_read_lock();
	bpf_for_each(scx_dsq, p, PARK_DSQ, 0) {
		cpu = scx_bpf_task_cpu(p);
		tctx = bpf_task_storage_get(&task_ctxs, p, 0, 0);
		if (!tctx || cpu < 0 || cpu >= MAX_CPUS)
			break;

		tctx->kind = MOVE_SYSCALL;
		tctx->mid_vtime = 1;
		scx_bpf_dispatch_from_dsq_set_slice(BPF_FOR_EACH_ITER,
						    SLICE_MID);
		scx_bpf_dispatch_from_dsq_set_vtime(BPF_FOR_EACH_ITER, 1);
		if (!scx_bpf_dispatch_vtime_from_dsq(BPF_FOR_EACH_ITER, p,
						     MID_DSQ(cpu), 0)) {
			tctx->kind = MOVE_NONE;
			break;
		}
		scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
		nr++;
	}
	bpf_rcu_read_unlock();

	return nr;
}

s32 BPF_STRUCT_OPS_SLEEPABLE(dsq_move_init)
{
	u32 nr_cpus = scx_bpf_nr_cpu_ids();
	s32 cpu, ret;

	ret = scx_bpf_create_dsq(PARK_DSQ, -1);
	if (ret)
		return ret;

	bpf_for(cpu, 0, MAX_CPUS) {
		if (cpu >= nr_cpus)
			break;
		ret = scx_bpf_create_dsq(SRC_DSQ(cpu), -1);
		if (ret)
			return ret;
		ret = scx_bpf_create_dsq(MID_DSQ(cpu), -1);
		if (ret)
			return ret;
	}
	return 0;
}

void BPF_STRUCT_OPS(dsq_move_exit, struct scx_exit_info *ei)
{
	UEI_RECORD(uei, ei);
}

SEC(".struct_ops.link")
struct sched_ext_ops dsq_move_ops = {
	.select_cpu		= (void *)dsq_move_select_cpu,
	.enqueue		= (void *)dsq_move_enqueue,
	.dispatch		= (void *)dsq_move_dispatch,
	.running		= (void *)dsq_move_running,
	.init_task		= (void *)dsq_move_init_task,
	.init			= (void *)dsq_move_init,
	.exit			= (void *)dsq_move_exit,
	.name			= "dsq_move",
};
