// SPDX-License-Identifier: GPL-2.0
/*
 * Verify the debug dump of an error exit.
 *
 * When a scheduler errors out, the core dumps its state into the exit info
 * before ops.exit(): a header with the exit kind, the reason and message and
 * the backtrace of the error, then the state of each CPU and of the tasks
 * on it. The scheduler's ops.dump(), ops.dump_cpu() and ops.dump_task() add
 * lines with scx_bpf_dump(), which end at a newline or at the end of the
 * callback, and are indented by what they describe. The dump is at most
 * ops.exit_dump_len bytes; one cut short ends with a marker saying so.
 */
#include <bpf/bpf.h>
#include <scx/common.h>
#include <time.h>
#include <unistd.h>
#include "exit_dump.bpf.skel.h"
#include "scx_test.h"
#include "safety_util.h"

#define EXIT_WAIT_MS	20000

/* Whether a line of @dump starts with @prefix. */
static bool has_line(const char *dump, const char *prefix)
{
	const char *line = dump;

	while (line && *line) {
		if (!strncmp(line, prefix, strlen(prefix)))
			return true;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return false;
}

/*
 * Loads the scheduler with an exit dump of @dump_len bytes, lets it run
 * until it errors out, and returns it for checking, or NULL.
 */
static struct exit_dump *run_once(u32 dump_len)
{
	struct exit_dump *skel;
	struct bpf_link *link;
	u64 deadline;

	skel = exit_dump__open();
	if (!skel) {
		SCX_ERR("Failed to open skel");
		return NULL;
	}
	skel->struct_ops.exit_dump_ops->exit_dump_len = dump_len;
	UEI_SET_SIZE(skel, exit_dump_ops, uei);
	if (exit_dump__load(skel)) {
		SCX_ERR("Failed to load skel");
		exit_dump__destroy(skel);
		return NULL;
	}
	link = bpf_map__attach_struct_ops(skel->maps.exit_dump_ops);
	if (!link) {
		SCX_ERR("Failed to attach scheduler (%d)", -errno);
		exit_dump__destroy(skel);
		return NULL;
	}
	deadline = now_ms() + EXIT_WAIT_MS;
	while (!UEI_EXITED(skel, uei) && now_ms() < deadline)
		usleep(10000);
	bpf_link__destroy(link);
	return skel;
}

static enum scx_test_status run(void *ctx)
{
	struct exit_dump *skel;
	const char *dump;
	char header[64];
	size_t len;

	/* The default length holds the whole dump of a small machine. */
	skel = run_once(0);
	SCX_FAIL_IF(!skel, "The first scheduler could not be loaded and attached");
	SCX_EQ(skel->data->uei.kind, EXIT_KIND(SCX_EXIT_ERROR_BPF));
	SCX_FAIL_IF(strcmp(skel->data->uei.msg, "exit_dump: error on purpose"),
		    "Unexpected message \"%s\"", skel->data->uei.msg);
	dump = skel->data_uei_dump->uei_dump;
	fprintf(stderr, "--- dump ---\n%s\n--- end ---\n", dump);

	snprintf(header, sizeof(header), "triggered exit kind %d:",
		 (int)EXIT_KIND(SCX_EXIT_ERROR_BPF));
	SCX_FAIL_IF(!strstr(dump, header), "No \"%s\" header", header);
	SCX_FAIL_IF(!has_line(dump, "  scx_bpf_error (exit_dump: error on purpose)"),
		    "No reason and message line");
	SCX_FAIL_IF(!has_line(dump, "Backtrace:"), "No backtrace");
	SCX_FAIL_IF(!has_line(dump, "CPU states"), "No CPU states");
	SCX_FAIL_IF(!has_line(dump, "CPU 0   : nr_run="), "No line for CPU 0");
	SCX_FAIL_IF(!has_line(dump, "EXIT_DUMP ops.dump kind=1025"),
		    "No ops.dump() line, unindented");
	SCX_FAIL_IF(!has_line(dump, "EXIT_DUMP made of two calls"),
		    "The two scx_bpf_dump() calls are not one line");
	SCX_FAIL_IF(!has_line(dump, "  EXIT_DUMP cpu=0"),
		    "No ops.dump_cpu() line for CPU 0, indented by 2");
	SCX_FAIL_IF(!has_line(dump, "    EXIT_DUMP pid="),
		    "No ops.dump_task() line, indented by 4");
	SCX_FAIL_IF(strstr(dump, "TRUNCATED"), "A full dump is marked truncated");
	exit_dump__destroy(skel);

	/* A short one is cut, and says so at its end. */
	skel = run_once(1024);
	SCX_FAIL_IF(!skel, "The second scheduler could not be loaded and attached");
	SCX_EQ(skel->data->uei.kind, EXIT_KIND(SCX_EXIT_ERROR_BPF));
	dump = skel->data_uei_dump->uei_dump;
	len = strnlen(dump, 1024);
	SCX_FAIL_IF(len != 1023, "A dump cut at 1024 bytes holds %zu", len);
	SCX_FAIL_IF(strcmp(dump + len - strlen("\n\n~~~~ TRUNCATED ~~~~\n"),
			   "\n\n~~~~ TRUNCATED ~~~~\n"),
		    "A cut dump does not end with the TRUNCATED marker");
	exit_dump__destroy(skel);

	return SCX_TEST_PASS;
}

struct scx_test exit_dump = {
	.name = "exit_dump",
	.description = "Verify the debug dump of an error exit",
	.run = run,
};

REGISTER_SCX_TEST(&exit_dump)
