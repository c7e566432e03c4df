/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __CORE_SCHED_TEST_H__
#define __CORE_SCHED_TEST_H__

/* The runs of core_sched.c, a slot each in the map stats. */
enum { RUN_SEPARATE, RUN_SHARED, NR_RUNS };

/* What core_sched.bpf.c measures in a run. */
struct run_stats {
	struct bpf_spin_lock lock;
	u64 since[2];		/* when each task started running, or 0 */
	u64 runtime[2];		/* how long each ran */
	u64 nr_runs[2];		/* how many times each started */
	u64 nr_elsewhere;	/* starts on a CPU not its own */
	bool explained;		/* the current overlap, see core_sched.bpf.c */
	u64 overlap;		/* how long both ran at once */
	u64 overlap_unexplained;
	u64 nr_windows;		/* overlaps */
	u64 nr_windows_unexplained;
};

#endif /* __CORE_SCHED_TEST_H__ */
