// SPDX-License-Identifier: GPL-2.0
/*
 * A switch-all FIFO scheduler that raises an error after a number of
 * ops.running() calls, and adds lines of its own to the debug dump from
 * ops.dump(), ops.dump_cpu() and ops.dump_task().
 */

#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

UEI_DEFINE(uei);

u64 nr_running;

void BPF_STRUCT_OPS(exit_dump_enqueue, struct task_struct *p, u64 enq_flags)
{
	scx_bpf_dispatch(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

void BPF_STRUCT_OPS(exit_dump_running, struct task_struct *p)
{
	if (__sync_add_and_fetch(&nr_running, 1) == 200)
		scx_bpf_error("exit_dump: error on purpose");
}

void BPF_STRUCT_OPS(exit_dump_dump, struct scx_dump_ctx *dctx)
{
	int i;

	/* One line, then a line made of two calls. */
	scx_bpf_dump("EXIT_DUMP ops.dump kind=%d\n", dctx->kind);
	scx_bpf_dump("EXIT_DUMP made of ");
	scx_bpf_dump("two calls\n");
	/*
	 * The test cuts a dump at 1024 bytes.  What the core prints around
	 * these lines depends on the machine (the backtrace, the CPUs, the
	 * tasks): with two CPUs and no backtrace it was under 600 bytes.
	 * These lines make the dump longer than the cut everywhere.
	 */
	for (i = 0; i < 16; i++)
		scx_bpf_dump("EXIT_DUMP filler %02d: a line that makes the dump long enough\n", i);
}

void BPF_STRUCT_OPS(exit_dump_dump_cpu, struct scx_dump_ctx *dctx, s32 cpu,
		    bool idle)
{
	scx_bpf_dump("EXIT_DUMP cpu=%d", cpu);
}

void BPF_STRUCT_OPS(exit_dump_dump_task, struct scx_dump_ctx *dctx,
		    struct task_struct *p)
{
	scx_bpf_dump("EXIT_DUMP pid=%d", p->pid);
}

void BPF_STRUCT_OPS(exit_dump_exit, struct scx_exit_info *ei)
{
	UEI_RECORD(uei, ei);
}

SEC(".struct_ops.link")
struct sched_ext_ops exit_dump_ops = {
	.enqueue		= (void *)exit_dump_enqueue,
	.running		= (void *)exit_dump_running,
	.dump			= (void *)exit_dump_dump,
	.dump_cpu		= (void *)exit_dump_dump_cpu,
	.dump_task		= (void *)exit_dump_dump_task,
	.exit			= (void *)exit_dump_exit,
	.name			= "exit_dump",
};
