// SPDX-License-Identifier: GPL-2.0
/*
 * A switch-all FIFO scheduler that destroys DSQs from ops.dispatch().
 *
 * ops.init() creates the shared DSQ that every task is queued on, and
 * NR_VICTIM_DSQS empty DSQs. Each ops.dispatch() call, which runs with the
 * rq lock held, destroys the next victim before consuming the shared DSQ.
 */

#include <scx/common.bpf.h>
#include "destroy_dsq_dispatch_test.h"

char _license[] SEC("license") = "GPL";

#define SHARED_DSQ	0

u64 next_victim;
u64 nr_destroyed, nr_still_found;

UEI_DEFINE(uei);

void BPF_STRUCT_OPS(destroy_dsq_enqueue, struct task_struct *p, u64 enq_flags)
{
	scx_bpf_dispatch(p, SHARED_DSQ, SCX_SLICE_DFL, enq_flags);
}

void BPF_STRUCT_OPS(destroy_dsq_dispatch, s32 cpu, struct task_struct *prev)
{
	u64 id = __sync_fetch_and_add(&next_victim, 1) + FIRST_VICTIM_DSQ;

	if (id < FIRST_VICTIM_DSQ + NR_VICTIM_DSQS) {
		scx_bpf_destroy_dsq(id);
		/* A destroyed DSQ must be gone at once. */
		if (scx_bpf_dsq_nr_queued(id) >= 0)
			__sync_fetch_and_add(&nr_still_found, 1);
		__sync_fetch_and_add(&nr_destroyed, 1);
	}

	scx_bpf_consume(SHARED_DSQ);
}

s32 BPF_STRUCT_OPS_SLEEPABLE(destroy_dsq_init)
{
	s32 ret;
	int i;

	ret = scx_bpf_create_dsq(SHARED_DSQ, -1);
	if (ret)
		return ret;

	bpf_for(i, 0, NR_VICTIM_DSQS) {
		ret = scx_bpf_create_dsq(FIRST_VICTIM_DSQ + i, -1);
		if (ret) {
			scx_bpf_error("Failed to create DSQ %u (%d)",
				      FIRST_VICTIM_DSQ + i, ret);
			return ret;
		}
	}

	return 0;
}

void BPF_STRUCT_OPS(destroy_dsq_exit, struct scx_exit_info *ei)
{
	UEI_RECORD(uei, ei);
}

SEC(".struct_ops.link")
struct sched_ext_ops destroy_dsq_dispatch_ops = {
	.enqueue		= (void *)destroy_dsq_enqueue,
	.dispatch		= (void *)destroy_dsq_dispatch,
	.init			= (void *)destroy_dsq_init,
	.exit			= (void *)destroy_dsq_exit,
	.name			= "destroy_dsq_dispatch",
	.timeout_ms		= 5000U,
};
