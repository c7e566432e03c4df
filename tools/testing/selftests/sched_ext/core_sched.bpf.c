// SPDX-License-Identifier: GPL-2.0
/*
 * A global FIFO scheduler that measures how long two tasks run at the same
 * time on two SMT siblings, and checks why they do.
 *
 * User space names the two tasks in pids[], their CPUs in cpus[] and the
 * run in run_idx. From ops.running() to ops.stopping() a task is on its
 * CPU; the time each of them was and the time both were at once are added
 * up, for the run, in the run's slot of the map stats, under its lock.
 *
 * When a task starts while the other one runs on the sibling, ops.running()
 * also looks at the sibling's runqueue. Core scheduling picks for both
 * siblings at once: if it picked for the sibling a task other than the one
 * running there, it left that pick in the sibling's rq->core_pick and sent
 * it an IPI to switch. The overlap that follows is "explained": it lasts
 * until the sibling takes the IPI. Otherwise the core lets both tasks run
 * together, as it must when their cookies match, and must never when they
 * differ: that overlap is "unexplained".
 */

#include <scx/common.bpf.h>
#include "core_sched_test.h"

char _license[] SEC("license") = "GPL";

UEI_DEFINE(uei);

/* Set by user space. */
s32 pids[2];
s32 cpus[2];
u32 run_idx;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NR_RUNS);
	__type(key, u32);
	__type(value, struct run_stats);
} stats SEC(".maps");

/* The field of struct rq that CONFIG_SCHED_CORE adds. */
struct rq___core_sched {
	struct task_struct *core_pick;
} __attribute__((preserve_access_index));

static __always_inline int task_idx(struct task_struct *p)
{
	if (p->pid == pids[0])
		return 0;
	if (p->pid == pids[1])
		return 1;
	return -1;
}

static __always_inline struct run_stats *cur_stats(void)
{
	u32 key = run_idx;

	return bpf_map_lookup_elem(&stats, &key);
}

/*
 * Whether @cpu runs the task @pid with another task picked for it by core
 * scheduling, which it will switch to on the IPI it was sent.
 */
static __always_inline bool switching_away(s32 cpu, s32 pid)
{
	struct rq *rq = scx_bpf_cpu_rq(cpu);
	struct task_struct *curr, *pick;

	if (!rq || !bpf_core_field_exists(struct rq___core_sched, core_pick))
		return false;
	curr = BPF_CORE_READ(rq, curr);
	pick = BPF_CORE_READ((struct rq___core_sched *)rq, core_pick);
	return curr && BPF_CORE_READ(curr, pid) == pid && pick && pick != curr;
}

void BPF_STRUCT_OPS(core_sched_running, struct task_struct *p)
{
	struct run_stats *st;
	int idx = task_idx(p);
	bool elsewhere, explained;
	u64 now;

	if (idx < 0)
		return;
	st = cur_stats();
	if (!st)
		return;

	/* Under the runqueue lock, which core scheduling shares by siblings. */
	if (idx == 0) {
		elsewhere = bpf_get_smp_processor_id() != cpus[0];
		explained = switching_away(cpus[1], pids[1]);
	} else {
		elsewhere = bpf_get_smp_processor_id() != cpus[1];
		explained = switching_away(cpus[0], pids[0]);
	}

	now = bpf_ktime_get_ns();
	bpf_spin_lock(&st->lock);
	if (idx == 0) {
		st->since[0] = now;
		st->nr_runs[0]++;
	} else {
		st->since[1] = now;
		st->nr_runs[1]++;
	}
	if (elsewhere)
		st->nr_elsewhere++;
	/* The later start of an overlap decides what it is. */
	st->explained = explained;
	bpf_spin_unlock(&st->lock);
}

void BPF_STRUCT_OPS(core_sched_stopping, struct task_struct *p, bool runnable)
{
	struct run_stats *st;
	int idx = task_idx(p);
	u64 now, mine, other, start;

	if (idx < 0)
		return;
	st = cur_stats();
	if (!st)
		return;

	now = bpf_ktime_get_ns();
	bpf_spin_lock(&st->lock);
	if (idx == 0) {
		mine = st->since[0];
		other = st->since[1];
		st->since[0] = 0;
		if (mine && now > mine)
			st->runtime[0] += now - mine;
	} else {
		mine = st->since[1];
		other = st->since[0];
		st->since[1] = 0;
		if (mine && now > mine)
			st->runtime[1] += now - mine;
	}
	/* Both ran from the later of the two starts until now. */
	start = mine > other ? mine : other;
	if (mine && other && now > start) {
		st->overlap += now - start;
		st->nr_windows++;
		if (!st->explained) {
			st->overlap_unexplained += now - start;
			st->nr_windows_unexplained++;
		}
	}
	bpf_spin_unlock(&st->lock);
}

void BPF_STRUCT_OPS(core_sched_exit, struct scx_exit_info *ei)
{
	UEI_RECORD(uei, ei);
}

SEC(".struct_ops.link")
struct sched_ext_ops core_sched_ops = {
	.running		= (void *)core_sched_running,
	.stopping		= (void *)core_sched_stopping,
	.exit			= (void *)core_sched_exit,
	.name			= "core_sched",
};
