// SPDX-License-Identifier: GPL-2.0
/*
 * A QEMU TCG plugin for make profile: how many guest instructions each
 * translated block ran between two entries into a marker address.
 *
 * Every block of the guest kernel (and, with all=1, of user space) gets an
 * inline counter of its executions.  The first time a vCPU enters the
 * block at marker=ADDR the counters are snapshotted; the second time, each
 * block that ran meanwhile is written to out=FILE as
 * "VADDR NR_INSNS EXECUTIONS".  harness/profile/report.py maps the blocks
 * to the kernel's symbols.
 *
 * Under -icount QEMU runs the vCPUs one at a time, so the plain counters
 * need no atomics.
 *
 * Written for QEMU 7.2's plugin API (version 1), whose few declarations
 * are spelled out below: Debian 12 ships the plugin loader but not
 * qemu-plugin.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
		void (*cb)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb));
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb,
		enum qemu_plugin_op op, void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb,
		void (*cb)(unsigned int vcpu_index, void *userdata),
		enum qemu_plugin_cb_flags flags, void *userdata);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* One translation of a block; a block translated again gets another. */
struct block {
	uint64_t vaddr, insns, count, base;
	struct block *next;
};

static struct block *blocks;
static uint64_t marker;
static int all_addrs, hits;
static const char *out_path = "tbcount.out";

static void on_marker(unsigned int vcpu, void *userdata)
{
	struct block *b;
	FILE *f;

	if (++hits == 1) {
		for (b = blocks; b; b = b->next)
			b->base = b->count;
		return;
	}
	if (hits != 2)
		return;
	f = fopen(out_path, "w");
	if (!f) {
		perror(out_path);
		return;
	}
	for (b = blocks; b; b = b->next)
		if (b->count != b->base)
			fprintf(f, "%llx %llu %llu\n", (unsigned long long)b->vaddr,
				(unsigned long long)b->insns,
				(unsigned long long)(b->count - b->base));
	fclose(f);
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	uint64_t vaddr = qemu_plugin_tb_vaddr(tb);
	struct block *b;

	/* The kernel's half of the x86-64 address space. */
	if (!all_addrs && vaddr < 0xffff800000000000ULL)
		return;
	b = calloc(1, sizeof(*b));
	if (!b)
		abort();
	b->vaddr = vaddr;
	b->insns = qemu_plugin_tb_n_insns(tb);
	b->next = blocks;
	blocks = b;
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
						 &b->count, 1);
	if (vaddr == marker)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, on_marker,
						     QEMU_PLUGIN_CB_NO_REGS, NULL);
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const void *info, int argc,
			char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "marker=", 7))
			marker = strtoull(argv[i] + 7, NULL, 16);
		else if (!strncmp(argv[i], "out=", 4))
			out_path = strdup(argv[i] + 4);
		else if (!strcmp(argv[i], "all=1"))
			all_addrs = 1;
		else {
			fprintf(stderr, "tbcount: unknown argument %s\n", argv[i]);
			return -1;
		}
	}
	if (!marker) {
		fprintf(stderr, "tbcount: no marker=ADDR\n");
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	return 0;
}
