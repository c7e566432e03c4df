// SPDX-License-Identifier: GPL-2.0
/*
 * A switch-all scheduler with the default scheduling paths, which records
 * how it exits.
 */

#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

UEI_DEFINE(uei);

void BPF_STRUCT_OPS(sysrq_exit_exit, struct scx_exit_info *ei)
{
	UEI_RECORD(uei, ei);
}

SEC(".struct_ops.link")
struct sched_ext_ops sysrq_exit_ops = {
	.exit			= (void *)sysrq_exit_exit,
	.name			= "sysrq_exit",
	.timeout_ms		= 1000U,
};
