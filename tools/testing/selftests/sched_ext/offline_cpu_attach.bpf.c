// SPDX-License-Identifier: GPL-2.0
/*
 * A switch-all scheduler with the default scheduling paths that counts the
 * tasks it is asked to initialize, and among them the idle tasks, which
 * all have pid 0.
 */

#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

u64 nr_init_task, nr_init_idle;

UEI_DEFINE(uei);

s32 BPF_STRUCT_OPS(offline_cpu_attach_init_task, struct task_struct *p,
		   struct scx_init_task_args *args)
{
	if (!p->pid)
		__sync_fetch_and_add(&nr_init_idle, 1);
	__sync_fetch_and_add(&nr_init_task, 1);
	return 0;
}

void BPF_STRUCT_OPS(offline_cpu_attach_exit, struct scx_exit_info *ei)
{
	UEI_RECORD(uei, ei);
}

SEC(".struct_ops.link")
struct sched_ext_ops offline_cpu_attach_ops = {
	.init_task		= (void *)offline_cpu_attach_init_task,
	.exit			= (void *)offline_cpu_attach_exit,
	.name			= "offline_cpu_attach",
	.timeout_ms		= 1000U,
};
