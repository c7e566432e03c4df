// SPDX-License-Identifier: GPL-2.0
/*
 * Verify that a CPU which was offline while a scheduler was attached can be
 * brought online and used afterwards.
 *
 * Every possible CPU has an idle task from boot, even one that has never
 * been online. The core's task iterator, scx_task_iter_next_locked(),
 * skips the idle tasks by testing for idle_sched_class, as PF_IDLE is not
 * set yet on the idle task of a CPU that has never been online. So
 * ops.init_task() never sees an idle task (they all have pid 0), and no
 * idle task is moved to another class while the scheduler is loaded or
 * unloaded. A core that got this wrong breaks the CPU when it is brought
 * online later.
 *
 * The test needs a present CPU that is offline when it starts, ideally one
 * that has never been online (boot with maxcpus=1). It attaches a scheduler
 * for a while and detaches it, brings the CPU online and runs on it, then
 * does the same with the scheduler attached, and takes the CPU offline
 * again.
 */
#include <bpf/bpf.h>
#include <sched.h>
#include <scx/common.h>
#include <time.h>
#include <unistd.h>
#include "offline_cpu_attach.bpf.skel.h"
#include "scx_test.h"
#include "safety_util.h"
#include "util.h"

#define CPU_SYSFS	"/sys/devices/system/cpu"
#define ATTACH_MS	1000
#define SPIN_MS		200

struct offline_ctx {
	struct offline_cpu_attach *skel;
	struct bpf_link *link;
	int cpu;
	char online_path[64];
	bool onlined;
	bool pinned;
	cpu_set_t saved_mask;
};

/* The first present CPU whose "online" file reads 0, or -1. */
static int find_offline_cpu(void)
{
	char list[256], path[64], *tok, *save;
	int first, last, cpu, n;
	FILE *f;

	f = fopen(CPU_SYSFS "/present", "r");
	if (!f)
		return -1;
	if (!fgets(list, sizeof(list), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	list[strcspn(list, "\n")] = '\0';

	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		n = sscanf(tok, "%d-%d", &first, &last);
		if (n == 1)
			last = first;
		else if (n != 2)
			continue;
		for (cpu = first; cpu <= last; cpu++) {
			snprintf(path, sizeof(path), CPU_SYSFS "/cpu%d/online",
				 cpu);
			if (file_read_long(path) == 0)
				return cpu;
		}
	}
	return -1;
}

/* Runs on @octx->cpu for SPIN_MS and returns whether it stayed there. */
static bool spin_on_cpu(struct offline_ctx *octx)
{
	bool stayed = true;
	cpu_set_t mask;
	u64 start;

	CPU_ZERO(&mask);
	CPU_SET(octx->cpu, &mask);
	if (sched_setaffinity(0, sizeof(mask), &mask))
		return false;
	octx->pinned = true;

	start = now_ms();
	while (now_ms() - start < SPIN_MS) {
		if (sched_getcpu() != octx->cpu)
			stayed = false;
	}

	sched_setaffinity(0, sizeof(octx->saved_mask), &octx->saved_mask);
	octx->pinned = false;

	return stayed;
}

static enum scx_test_status setup(void **ctx)
{
	struct offline_ctx *octx;
	int cpu;

	cpu = find_offline_cpu();
	if (cpu < 0) {
		fprintf(stderr, "Needs a CPU that is offline at start, e.g. boot with maxcpus=1\n");
		return SCX_TEST_SKIP;
	}

	octx = calloc(1, sizeof(*octx));
	SCX_FAIL_IF(!octx, "Failed to allocate the test context");
	octx->cpu = cpu;
	snprintf(octx->online_path, sizeof(octx->online_path),
		 CPU_SYSFS "/cpu%d/online", cpu);
	if (sched_getaffinity(0, sizeof(octx->saved_mask), &octx->saved_mask)) {
		free(octx);
		SCX_FAIL("Failed to read the runner's affinity");
	}

	octx->skel = offline_cpu_attach__open_and_load();
	if (!octx->skel) {
		free(octx);
		SCX_FAIL("Failed to open and load skel");
	}
	*ctx = octx;

	return SCX_TEST_PASS;
}

static enum scx_test_status run(void *ctx)
{
	struct offline_ctx *octx = ctx;
	struct offline_cpu_attach *skel = octx->skel;

	/* With the CPU offline: attach, run a while and detach. */
	octx->link = bpf_map__attach_struct_ops(skel->maps.offline_cpu_attach_ops);
	SCX_FAIL_IF(!octx->link, "Failed to attach scheduler (%d)", -errno);
	usleep(ATTACH_MS * 1000);
	SCX_EQ(skel->data->uei.kind, EXIT_KIND(SCX_EXIT_NONE));
	bpf_link__destroy(octx->link);
	octx->link = NULL;
	SCX_EQ(skel->data->uei.kind, EXIT_KIND(SCX_EXIT_UNREG));

	SCX_GT(skel->bss->nr_init_task, 0);
	SCX_EQ(skel->bss->nr_init_idle, 0);

	/* Bring the CPU online and run on it. */
	SCX_FAIL_IF(file_write_long(octx->online_path, 1),
		    "Failed to bring CPU %d online", octx->cpu);
	octx->onlined = true;
	SCX_EQ(file_read_long(octx->online_path), 1);
	SCX_FAIL_IF(!spin_on_cpu(octx), "Could not execute on CPU %d after onlining",
		    octx->cpu);

	/* Again, with a scheduler attached. */
	skel->data->uei.kind = EXIT_KIND(SCX_EXIT_NONE);
	octx->link = bpf_map__attach_struct_ops(skel->maps.offline_cpu_attach_ops);
	SCX_FAIL_IF(!octx->link,
		    "Failed to attach scheduler with CPU %d online (%d)",
		    octx->cpu, -errno);
	SCX_FAIL_IF(!spin_on_cpu(octx),
		    "Could not execute on CPU %d with the scheduler attached",
		    octx->cpu);
	SCX_EQ(skel->data->uei.kind, EXIT_KIND(SCX_EXIT_NONE));
	bpf_link__destroy(octx->link);
	octx->link = NULL;
	SCX_EQ(skel->data->uei.kind, EXIT_KIND(SCX_EXIT_UNREG));
	SCX_EQ(skel->bss->nr_init_idle, 0);

	/* Restore the CPU's state. */
	SCX_FAIL_IF(file_write_long(octx->online_path, 0),
		    "Failed to take CPU %d offline again", octx->cpu);
	octx->onlined = false;
	SCX_EQ(file_read_long(octx->online_path), 0);

	return SCX_TEST_PASS;
}

static void cleanup(void *ctx)
{
	struct offline_ctx *octx = ctx;

	if (octx->link)
		bpf_link__destroy(octx->link);
	if (octx->pinned)
		sched_setaffinity(0, sizeof(octx->saved_mask), &octx->saved_mask);
	if (octx->onlined && file_write_long(octx->online_path, 0))
		fprintf(stderr, "Failed to take CPU %d offline again\n",
			octx->cpu);
	offline_cpu_attach__destroy(octx->skel);
	free(octx);
}

struct scx_test offline_cpu_attach = {
	.name = "offline_cpu_attach",
	.description = "Verify onlining a CPU that was offline while a scheduler was attached",
	.setup = setup,
	.run = run,
	.cleanup = cleanup,
};

REGISTER_SCX_TEST(&offline_cpu_attach)
