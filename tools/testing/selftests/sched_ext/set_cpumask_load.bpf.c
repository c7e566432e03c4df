// SPDX-License-Identifier: GPL-2.0
/*
 * A switch-all scheduler with the default scheduling paths that records
 * what ops.set_cpumask() tells it about one task.
 */

#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

/* Set by user space before attaching. */
s32 target_pid;

u64 nr_set_cpumask;
u32 mask_weight;
bool has_cpu0, has_cpu1;

UEI_DEFINE(uei);

void BPF_STRUCT_OPS(set_cpumask_load_set_cpumask, struct task_struct *p,
		    const struct cpumask *cpumask)
{
	if (!target_pid || p->pid != target_pid)
		return;

	mask_weight = bpf_cpumask_weight(cpumask);
	has_cpu0 = bpf_cpumask_test_cpu(0, cpumask);
	has_cpu1 = bpf_cpumask_test_cpu(1, cpumask);
	__sync_fetch_and_add(&nr_set_cpumask, 1);
}

void BPF_STRUCT_OPS(set_cpumask_load_exit, struct scx_exit_info *ei)
{
	UEI_RECORD(uei, ei);
}

SEC(".struct_ops.link")
struct sched_ext_ops set_cpumask_load_ops = {
	.set_cpumask		= (void *)set_cpumask_load_set_cpumask,
	.exit			= (void *)set_cpumask_load_exit,
	.name			= "set_cpumask_load",
	.timeout_ms		= 1000U,
};
