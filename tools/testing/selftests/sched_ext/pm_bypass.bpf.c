// SPDX-License-Identifier: GPL-2.0
/*
 * A switch-all FIFO scheduler that counts, once armed, the tasks that start
 * running on a CPU in bypass mode and on one that is not.
 */

#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

UEI_DEFINE(uei);

bool armed;
u64 nr_running_bypassed;
u64 nr_running_normal;

void BPF_STRUCT_OPS(pm_bypass_enqueue, struct task_struct *p, u64 enq_flags)
{
	scx_bpf_dispatch(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

void BPF_STRUCT_OPS(pm_bypass_running, struct task_struct *p)
{
	struct rq *rq;

	if (!armed)
		return;
	rq = scx_bpf_cpu_rq(bpf_get_smp_processor_id());
	if (!rq)
		return;
	if (rq->scx.flags & SCX_RQ_BYPASSING)
		__sync_fetch_and_add(&nr_running_bypassed, 1);
	else
		__sync_fetch_and_add(&nr_running_normal, 1);
}

void BPF_STRUCT_OPS(pm_bypass_exit, struct scx_exit_info *ei)
{
	UEI_RECORD(uei, ei);
}

SEC(".struct_ops.link")
struct sched_ext_ops pm_bypass_ops = {
	.enqueue		= (void *)pm_bypass_enqueue,
	.running		= (void *)pm_bypass_running,
	.exit			= (void *)pm_bypass_exit,
	.name			= "pm_bypass",
};
