// SPDX-License-Identifier: GPL-2.0
/*
 * A scheduler that keeps its own view of the online CPUs: read in
 * ops.init(), then followed through ops.cpu_online() and ops.cpu_offline().
 *
 * It switches only SCHED_EXT tasks (none): with every task switched, 6.12's
 * fair deadline server warns in task_non_contending() when a CPU goes down
 * (dl_server_stop() from sched_cpu_dying()), on the C core as well, which
 * is not what this test is about.
 */

#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

UEI_DEFINE(uei);

/* Bit N: CPU N is online, as the scheduler knows it. CPUs 0-63 only. */
u64 online_view;
u64 nr_events;

s32 BPF_STRUCT_OPS_SLEEPABLE(hotplug_attach_init)
{
	const struct cpumask *online = scx_bpf_get_online_cpumask();
	u64 view = 0;
	s32 i;

	bpf_for(i, 0, 64)
		if (bpf_cpumask_test_cpu(i, online))
			view |= 1ULL << i;
	scx_bpf_put_cpumask(online);
	__sync_fetch_and_or(&online_view, view);
	return 0;
}

void BPF_STRUCT_OPS_SLEEPABLE(hotplug_attach_cpu_online, s32 cpu)
{
	if (cpu >= 0 && cpu < 64)
		__sync_fetch_and_or(&online_view, 1ULL << cpu);
	__sync_fetch_and_add(&nr_events, 1);
}

void BPF_STRUCT_OPS_SLEEPABLE(hotplug_attach_cpu_offline, s32 cpu)
{
	if (cpu >= 0 && cpu < 64)
		__sync_fetch_and_and(&online_view, ~(1ULL << cpu));
	__sync_fetch_and_add(&nr_events, 1);
}

void BPF_STRUCT_OPS(hotplug_attach_exit, struct scx_exit_info *ei)
{
	UEI_RECORD(uei, ei);
}

SEC(".struct_ops.link")
struct sched_ext_ops hotplug_attach_ops = {
	.init			= (void *)hotplug_attach_init,
	.cpu_online		= (void *)hotplug_attach_cpu_online,
	.cpu_offline		= (void *)hotplug_attach_cpu_offline,
	.exit			= (void *)hotplug_attach_exit,
	.flags			= SCX_OPS_SWITCH_PARTIAL,
	.name			= "hotplug_attach",
};
