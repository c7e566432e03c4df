// SPDX-License-Identifier: GPL-2.0
/*
 * Two switch-all schedulers. reattach_bad_ops calls scx_bpf_error() as soon
 * as it is given a task: from ops.enable() while it is being attached, or
 * from ops.running() once tasks run on it if error_in_running is set.
 * reattach_good_ops uses the default scheduling paths and only records its
 * exit.
 */

#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

/* Set by user space before attaching. */
bool error_in_running;

UEI_DEFINE(uei_bad);
UEI_DEFINE(uei_good);

void BPF_STRUCT_OPS(reattach_bad_enable, struct task_struct *p)
{
	if (!error_in_running)
		scx_bpf_error("reattach: error in ops.enable() of %s[%d]",
			      p->comm, p->pid);
}

void BPF_STRUCT_OPS(reattach_bad_running, struct task_struct *p)
{
	if (error_in_running)
		scx_bpf_error("reattach: error in ops.running() of %s[%d]",
			      p->comm, p->pid);
}

void BPF_STRUCT_OPS(reattach_bad_exit, struct scx_exit_info *ei)
{
	UEI_RECORD(uei_bad, ei);
}

void BPF_STRUCT_OPS(reattach_good_exit, struct scx_exit_info *ei)
{
	UEI_RECORD(uei_good, ei);
}

SEC(".struct_ops.link")
struct sched_ext_ops reattach_bad_ops = {
	.enable			= (void *)reattach_bad_enable,
	.running		= (void *)reattach_bad_running,
	.exit			= (void *)reattach_bad_exit,
	.name			= "reattach_bad",
	.timeout_ms		= 1000U,
};

SEC(".struct_ops.link")
struct sched_ext_ops reattach_good_ops = {
	.exit			= (void *)reattach_good_exit,
	.name			= "reattach_good",
	.timeout_ms		= 1000U,
};
