/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the selftests for the cgroup support of sched_ext
 * (cgroup_move, task_cgroup): a cgroup2 hierarchy with the cpu controller
 * enabled in its root, cgroups made in it, their ids, and moving processes
 * between them.
 *
 * The cpu controller must be enabled for a cgroup to have a task group of
 * its own, which is what the sched_ext core reports: ops.cgroup_*() and
 * scx_bpf_task_cgroup() see the cgroup of a task's task group. The
 * hierarchy is the one at /sys/fs/cgroup if that is cgroup2, or a new
 * mount of it otherwise; the cpu controller is enabled in the root's
 * cgroup.subtree_control if it is not already. cg_root_exit() undoes what
 * cg_root_init() did.
 */
#ifndef __CGRP_UTIL_H
#define __CGRP_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC	0x63677270
#endif

#define CG_DFL_MOUNT	"/sys/fs/cgroup"

struct cg_root {
	char path[PATH_MAX];	/* the root of the cgroup2 hierarchy */
	bool mounted;		/* we mounted it at path, a new directory */
	bool cpu_enabled;	/* we enabled +cpu in its subtree_control */
};

/* Writes @val to the file @name of the cgroup at @dir; returns 0 or -errno. */
static inline int cg_write(const char *dir, const char *name, const char *val)
{
	char path[PATH_MAX];
	ssize_t len = strlen(val), ret;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	ret = write(fd, val, len);
	if (ret < 0)
		ret = -errno;
	close(fd);
	return ret == len ? 0 : (ret < 0 ? ret : -EIO);
}

/* Reads the file @name of the cgroup at @dir into @buf; returns 0 or -errno. */
static inline int cg_read(const char *dir, const char *name, char *buf,
			  size_t size)
{
	char path[PATH_MAX];
	ssize_t ret;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	ret = read(fd, buf, size - 1);
	if (ret < 0)
		ret = -errno;
	close(fd);
	if (ret < 0)
		return ret;
	buf[ret] = '\0';
	return 0;
}

/* Whether the space-separated @list holds the word @word. */
static inline bool cg_has_word(const char *list, const char *word)
{
	size_t len = strlen(word);
	const char *p = list;

	while ((p = strstr(p, word))) {
		if ((p == list || p[-1] == ' ') &&
		    (p[len] == '\0' || p[len] == ' ' || p[len] == '\n'))
			return true;
		p += len;
	}
	return false;
}

/*
 * Finds or mounts a cgroup2 hierarchy and enables the cpu controller in its
 * root. Returns 0, or -errno with the reason in @why (then there is nothing
 * to undo): the caller should skip, as the kernel or the system lacks it.
 */
static inline int cg_root_init(struct cg_root *root, const char **why)
{
	char buf[512];
	struct statfs fs;
	int ret;

	memset(root, 0, sizeof(*root));
	if (!statfs(CG_DFL_MOUNT, &fs) && fs.f_type == CGROUP2_SUPER_MAGIC) {
		snprintf(root->path, sizeof(root->path), "%s", CG_DFL_MOUNT);
	} else {
		snprintf(root->path, sizeof(root->path), "/tmp/scx_cgroup.XXXXXX");
		if (!mkdtemp(root->path)) {
			*why = "cannot make a directory to mount cgroup2 at";
			return -errno;
		}
		if (mount("none", root->path, "cgroup2", 0, NULL)) {
			ret = -errno;
			rmdir(root->path);
			*why = "cannot mount cgroup2";
			return ret;
		}
		root->mounted = true;
	}

	ret = cg_read(root->path, "cgroup.controllers", buf, sizeof(buf));
	if (ret || !cg_has_word(buf, "cpu")) {
		*why = "the cpu controller is not available on cgroup2";
		ret = ret ?: -ENODEV;
		goto err;
	}

	ret = cg_read(root->path, "cgroup.subtree_control", buf, sizeof(buf));
	if (ret) {
		*why = "cannot read cgroup.subtree_control";
		goto err;
	}
	if (!cg_has_word(buf, "cpu")) {
		ret = cg_write(root->path, "cgroup.subtree_control", "+cpu");
		if (ret) {
			*why = "cannot enable the cpu controller";
			goto err;
		}
		root->cpu_enabled = true;
	}
	return 0;

err:
	if (root->mounted) {
		umount(root->path);
		rmdir(root->path);
		root->mounted = false;
	}
	return ret;
}

/* Undoes cg_root_init(); the cgroups made in it must be gone. */
static inline void cg_root_exit(struct cg_root *root)
{
	if (root->cpu_enabled)
		cg_write(root->path, "cgroup.subtree_control", "-cpu");
	root->cpu_enabled = false;
	if (root->mounted) {
		umount(root->path);
		rmdir(root->path);
	}
	root->mounted = false;
}

/*
 * Makes the cgroup @name in the root; writes its path to @path. Returns 0
 * or -errno.
 */
static inline int cg_create(struct cg_root *root, const char *name,
			    char *path, size_t size)
{
	if (snprintf(path, size, "%s/%s", root->path, name) >= (int)size)
		return -ENAMETOOLONG;
	if (mkdir(path, 0755))
		return -errno;
	return 0;
}

/*
 * The id of the cgroup at @path, as the kernel's cgroup_id() (and
 * cgrp->kn->id) gives it.  On 64-bit machines that is the inode number of
 * its directory.  On 32-bit ones the inode number is only the id's low
 * half, and the high half holds the kernfs node's generation: the whole
 * id is in the directory's file handle, which cgroupfs gives.  Returns 0
 * if there is none.
 */
static inline unsigned long long cg_id(const char *path)
{
	/* struct file_handle, with room for kernfs's 64-bit handle. */
	struct {
		unsigned int handle_bytes;
		int handle_type;
		unsigned long long id;
	} fh = { .handle_bytes = sizeof(fh.id) };
	struct stat st;
	int mount_id;

	if (!syscall(__NR_name_to_handle_at, AT_FDCWD, path, &fh, &mount_id, 0) &&
	    fh.handle_bytes == sizeof(fh.id))
		return fh.id;
	if (stat(path, &st))
		return 0;
	return st.st_ino;
}

/*
 * Removes the cgroup at @path, retrying for a second while it is busy: the
 * last task of a killed process may take a moment to leave. Returns 0 or
 * -errno.
 */
static inline int cg_remove(const char *path)
{
	int i;

	for (i = 0; i < 100; i++) {
		if (!rmdir(path))
			return 0;
		if (errno != EBUSY)
			break;
		usleep(10000);
	}
	return -errno;
}

/* Moves the process @pid, all its threads, to the cgroup at @path. */
static inline int cg_enter(const char *path, pid_t pid)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d", pid);
	return cg_write(path, "cgroup.procs", buf);
}

/*
 * Whether the task @tid of the process @pid is in the cgroup at @path of
 * the hierarchy at @root, from /proc/PID/task/TID/cgroup.
 */
static inline bool cg_task_in(struct cg_root *root, const char *path,
			      pid_t pid, pid_t tid)
{
	char proc[64], buf[PATH_MAX];
	const char *rel;
	FILE *f;
	bool in = false;

	snprintf(proc, sizeof(proc), "/proc/%d/task/%d/cgroup", pid, tid);
	f = fopen(proc, "r");
	if (!f)
		return false;
	rel = path + strlen(root->path);
	while (fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\n")] = '\0';
		if (!strncmp(buf, "0::", 3) && !strcmp(buf + 3, rel)) {
			in = true;
			break;
		}
	}
	fclose(f);
	return in;
}

#endif /* __CGRP_UTIL_H */
