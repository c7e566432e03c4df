// SPDX-License-Identifier: GPL-2.0
/*
 * A switch-all scheduler that checks the order in which the DSQ iterator,
 * bpf_for_each(scx_dsq, ...), returns tasks.
 *
 * Every CPU has a FIFO DSQ and a vtime DSQ of its own. ops.enqueue() puts a
 * task on one of the two DSQs of the CPU whose runqueue the task is on,
 * alternating between them. A task on one of these DSQs stays on that
 * runqueue (a migration dequeues it first), so each DSQ and its counters
 * below only change with that CPU's rq lock held: in ops.enqueue(), in a
 * dequeue, and in ops.dispatch() on that CPU, which consumes only its own
 * DSQs. ops.dispatch() thus sees its DSQs hold still and checks exactly:
 *
 * - a forward iteration of the FIFO DSQ returns the tasks in the order
 *   ops.enqueue() queued them (it numbers them), SCX_DSQ_ITER_REV in the
 *   reverse order;
 * - an iteration of the vtime DSQ returns them by ascending dsq_vtime,
 *   SCX_DSQ_ITER_REV by descending dsq_vtime, and every task carries the
 *   vtime it was queued with;
 * - every iteration returns scx_bpf_dsq_nr_queued() tasks;
 * - a task queued after an iteration began is not returned by it: the
 *   iteration moves its first task to the back of the same DSQ with
 *   scx_bpf_dispatch[_vtime]_from_dsq(), which queues it again, with a new
 *   sequence number. The iteration must not return it a second time, a
 *   second move of it through the same iterator must fail, and the
 *   iteration must still return as many tasks as were queued.
 */

#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

#define MAX_CPUS	64
#define FIFO_DSQ(cpu)	(0x1000 + (cpu))
#define VTIME_DSQ(cpu)	(0x2000 + (cpu))
#define SLICE_NS	(5 * 1000 * 1000)
/*
 * A task's vtime is 4 * its number plus up to 15: the order by vtime is
 * not the order of insertion, and no task waits behind more than a few
 * that came later.
 */
#define VTIME_STEP	4
#define VTIME_JITTER	16

UEI_DEFINE(uei);

struct task_ctx {
	u64	fifo_seq;	/* number given when queued on a FIFO DSQ */
	u64	vtime;		/* vtime given when queued on a vtime DSQ */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_ctx);
} task_ctxs SEC(".maps");

/* Per CPU, under that CPU's rq lock. */
static u64 fifo_seq[MAX_CPUS];
static u64 vtime_seq[MAX_CPUS];
static u64 nr_enqueued[MAX_CPUS];
static u64 nr_dispatches[MAX_CPUS];

/*
 * What an iteration carries from one task to the next. It lives in memory,
 * where the verifier doesn't track its value: as a constant on the stack,
 * it would make every trip through the loop a new state to verify.
 */
struct iter_state {
	u64	last;		/* the last task's seq or vtime */
	s32	seen;		/* tasks returned so far */
	s32	moved_pid;	/* the task moved to the back, or -1 */
};

static struct iter_state iter_states[MAX_CPUS];

/* Read by user space. The nr_bad_* must stay 0. */
u64 nr_fifo_checked, nr_fifo_rev_checked;	/* iterations of >= 2 tasks */
u64 nr_vtime_checked, nr_vtime_rev_checked;
u64 nr_seq_checked;				/* sequence rule checks */
u64 nr_bad_order, nr_bad_vtime, nr_bad_count, nr_bad_move;
u64 nr_seen_again, nr_moved_again;

static struct task_ctx *lookup_task_ctx(struct task_struct *p)
{
	struct task_ctx *tctx;

	tctx = bpf_task_storage_get(&task_ctxs, p, 0, 0);
	if (!tctx)
		scx_bpf_error("no task_ctx for %s[%d]", p->comm, p->pid);
	return tctx;
}

s32 BPF_STRUCT_OPS_SLEEPABLE(dsq_iter_init_task, struct task_struct *p,
			     struct scx_init_task_args *args)
{
	if (!bpf_task_storage_get(&task_ctxs, p, 0,
				  BPF_LOCAL_STORAGE_GET_F_CREATE))
		return -ENOMEM;
	return 0;
}

void BPF_STRUCT_OPS(dsq_iter_enqueue, struct task_struct *p, u64 enq_flags)
{
	s32 cpu = scx_bpf_task_cpu(p);
	struct task_ctx *tctx;
	u64 vtime;

	if (cpu < 0 || cpu >= MAX_CPUS) {
		scx_bpf_dispatch(p, SCX_DSQ_GLOBAL, SLICE_NS, enq_flags);
		return;
	}

	tctx = lookup_task_ctx(p);
	if (!tctx)
		return;

	if (nr_enqueued[cpu]++ & 1) {
		tctx->fifo_seq = ++fifo_seq[cpu];
		scx_bpf_dispatch(p, FIFO_DSQ(cpu), SLICE_NS, enq_flags);
	} else {
		vtime = ++vtime_seq[cpu] * VTIME_STEP +
			bpf_get_prandom_u32() % VTIME_JITTER;
		tctx->vtime = vtime;
		scx_bpf_dispatch_vtime(p, VTIME_DSQ(cpu), SLICE_NS, vtime,
				       enq_flags);
	}
}

/* Checks the order of one iteration of @cpu's FIFO DSQ. */
static void check_fifo(s32 cpu, u64 flags)
{
	struct iter_state *st = &iter_states[cpu];
	bool rev = flags & SCX_DSQ_ITER_REV;
	s32 nr = scx_bpf_dsq_nr_queued(FIFO_DSQ(cpu));
	struct task_struct *p;
	struct task_ctx *tctx;

	st->last = rev ? -1ULL : 0;
	st->seen = 0;

	bpf_for_each(scx_dsq, p, FIFO_DSQ(cpu), flags) {
		tctx = lookup_task_ctx(p);
		if (!tctx)
			return;
		if (rev ? tctx->fifo_seq >= st->last :
			  tctx->fifo_seq <= st->last)
			__sync_fetch_and_add(&nr_bad_order, 1);
		st->last = tctx->fifo_seq;
		st->seen++;
	}

	if (st->seen != nr)
		__sync_fetch_and_add(&nr_bad_count, 1);
	if (st->seen >= 2)
		__sync_fetch_and_add(rev ? &nr_fifo_rev_checked :
				     &nr_fifo_checked, 1);
}

/* Checks the order of one iteration of @cpu's vtime DSQ. */
static void check_vtime(s32 cpu, u64 flags)
{
	struct iter_state *st = &iter_states[cpu];
	bool rev = flags & SCX_DSQ_ITER_REV;
	s32 nr = scx_bpf_dsq_nr_queued(VTIME_DSQ(cpu));
	struct task_struct *p;
	struct task_ctx *tctx;
	u64 vtime;

	st->last = rev ? -1ULL : 0;
	st->seen = 0;

	bpf_for_each(scx_dsq, p, VTIME_DSQ(cpu), flags) {
		tctx = lookup_task_ctx(p);
		if (!tctx)
			return;
		vtime = p->scx.dsq_vtime;
		if (vtime != tctx->vtime)
			__sync_fetch_and_add(&nr_bad_vtime, 1);
		if (rev ? vtime > st->last : vtime < st->last)
			__sync_fetch_and_add(&nr_bad_order, 1);
		st->last = vtime;
		st->seen++;
	}

	if (st->seen != nr)
		__sync_fetch_and_add(&nr_bad_count, 1);
	if (st->seen >= 2)
		__sync_fetch_and_add(rev ? &nr_vtime_rev_checked :
				     &nr_vtime_checked, 1);
}

/*
 * The sequence rule: queue the first task of the iteration again at the
 * back of its DSQ, and check that the iteration ignores it from then on.
 */
static void check_seq_rule(s32 cpu, bool vtime_dsq)
{
	u64 dsq_id = vtime_dsq ? VTIME_DSQ(cpu) : FIFO_DSQ(cpu);
	struct iter_state *st = &iter_states[cpu];
	s32 nr = scx_bpf_dsq_nr_queued(dsq_id);
	struct task_struct *p;
	struct task_ctx *tctx;
	bool moved;
	u64 vtime;

	if (nr < 2)
		return;

	st->seen = 0;
	st->moved_pid = -1;

	bpf_for_each(scx_dsq, p, dsq_id, 0) {
		st->seen++;
		if (st->moved_pid >= 0) {
			if (p->pid == st->moved_pid)
				__sync_fetch_and_add(&nr_seen_again, 1);
			continue;
		}

		tctx = lookup_task_ctx(p);
		if (!tctx)
			return;

		/*
		 * Past the vtime of every queued task: the task goes to the
		 * back, and the tasks queued next overtake it soon.
		 */
		if (vtime_dsq) {
			vtime = (vtime_seq[cpu] + VTIME_JITTER / VTIME_STEP) *
				VTIME_STEP;
			scx_bpf_dispatch_from_dsq_set_vtime(BPF_FOR_EACH_ITER,
							    vtime);
			moved = scx_bpf_dispatch_vtime_from_dsq(BPF_FOR_EACH_ITER,
								p, dsq_id, 0);
			if (moved)
				tctx->vtime = vtime;
		} else {
			moved = scx_bpf_dispatch_from_dsq(BPF_FOR_EACH_ITER, p,
							  dsq_id, 0);
			if (moved)
				tctx->fifo_seq = ++fifo_seq[cpu];
		}
		if (!moved) {
			__sync_fetch_and_add(&nr_bad_move, 1);
			return;
		}
		st->moved_pid = p->pid;

		/* @p is now newer than the iteration: it can't move again. */
		if (vtime_dsq)
			moved = scx_bpf_dispatch_vtime_from_dsq(BPF_FOR_EACH_ITER,
								p, dsq_id, 0);
		else
			moved = scx_bpf_dispatch_from_dsq(BPF_FOR_EACH_ITER, p,
							  dsq_id, 0);
		if (moved)
			__sync_fetch_and_add(&nr_moved_again, 1);
	}

	if (st->seen != nr)
		__sync_fetch_and_add(&nr_bad_count, 1);
	__sync_fetch_and_add(&nr_seq_checked, 1);
}

void BPF_STRUCT_OPS(dsq_iter_dispatch, s32 cpu, struct task_struct *prev)
{
	u64 n;

	if (cpu < 0 || cpu >= MAX_CPUS)
		return;

	check_fifo(cpu, 0);
	check_fifo(cpu, SCX_DSQ_ITER_REV);
	check_vtime(cpu, 0);
	check_vtime(cpu, SCX_DSQ_ITER_REV);

	n = nr_dispatches[cpu]++;
	if (n % 4 == 0)
		check_seq_rule(cpu, n % 8 == 4);

	/* Alternate between the two DSQs, and fall back on the other. */
	if (n & 1) {
		if (!scx_bpf_consume(FIFO_DSQ(cpu)))
			scx_bpf_consume(VTIME_DSQ(cpu));
	} else {
		if (!scx_bpf_consume(VTIME_DSQ(cpu)))
			scx_bpf_consume(FIFO_DSQ(cpu));
	}
}

s32 BPF_STRUCT_OPS_SLEEPABLE(dsq_iter_init)
{
	u32 nr_cpus = scx_bpf_nr_cpu_ids();
	s32 cpu, ret;

	bpf_for(cpu, 0, MAX_CPUS) {
		if (cpu >= nr_cpus)
			break;
		ret = scx_bpf_create_dsq(FIFO_DSQ(cpu), -1);
		if (ret)
			return ret;
		ret = scx_bpf_create_dsq(VTIME_DSQ(cpu), -1);
		if (ret)
			return ret;
	}
	return 0;
}

void BPF_STRUCT_OPS(dsq_iter_exit, struct scx_exit_info *ei)
{
	UEI_RECORD(uei, ei);
}

SEC(".struct_ops.link")
struct sched_ext_ops dsq_iter_ops = {
	.enqueue		= (void *)dsq_iter_enqueue,
	.dispatch		= (void *)dsq_iter_dispatch,
	.init_task		= (void *)dsq_iter_init_task,
	.init			= (void *)dsq_iter_init,
	.exit			= (void *)dsq_iter_exit,
	.name			= "dsq_iter",
};
