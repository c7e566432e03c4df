/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by misbehave.bpf.c and misbehave.c: the one wrong thing the
 * scheduler does once it has run for a while.
 */
#ifndef __MISBEHAVE_H
#define __MISBEHAVE_H

enum misbehave_mode {
	MB_NONE,		/* schedules correctly */
	MB_NO_DISPATCH,		/* ops.dispatch() dispatches nothing */
	MB_SLOW_DISPATCH,	/* ops.dispatch() spins, then dispatches nothing */
	MB_BAD_DSQ,		/* dispatches to a DSQ that was never created */
	MB_DISPATCH_TWICE,	/* dispatches each task twice from ops.dispatch() */
	MB_NOT_OWNED,		/* ops.enqueue() dispatches another task */
	MB_WRONG_CONTEXT,	/* ops.enqueue() calls scx_bpf_consume() */
	MB_BAD_CPU,		/* ops.select_cpu() returns a CPU that is not */
	MB_INIT_FAIL_ENABLE,	/* ops.init_task() fails while attaching */
	MB_INIT_FAIL_FORK,	/* ops.init_task() fails for 1 fork in 1000 */
	MB_EXIT_IN_ENABLE,	/* scx_bpf_exit() from ops.enable() while attaching */
	MB_DESTROY_BUSY,	/* destroys the DSQ that holds its tasks */
};

/* Enqueues the scheduler runs correctly for before it misbehaves. */
#define MB_WARMUP		200
/* A DSQ id that no scheduler of this file creates. */
#define MB_BOGUS_DSQ		0x5ca1ab1eULL
/* What ops.select_cpu() returns in MB_BAD_CPU: above any NR_CPUS here. */
#define MB_BAD_CPU_NR		0x100000
/* MB_INIT_FAIL_ENABLE: the ops.init_task() call that fails while attaching. */
#define MB_INIT_FAIL_AT		20
/* MB_INIT_FAIL_FORK: one fork in this many fails. */
#define MB_INIT_FAIL_EVERY	1000
/* MB_EXIT_IN_ENABLE: the ops.enable() call that exits, and its code. */
#define MB_EXIT_AT		20
#define MB_EXIT_CODE		42
/* MB_SLOW_DISPATCH: how long each ops.dispatch() call spins. */
#define MB_SLOW_NS		(100 * 1000 * 1000ULL)

#endif /* __MISBEHAVE_H */
