// SPDX-License-Identifier: GPL-2.0
/*
 * Built-in idle tracking on an SMT topology: SCX_PICK_IDLE_CORE and
 * scx_bpf_get_idle_smtmask(). Needs SMT active, e.g. a guest started with
 * "-smp 4,sockets=1,cores=2,threads=2"; skips otherwise.
 *
 * The test pins itself to the last CPU and runs the BPF program pick (see
 * idle_smt.bpf.c) there, so that CPU's core is never wholly idle:
 *
 *  1. With nothing else kept busy, a core other than ours is idle (the
 *     guest has nothing else to run): scx_bpf_pick_idle_cpu() with
 *     SCX_PICK_IDLE_CORE must return one of its CPUs at least once in
 *     ROUNDS tries (a kernel thread may briefly run there), and never one
 *     of our core. The claim must take the whole core out of the SMT mask.
 *  2. With a child spinning on a CPU of every other core, no core is idle:
 *     SCX_PICK_IDLE_CORE must fail every time, and a plain pick must never
 *     return a CPU that is kept busy.
 *
 * In both, no busy CPU may be in the SMT mask.
 */
#include <bpf/bpf.h>
#include <sched.h>
#include <scx/common.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "idle_smt.bpf.skel.h"
#include "scx_test.h"

#define MAX_CPUS	64
#define ROUNDS		10

struct idle_smt_ctx {
	struct idle_smt *skel;
	struct bpf_link *link;
	int nr_cpus;
	int self;
	pid_t children[MAX_CPUS];
	int nr_children;
};

static int read_int(const char *path)
{
	FILE *f = fopen(path, "r");
	int v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static int cpu_core(int cpu)
{
	char path[96];

	snprintf(path, sizeof(path),
		 "/sys/devices/system/cpu/cpu%d/topology/core_id", cpu);
	return read_int(path);
}

static enum scx_test_status setup(void **ctx)
{
	struct idle_smt_ctx *sctx;
	int i;

	if (read_int("/sys/devices/system/cpu/smt/active") != 1) {
		fprintf(stderr, "SMT is not active\n");
		return SCX_TEST_SKIP;
	}
	sctx = calloc(1, sizeof(*sctx));
	SCX_FAIL_IF(!sctx, "Failed to allocate the test context");
	sctx->nr_cpus = libbpf_num_possible_cpus();
	SCX_FAIL_IF(sctx->nr_cpus > MAX_CPUS, "Too many CPUs");
	sctx->self = sctx->nr_cpus - 1;

	sctx->skel = idle_smt__open();
	SCX_FAIL_IF(!sctx->skel, "Failed to open skel");
	sctx->skel->bss->nr_cpus = sctx->nr_cpus;
	for (i = 0; i < sctx->nr_cpus; i++) {
		sctx->skel->bss->core_of[i] = cpu_core(i);
		SCX_FAIL_IF(sctx->skel->bss->core_of[i] < 0,
			    "No core id for CPU %d", i);
	}
	SCX_FAIL_IF(idle_smt__load(sctx->skel), "Failed to load skel");
	*ctx = sctx;
	return SCX_TEST_PASS;
}

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* Spins on @cpu until killed. */
static pid_t spin_on(int cpu)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (pin(cpu))
			_exit(1);
		for (;;)
			;
	}
	return pid;
}

static void stop_children(struct idle_smt_ctx *sctx)
{
	int i;

	for (i = 0; i < sctx->nr_children; i++) {
		kill(sctx->children[i], SIGKILL);
		waitpid(sctx->children[i], NULL, 0);
	}
	sctx->nr_children = 0;
}

static int run_pick(struct idle_smt *skel)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	return bpf_prog_test_run_opts(bpf_program__fd(skel->progs.pick), &opts);
}

static enum scx_test_status run(void *ctx)
{
	struct idle_smt_ctx *sctx = ctx;
	struct idle_smt *skel = sctx->skel;
	int *core = skel->bss->core_of;
	int i, r, found = 0;

	SCX_FAIL_IF(pin(sctx->self), "Failed to pin to CPU %d", sctx->self);
	sctx->link = bpf_map__attach_struct_ops(skel->maps.idle_smt_ops);
	SCX_FAIL_IF(!sctx->link, "Failed to attach scheduler");
	memset(skel->bss->busy, 0, sizeof(skel->bss->busy));
	skel->bss->busy[sctx->self] = true;
	usleep(200 * 1000);

	/* 1: only our core is busy. */
	for (r = 0; r < ROUNDS; r++) {
		SCX_FAIL_IF(run_pick(skel), "BPF_PROG_RUN of pick failed");
		i = skel->bss->picked_core;
		SCX_FAIL_IF(i >= 0 && core[i] == core[sctx->self],
			    "SCX_PICK_IDLE_CORE picked CPU %d of our busy core", i);
		SCX_FAIL_IF(skel->bss->smt_left,
			    "CPU %d's core still in the SMT mask after the claim", i);
		SCX_FAIL_IF(skel->bss->smt_not_idle,
			    "CPU %d, busy, in the SMT mask", sctx->self);
		found += i >= 0;
		usleep(20 * 1000);
	}
	SCX_FAIL_IF(!found, "SCX_PICK_IDLE_CORE found no idle core in %d tries",
		    ROUNDS);

	/* 2: a busy CPU on every other core too. */
	for (i = 0; i < sctx->nr_cpus; i++) {
		bool seen = false;
		int j;

		for (j = 0; j < i; j++)
			seen |= core[j] == core[i];
		if (seen || core[i] == core[sctx->self])
			continue;
		sctx->children[sctx->nr_children++] = spin_on(i);
		skel->bss->busy[i] = true;
	}
	usleep(300 * 1000);
	for (r = 0; r < ROUNDS; r++) {
		SCX_FAIL_IF(run_pick(skel), "BPF_PROG_RUN of pick failed");
		SCX_FAIL_IF(skel->bss->picked_core >= 0,
			    "SCX_PICK_IDLE_CORE picked CPU %d with no core idle",
			    skel->bss->picked_core);
		i = skel->bss->picked_any;
		SCX_FAIL_IF(i >= 0 && skel->bss->busy[i],
			    "picked CPU %d, which is busy", i);
		SCX_FAIL_IF(skel->bss->smt_not_idle, "a busy CPU in the SMT mask");
		usleep(20 * 1000);
	}
	stop_children(sctx);

	SCX_FAIL_IF(skel->data->uei.kind != EXIT_KIND(SCX_EXIT_NONE),
		    "The scheduler exited (kind %llu)",
		    (unsigned long long)skel->data->uei.kind);
	return SCX_TEST_PASS;
}

static void cleanup(void *ctx)
{
	struct idle_smt_ctx *sctx = ctx;

	stop_children(sctx);
	if (sctx->link)
		bpf_link__destroy(sctx->link);
	idle_smt__destroy(sctx->skel);
	free(sctx);
}

struct scx_test idle_smt = {
	.name = "idle_smt",
	.description = "SCX_PICK_IDLE_CORE and the idle SMT mask on an SMT topology",
	.setup = setup,
	.run = run,
	.cleanup = cleanup,
};

REGISTER_SCX_TEST(&idle_smt)
