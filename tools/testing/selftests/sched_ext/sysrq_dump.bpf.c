// SPDX-License-Identifier: GPL-2.0
/*
 * A switch-all scheduler with an ops.dump() that adds a known line to debug
 * dumps, and a program on the sched_ext_dump tracepoint that counts the dump
 * lines the test looks for.
 *
 * A SysRq-D dump has no buffer to fill (scx_dump_state() is called with a
 * dump_len of 0), so its lines only reach the sched_ext_dump tracepoint.
 */

#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

#define LINE_LEN	128

/* The header of a dump without an exit: "Debug dump triggered by %s". */
static const char header_line[] = "Debug dump triggered by SysRq-D";
static const char cpus_line[] = "CPU states";
static const char marker_line[] = "sysrq_dump: ops.dump() #";

u64 nr_lines, nr_header, nr_cpus, nr_marker, nr_ops_dump;

UEI_DEFINE(uei);

/* Whether @line starts with the constant string @prefix. */
#define LINE_HAS_PREFIX(line, prefix)					\
	(!bpf_strncmp(line, sizeof(prefix) - 1, prefix))

SEC("tp_btf/sched_ext_dump")
int BPF_PROG(sysrq_dump_line, const char *line)
{
	char buf[LINE_LEN] = {};

	if (bpf_probe_read_kernel_str(buf, sizeof(buf), line) < 0)
		return 0;

	__sync_fetch_and_add(&nr_lines, 1);
	if (LINE_HAS_PREFIX(buf, header_line))
		__sync_fetch_and_add(&nr_header, 1);
	else if (LINE_HAS_PREFIX(buf, cpus_line))
		__sync_fetch_and_add(&nr_cpus, 1);
	else if (LINE_HAS_PREFIX(buf, marker_line))
		__sync_fetch_and_add(&nr_marker, 1);

	return 0;
}

void BPF_STRUCT_OPS(sysrq_dump_dump, struct scx_dump_ctx *dctx)
{
	u64 nr = __sync_fetch_and_add(&nr_ops_dump, 1);

	scx_bpf_dump("sysrq_dump: ops.dump() #%llu", nr);
}

void BPF_STRUCT_OPS(sysrq_dump_exit, struct scx_exit_info *ei)
{
	UEI_RECORD(uei, ei);
}

SEC(".struct_ops.link")
struct sched_ext_ops sysrq_dump_ops = {
	.dump			= (void *)sysrq_dump_dump,
	.exit			= (void *)sysrq_dump_exit,
	.name			= "sysrq_dump_sched",
	.timeout_ms		= 1000U,
};
