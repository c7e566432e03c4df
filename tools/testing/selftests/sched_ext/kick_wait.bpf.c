// SPDX-License-Identifier: GPL-2.0
/*
 * A switch-all scheduler, on a shared DSQ, whose CPUs kick the other CPU
 * of their pair (0-1, 2-3, ...) with SCX_KICK_WAIT: from ops.tick() once
 * in TICK_KICK_EVERY ticks, and from ops.enqueue() and ops.dispatch() once
 * in KICK_EVERY calls. Only the CPUs in the kickers mask kick. The kicking CPU then
 * waits, from the kick's irq_work, until the kicked CPU has been through a
 * scheduling cycle.
 */

#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

#define MAX_CPUS	64
#define TICK_KICK_EVERY	4
#define KICK_EVERY	8
#define SHARED_DSQ	0

enum kick_from {
	FROM_TICK,
	FROM_ENQUEUE,
	FROM_DISPATCH,
	NR_FROM,
};

UEI_DEFINE(uei);

/* Set by user space: the CPUs below 64 that kick their pair. */
u64 kickers;

/* Read by user space. */
u64 nr_kicks[NR_FROM];

/*
 * Per CPU, counted by the CPU that runs the operation. A CPU runs one at a
 * time, with IRQs disabled.
 */
static u64 nr_calls[MAX_CPUS][NR_FROM];

static void kick_other(enum kick_from from, u64 every)
{
	s32 cpu = bpf_get_smp_processor_id();
	u64 *calls;

	calls = MEMBER_VPTR(nr_calls, [cpu][from]);
	if (!calls || !(kickers & (1LLU << cpu)) || (*calls)++ % every)
		return;

	scx_bpf_kick_cpu(cpu ^ 1, SCX_KICK_WAIT);
	__sync_fetch_and_add(&nr_kicks[from], 1);
}

void BPF_STRUCT_OPS(kick_wait_enqueue, struct task_struct *p, u64 enq_flags)
{
	scx_bpf_dispatch(p, SHARED_DSQ, SCX_SLICE_DFL, enq_flags);
	kick_other(FROM_ENQUEUE, KICK_EVERY);
}

void BPF_STRUCT_OPS(kick_wait_dispatch, s32 cpu, struct task_struct *prev)
{
	kick_other(FROM_DISPATCH, KICK_EVERY);
	scx_bpf_consume(SHARED_DSQ);
}

void BPF_STRUCT_OPS(kick_wait_tick, struct task_struct *p)
{
	kick_other(FROM_TICK, TICK_KICK_EVERY);
}

s32 BPF_STRUCT_OPS_SLEEPABLE(kick_wait_init)
{
	return scx_bpf_create_dsq(SHARED_DSQ, -1);
}

void BPF_STRUCT_OPS(kick_wait_exit, struct scx_exit_info *ei)
{
	UEI_RECORD(uei, ei);
}

SEC(".struct_ops.link")
struct sched_ext_ops kick_wait_ops = {
	.enqueue		= (void *)kick_wait_enqueue,
	.dispatch		= (void *)kick_wait_dispatch,
	.tick			= (void *)kick_wait_tick,
	.init			= (void *)kick_wait_init,
	.exit			= (void *)kick_wait_exit,
	.name			= "kick_wait",
};
