/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the selftests for the safety nets (stall, sysrq_exit,
 * sysrq_dump, exit_dump, ...): a monotonic clock in milliseconds, one-line
 * sysfs reads, waiting for a sched_ext state, and pressing a SysRq key.
 */
#ifndef __SAFETY_UTIL_H
#define __SAFETY_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <scx/common.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SCX_STATE	"/sys/kernel/sched_ext/state"
#define SYSRQ_TRIGGER	"/proc/sysrq-trigger"

static inline u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/* Reads a one-line sysfs file into @buf, without the newline. */
static inline int read_str(const char *path, char *buf, size_t len)
{
	FILE *f;
	int ret = 0;

	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (!fgets(buf, len, f))
		ret = -EIO;
	else
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
	return ret;
}

/* Waits up to @timeout_ms for the sysfs state to read @want. */
static inline bool wait_state(const char *want, unsigned int timeout_ms)
{
	u64 deadline = now_ms() + timeout_ms;
	char state[32];

	while (true) {
		if (!read_str(SCX_STATE, state, sizeof(state)) &&
		    !strcmp(state, want))
			return true;
		if (now_ms() > deadline)
			return false;
		usleep(10000);
	}
}

/* Presses SysRq @key through /proc/sysrq-trigger. */
static inline int sysrq(char key)
{
	ssize_t ret;
	int fd;

	fd = open(SYSRQ_TRIGGER, O_WRONLY);
	if (fd < 0)
		return -errno;
	ret = write(fd, &key, 1);
	close(fd);
	return ret == 1 ? 0 : -EIO;
}

#endif /* __SAFETY_UTIL_H */
