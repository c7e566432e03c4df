// SPDX-License-Identifier: GPL-2.0
/*
 * Built-in idle tracking with SMT: scx_bpf_pick_idle_cpu() with and
 * without SCX_PICK_IDLE_CORE, and scx_bpf_get_idle_smtmask().
 *
 * The scheduler itself is the smallest there is: every task on the global
 * DSQ, CPUs chosen by the default ops.select_cpu(). The checks run in a
 * BPF_PROG_TYPE_SYSCALL program, on the CPU of the user space test that
 * runs it, which is therefore busy; user space knows which other CPUs it
 * keeps busy and tells the program through core_of[] and busy[].
 */

#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

#define MAX_CPUS	64

UEI_DEFINE(uei);

/* Set by user space. */
s32 core_of[MAX_CPUS];	/* a core id per CPU, from sysfs */
bool busy[MAX_CPUS];	/* the CPUs user space keeps running */
u32 nr_cpus;

/* The result of one run of pick(). */
s32 picked_core;	/* scx_bpf_pick_idle_cpu(SCX_PICK_IDLE_CORE) */
s32 picked_any;		/* scx_bpf_pick_idle_cpu(0) */
/* Sibling of picked_core still in the whole-core mask after the pick. */
bool smt_left;
/* A CPU in the whole-core mask with a sibling not in the idle mask. */
bool smt_not_idle;

static bool cpu_in(const struct cpumask *mask, s32 cpu)
{
	return cpu >= 0 && bpf_cpumask_test_cpu(cpu, mask);
}

SEC("syscall")
int pick(void *ctx)
{
	const struct cpumask *online, *idle, *smt;
	u32 i;

	online = scx_bpf_get_online_cpumask();
	picked_core = scx_bpf_pick_idle_cpu(online, SCX_PICK_IDLE_CORE);
	picked_any = scx_bpf_pick_idle_cpu(online, 0);
	scx_bpf_put_cpumask(online);

	idle = scx_bpf_get_idle_cpumask();
	smt = scx_bpf_get_idle_smtmask();
	smt_left = false;
	smt_not_idle = false;
	bpf_for(i, 0, nr_cpus) {
		if (i >= MAX_CPUS)
			break;
		/* Claiming a CPU takes its whole core out of the SMT mask. */
		if (picked_core >= 0 && picked_core < MAX_CPUS &&
		    core_of[i] == core_of[picked_core] && cpu_in(smt, i))
			smt_left = true;
		/* A busy CPU is never part of an idle core. */
		if (busy[i] && cpu_in(smt, i))
			smt_not_idle = true;
	}
	scx_bpf_put_idle_cpumask(smt);
	scx_bpf_put_idle_cpumask(idle);

	/* Give the claimed CPUs back: a kicked idle CPU marks itself idle. */
	if (picked_core >= 0)
		scx_bpf_kick_cpu(picked_core, 0);
	if (picked_any >= 0)
		scx_bpf_kick_cpu(picked_any, 0);
	return 0;
}

void BPF_STRUCT_OPS(idle_smt_exit, struct scx_exit_info *ei)
{
	UEI_RECORD(uei, ei);
}

SEC(".struct_ops.link")
struct sched_ext_ops idle_smt_ops = {
	.exit			= (void *)idle_smt_exit,
	.name			= "idle_smt",
};
