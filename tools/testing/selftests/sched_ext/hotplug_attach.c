// SPDX-License-Identifier: GPL-2.0
/*
 * Verify that a scheduler attached while a CPU goes on- and offline misses
 * no hotplug event.
 *
 * The core keeps the CPUs from changing from ops.init() until it delivers
 * hotplug events to the scheduler, which it does from then on, also while
 * the scheduler is still being enabled. So a scheduler that reads the online
 * CPUs in ops.init() and follows ops.cpu_online() and ops.cpu_offline()
 * always knows which CPUs are online. A thread takes CPU 1 off- and online
 * in a loop while the scheduler attaches; once it stops, the scheduler's
 * view must be the kernel's.
 *
 * An event that comes before ops.init() ends the scheduler with
 * SCX_EXIT_UNREG_KERN and a hotplug restart code, which a loader answers by
 * loading the scheduler again: so does this test, a few times per round.
 */
#include <bpf/bpf.h>
#include <pthread.h>
#include <scx/common.h>
#include <stdatomic.h>
#include <unistd.h>
#include "hotplug_attach.bpf.skel.h"
#include "scx_test.h"
#include "util.h"

#define CPU1_ONLINE	"/sys/devices/system/cpu/cpu1/online"
#define ROUNDS		8
#define RESTARTS	5
#define HOTPLUG_RESTART	(SCX_ECODE_ACT_RESTART | SCX_ECODE_RSN_HOTPLUG)

static atomic_bool toggling;

static void *toggle_cpu1(void *arg)
{
	while (atomic_load(&toggling)) {
		file_write_long(CPU1_ONLINE, 0);
		file_write_long(CPU1_ONLINE, 1);
	}
	return NULL;
}

/* The online CPUs below 64, as the kernel reports them. */
static u64 online_cpus(void)
{
	char path[64];
	u64 mask = 1;	/* CPU 0 has no "online" file and is always online */
	int cpu;

	for (cpu = 1; cpu < 64; cpu++) {
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online",
			 cpu);
		if (access(path, F_OK))
			continue;
		if (file_read_long(path) > 0)
			mask |= 1ULL << cpu;
	}
	return mask;
}

static enum scx_test_status setup(void **ctx)
{
	if (access(CPU1_ONLINE, W_OK) || file_read_long(CPU1_ONLINE) <= 0) {
		fprintf(stderr, "CPU 1 is not online or cannot be taken offline\n");
		return SCX_TEST_SKIP;
	}
	return SCX_TEST_PASS;
}

/*
 * One attach while CPU 1 goes off- and online. Returns SCX_TEST_SKIP for a
 * round whose scheduler was ended by an early hotplug event, to be run
 * again.
 */
static enum scx_test_status one_round(int round)
{
	struct hotplug_attach *skel;
	struct bpf_link *link;
	pthread_t thread;
	u64 view, kernel;

	skel = hotplug_attach__open_and_load();
	SCX_FAIL_IF(!skel, "Failed to open and load skel");

	atomic_store(&toggling, true);
	SCX_FAIL_IF(pthread_create(&thread, NULL, toggle_cpu1, NULL),
		    "Failed to start the hotplug thread");
	/* Let it get going, so that the attach overlaps hotplug. */
	usleep(round * 5000);
	link = bpf_map__attach_struct_ops(skel->maps.hotplug_attach_ops);
	usleep(100 * 1000);
	atomic_store(&toggling, false);
	pthread_join(thread, NULL);
	SCX_FAIL_IF(!link, "Round %d: failed to attach scheduler (%d)", round,
		    -errno);

	/* CPU 1 is online again; the last event has been delivered. */
	if (UEI_EXITED(skel, uei) &&
	    skel->data->uei.kind == EXIT_KIND(SCX_EXIT_UNREG_KERN) &&
	    (skel->data->uei.exit_code & HOTPLUG_RESTART) == HOTPLUG_RESTART) {
		bpf_link__destroy(link);
		hotplug_attach__destroy(skel);
		return SCX_TEST_SKIP;
	}
	SCX_FAIL_IF(UEI_EXITED(skel, uei),
		    "Round %d: scheduler ejected: %s (%s)", round,
		    skel->data->uei.reason, skel->data->uei.msg);
	view = skel->bss->online_view;
	kernel = online_cpus();
	SCX_FAIL_IF(view != kernel,
		    "Round %d: the scheduler sees CPUs 0x%llx online, the kernel 0x%llx (%llu events)",
		    round, (unsigned long long)view, (unsigned long long)kernel,
		    (unsigned long long)skel->bss->nr_events);

	bpf_link__destroy(link);
	SCX_EQ(skel->data->uei.kind, EXIT_KIND(SCX_EXIT_UNREG));
	hotplug_attach__destroy(skel);
	return SCX_TEST_PASS;
}

static enum scx_test_status run(void *ctx)
{
	enum scx_test_status status;
	int round, restarts = 0;

	for (round = 0; round < ROUNDS; round++) {
		status = one_round(round);
		/* Leave CPU 1 online whatever happened. */
		file_write_long(CPU1_ONLINE, 1);
		if (status == SCX_TEST_SKIP) {
			SCX_FAIL_IF(++restarts > RESTARTS * ROUNDS,
				    "Ended by hotplug events %d times", restarts);
			round--;
			continue;
		}
		if (status != SCX_TEST_PASS)
			return status;
	}
	fprintf(stderr, "%d rounds, %d restarts after early hotplug events\n",
		ROUNDS, restarts);
	return SCX_TEST_PASS;
}

struct scx_test hotplug_attach = {
	.name = "hotplug_attach",
	.description = "Verify that a scheduler attached during CPU hotplug misses no event",
	.setup = setup,
	.run = run,
};

REGISTER_SCX_TEST(&hotplug_attach)
