// SPDX-License-Identifier: GPL-2.0
/*
 * A switch-all scheduler, on the global DSQ, that exercises
 * scx_bpf_cpuperf_cap(), scx_bpf_cpuperf_cur() and scx_bpf_cpuperf_set().
 *
 * ops.init() records the performance target of every CPU, which the core
 * resets to SCX_CPUPERF_ONE when a scheduler attaches. ops.tick() sets its
 * own CPU's target to the next of a few values from 0 to SCX_CPUPERF_ONE,
 * checks that the CPU's rq now holds it, and reads the capacity and the
 * current performance of every CPU, which must be within [1,
 * SCX_CPUPERF_ONE]. Once user space sets settle, it sets the targets to 0,
 * so that the next attach has something to reset.
 *
 * With bad_call set, ops.running() makes that invalid call instead, which
 * must eject the scheduler.
 */

#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

#define MAX_CPUS	64

enum bad_call {
	BAD_NONE,
	BAD_CAP_CPU,	/* scx_bpf_cpuperf_cap(bad_cpu) */
	BAD_CUR_CPU,	/* scx_bpf_cpuperf_cur(bad_cpu) */
	BAD_SET_CPU,	/* scx_bpf_cpuperf_set(bad_cpu, SCX_CPUPERF_ONE) */
	BAD_SET_PERF,	/* scx_bpf_cpuperf_set(cpu, SCX_CPUPERF_ONE + 1) */
};

UEI_DEFINE(uei);

/* Set by user space. */
u32 bad_call;
s32 bad_cpu;
u32 settle;

/* Read by user space. nr_bad_target and nr_out_of_range must stay 0. */
u32 init_target[MAX_CPUS];	/* the targets ops.init() found */
u32 cap[MAX_CPUS], cur[MAX_CPUS];	/* as last read */
u64 nr_set[MAX_CPUS], nr_settled[MAX_CPUS];
u64 nr_bad_target, nr_out_of_range;

/* The targets to set in turn, from 0 to SCX_CPUPERF_ONE. */
static u32 nth_perf(u64 n)
{
	switch (n % 5) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return SCX_CPUPERF_ONE / 2;
	case 3:
		return SCX_CPUPERF_ONE - 1;
	default:
		return SCX_CPUPERF_ONE;
	}
}

static bool in_range(u32 perf)
{
	return perf >= 1 && perf <= SCX_CPUPERF_ONE;
}

void BPF_STRUCT_OPS(cpuperf_tick, struct task_struct *p)
{
	s32 cpu = bpf_get_smp_processor_id();
	u32 nr_cpus = scx_bpf_nr_cpu_ids();
	u32 perf, i;
	u64 *nr;

	nr = MEMBER_VPTR(nr_set, [cpu]);
	if (!nr || bad_call)
		return;

	if (settle) {
		perf = 0;
		nr = MEMBER_VPTR(nr_settled, [cpu]);
		if (!nr)
			return;
	} else {
		perf = nth_perf(*nr);
	}

	/* The rq lock is held: no one else sets this CPU's target now. */
	scx_bpf_cpuperf_set(cpu, perf);
	if (scx_bpf_cpu_rq(cpu)->scx.cpuperf_target != perf)
		__sync_fetch_and_add(&nr_bad_target, 1);
	(*nr)++;

	bpf_for(i, 0, MAX_CPUS) {
		if (i >= nr_cpus)
			break;
		cap[i] = scx_bpf_cpuperf_cap(i);
		cur[i] = scx_bpf_cpuperf_cur(i);
		if (!in_range(cap[i]) || !in_range(cur[i]))
			__sync_fetch_and_add(&nr_out_of_range, 1);
	}
}

void BPF_STRUCT_OPS(cpuperf_running, struct task_struct *p)
{
	switch (bad_call) {
	case BAD_CAP_CPU:
		scx_bpf_cpuperf_cap(bad_cpu);
		break;
	case BAD_CUR_CPU:
		scx_bpf_cpuperf_cur(bad_cpu);
		break;
	case BAD_SET_CPU:
		scx_bpf_cpuperf_set(bad_cpu, SCX_CPUPERF_ONE);
		break;
	case BAD_SET_PERF:
		scx_bpf_cpuperf_set(bpf_get_smp_processor_id(),
				    SCX_CPUPERF_ONE + 1);
		break;
	}
}

s32 BPF_STRUCT_OPS_SLEEPABLE(cpuperf_init)
{
	u32 nr_cpus = scx_bpf_nr_cpu_ids();
	u32 i;

	bpf_for(i, 0, MAX_CPUS) {
		if (i >= nr_cpus)
			break;
		init_target[i] = scx_bpf_cpu_rq(i)->scx.cpuperf_target;
	}
	return 0;
}

void BPF_STRUCT_OPS(cpuperf_exit, struct scx_exit_info *ei)
{
	UEI_RECORD(uei, ei);
}

SEC(".struct_ops.link")
struct sched_ext_ops cpuperf_ops = {
	.tick			= (void *)cpuperf_tick,
	.running		= (void *)cpuperf_running,
	.init			= (void *)cpuperf_init,
	.exit			= (void *)cpuperf_exit,
	.name			= "cpuperf",
};
