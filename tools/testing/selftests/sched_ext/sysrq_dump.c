// SPDX-License-Identifier: GPL-2.0
/*
 * Verify that SysRq-D dumps the state of the BPF scheduler and leaves it
 * attached, and that the kernel's task dumps name the scheduler.
 *
 * The core registers the 'D' key in scx_init(). Its handler calls
 * scx_dump_state() with no dump buffer, so in the C core the dump is not
 * printed to the kernel log: every line goes to the sched_ext_dump
 * tracepoint. The BPF side counts, on that tracepoint, the dump's header
 * ("Debug dump triggered by SysRq-D"), its "CPU states" section and the
 * line that the scheduler's ops.dump() adds. In the kernel log, the sysrq
 * core prints the key's action message, "Trigger sched_ext debug dump".
 * Unlike SysRq-S, SysRq-D must not disable the scheduler.
 *
 * The scheduler's name does reach the kernel log through print_scx_info(),
 * which sched_show_task() and dump_stack() call: "Sched_ext: NAME
 * (enabled+all)", followed by the task's runnable_at when it is on SCX.
 * SysRq-W shows the tasks in TASK_UNINTERRUPTIBLE, so a child that is
 * waiting in vfork() for its own child is shown with that line.
 */
#include <bpf/bpf.h>
#include <fcntl.h>
#include <scx/common.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "sysrq_dump.bpf.skel.h"
#include "scx_test.h"
#include "safety_util.h"

#define SCX_OPS		"/sys/kernel/sched_ext/root/ops"
#define SCX_OPS_NAME	"sysrq_dump_sched"
#define ACTION_MSG	"Trigger sched_ext debug dump"
#define SCX_INFO	"Sched_ext: " SCX_OPS_NAME " (enabled+all)"
#define KMSG_WAIT_MS	3000
#define BLOCK_WAIT_MS	3000

struct dump_ctx {
	struct sysrq_dump *skel;
	struct bpf_link *link;
	int kmsg_fd;
	pid_t blocked;
};

/*
 * Reads the kernel log records after @fd's position until one contains
 * @needle, for at most @timeout_ms.
 */
static bool kmsg_find(int fd, const char *needle, unsigned int timeout_ms)
{
	u64 deadline = now_ms() + timeout_ms;
	char rec[8192];
	const char *text;
	ssize_t len;

	while (now_ms() <= deadline) {
		len = read(fd, rec, sizeof(rec) - 1);
		if (len < 0) {
			/* EPIPE: records were overwritten, read on. */
			if (errno == EPIPE)
				continue;
			if (errno != EAGAIN)
				return false;
			usleep(10000);
			continue;
		}
		rec[len] = '\0';

		/* "prefix;text\n", see Documentation/ABI/testing/dev-kmsg */
		text = strchr(rec, ';');
		if (text && strstr(text + 1, needle))
			return true;
	}
	return false;
}

/* The state letter of @pid in /proc/PID/stat, or 0. */
static char task_state(pid_t pid)
{
	char path[64], buf[512], *end;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	end = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	return end && end[1] == ' ' ? end[2] : 0;
}

/*
 * Forks a child that vfork()s and waits, in TASK_KILLABLE, for a grandchild
 * that never execs. Both are in a process group of their own, and close
 * @link_fd: the scheduler detaches only once its last fd closes.
 */
static pid_t start_blocked_task(int link_fd)
{
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		close(link_fd);
		setpgid(0, 0);
		if (vfork() == 0) {
			while (true)
				pause();
		}
		_exit(0);
	}
	if (pid > 0)
		setpgid(pid, pid);
	return pid;
}

static enum scx_test_status setup(void **ctx)
{
	struct dump_ctx *dctx;

	if (access(SYSRQ_TRIGGER, W_OK)) {
		fprintf(stderr, "%s not available (CONFIG_MAGIC_SYSRQ?)\n",
			SYSRQ_TRIGGER);
		return SCX_TEST_SKIP;
	}

	dctx = calloc(1, sizeof(*dctx));
	SCX_FAIL_IF(!dctx, "Failed to allocate the test context");
	dctx->kmsg_fd = -1;
	dctx->blocked = -1;

	dctx->skel = sysrq_dump__open_and_load();
	if (!dctx->skel) {
		free(dctx);
		SCX_FAIL("Failed to open and load skel");
	}
	*ctx = dctx;

	return SCX_TEST_PASS;
}

static enum scx_test_status run(void *ctx)
{
	struct dump_ctx *dctx = ctx;
	struct sysrq_dump *skel = dctx->skel;
	char buf[64];
	bool found;
	u64 deadline;

	skel->links.sysrq_dump_line =
		bpf_program__attach(skel->progs.sysrq_dump_line);
	SCX_FAIL_IF(!skel->links.sysrq_dump_line,
		    "Failed to attach to the sched_ext_dump tracepoint");

	dctx->link = bpf_map__attach_struct_ops(skel->maps.sysrq_dump_ops);
	SCX_FAIL_IF(!dctx->link, "Failed to attach scheduler (%d)", -errno);

	dctx->kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	SCX_FAIL_IF(dctx->kmsg_fd < 0, "Failed to open /dev/kmsg (%s)",
		    strerror(errno));
	lseek(dctx->kmsg_fd, 0, SEEK_END);

	SCX_FAIL_IF(sysrq('D'), "Failed to write to %s", SYSRQ_TRIGGER);
	found = kmsg_find(dctx->kmsg_fd, ACTION_MSG, KMSG_WAIT_MS);

	SCX_FAIL_IF(!found, "No \"%s\" in the kernel log after SysRq-D",
		    ACTION_MSG);

	/* The dump is taken synchronously, from the write() above. */
	SCX_GT(skel->bss->nr_lines, 0);
	SCX_EQ(skel->bss->nr_header, 1);
	SCX_EQ(skel->bss->nr_cpus, 1);
	SCX_EQ(skel->bss->nr_ops_dump, 1);
	SCX_EQ(skel->bss->nr_marker, 1);

	/* A dump is not an exit: the scheduler must still be there. */
	SCX_EQ(skel->data->uei.kind, EXIT_KIND(SCX_EXIT_NONE));
	SCX_FAIL_IF(read_str(SCX_STATE, buf, sizeof(buf)) ||
		    strcmp(buf, "enabled"),
		    "%s does not read \"enabled\" after SysRq-D", SCX_STATE);
	SCX_FAIL_IF(read_str(SCX_OPS, buf, sizeof(buf)) ||
		    strcmp(buf, SCX_OPS_NAME),
		    "%s does not read \"%s\" after SysRq-D", SCX_OPS,
		    SCX_OPS_NAME);

	/* A task shown by SysRq-W names the scheduler. */
	dctx->blocked = start_blocked_task(bpf_link__fd(dctx->link));
	SCX_FAIL_IF(dctx->blocked < 0, "Failed to fork child");
	deadline = now_ms() + BLOCK_WAIT_MS;
	while (task_state(dctx->blocked) != 'D') {
		SCX_FAIL_IF(now_ms() > deadline,
			    "Child not blocked in vfork() after %d ms",
			    BLOCK_WAIT_MS);
		usleep(10000);
	}
	lseek(dctx->kmsg_fd, 0, SEEK_END);
	SCX_FAIL_IF(sysrq('w'), "Failed to write to %s", SYSRQ_TRIGGER);
	SCX_FAIL_IF(!kmsg_find(dctx->kmsg_fd, SCX_INFO, KMSG_WAIT_MS),
		    "No \"%s\" in the kernel log after SysRq-W", SCX_INFO);

	bpf_link__destroy(dctx->link);
	dctx->link = NULL;
	SCX_EQ(skel->data->uei.kind, EXIT_KIND(SCX_EXIT_UNREG));

	return SCX_TEST_PASS;
}

static void cleanup(void *ctx)
{
	struct dump_ctx *dctx = ctx;

	if (dctx->blocked > 0) {
		kill(-dctx->blocked, SIGKILL);
		kill(dctx->blocked, SIGKILL);
		waitpid(dctx->blocked, NULL, 0);
	}
	if (dctx->kmsg_fd >= 0)
		close(dctx->kmsg_fd);
	if (dctx->link)
		bpf_link__destroy(dctx->link);
	sysrq_dump__destroy(dctx->skel);
	free(dctx);
}

struct scx_test sysrq_dump = {
	.name = "sysrq_dump",
	.description = "Verify SysRq-D's dump and that task dumps name the scheduler",
	.setup = setup,
	.run = run,
	.cleanup = cleanup,
};

REGISTER_SCX_TEST(&sysrq_dump)
