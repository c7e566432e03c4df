/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sched_ext: the types a BPF scheduler shares with the kernel.
 *
 * BPF schedulers and their loaders name these types (struct sched_ext_ops,
 * struct scx_exit_info, the callback argument structs and the SCX_* enums)
 * through vmlinux BTF, and were compiled against their member names, types,
 * order and values: this header is the ABI of the extensible scheduling
 * class. Both cores include it, the C core in ext.c and the Rust core
 * through ext_abi.c and the bindings bindgen generates from it, so a change
 * here changes both, and a stable update lands in one place.
 *
 * Include after "sched.h": some flags are the core scheduler's ENQUEUE_*,
 * DEQUEUE_* and WF_* values.
 */
#ifndef _KERNEL_SCHED_EXT_TYPES_H
#define _KERNEL_SCHED_EXT_TYPES_H

#include <linux/sched/ext.h>

enum scx_consts {
	SCX_DSP_DFL_MAX_BATCH		= 32,
	SCX_DSP_MAX_LOOPS		= 32,
	SCX_WATCHDOG_MAX_TIMEOUT	= 30 * HZ,

	SCX_EXIT_BT_LEN			= 64,
	SCX_EXIT_MSG_LEN		= 1024,
	SCX_EXIT_DUMP_DFL_LEN		= 32768,

	SCX_CPUPERF_ONE			= SCHED_CAPACITY_SCALE,

	/*
	 * Tasks a walk over every task visits before it drops scx_tasks_lock
	 * and takes it again, so that a long walk stalls neither RCU nor
	 * cross-CPU calls.
	 */
	SCX_OPS_TASK_ITER_BATCH		= 32,
};

/* Why a BPF scheduler stopped; scx_exit_info.kind. */
enum scx_exit_kind {
	SCX_EXIT_NONE,
	SCX_EXIT_DONE,

	/* Unloaded: by user space, by the scheduler, by the kernel, by SysRq-S. */
	SCX_EXIT_UNREG = 64,
	SCX_EXIT_UNREG_BPF,
	SCX_EXIT_UNREG_KERN,
	SCX_EXIT_SYSRQ,

	/* Ejected: a kernel-detected error, scx_bpf_error(), a stalled task. */
	SCX_EXIT_ERROR = 1024,
	SCX_EXIT_ERROR_BPF,
	SCX_EXIT_ERROR_STALL,
};

/*
 * scx_exit_info.exit_code: the low 32 bits are the scheduler's own, set with
 * scx_bpf_exit(); the kernel sets a reason in bits 32-47 and asks for an
 * action in bits 48-63.
 */
enum scx_exit_code {
	/* Reason: a CPU came or went, and the scheduler did not handle it. */
	SCX_ECODE_RSN_HOTPLUG	= 1LLU << 32,

	/* Action: the loader should load the scheduler again. */
	SCX_ECODE_ACT_RESTART	= 1LLU << 48,
};

/* What ops.exit() is told once the scheduler is off every CPU. */
struct scx_exit_info {
	enum scx_exit_kind	kind;
	/* scx_bpf_exit()'s code, or the kernel's SCX_ECODE_* bits */
	s64			exit_code;
	/* a fixed text for the kind */
	const char		*reason;
	/* where the exit was triggered, for the SCX_EXIT_ERROR* kinds */
	unsigned long		*bt;
	u32			bt_len;
	/* the formatted message */
	char			*msg;
	/* the debug dump, if the exit kind asked for one */
	char			*dump;
};

/* sched_ext_ops.flags */
enum scx_ops_flags {
	/*
	 * Keep the built-in idle tracking up to date even though the
	 * scheduler implements ops.update_idle().
	 */
	SCX_OPS_KEEP_BUILTIN_IDLE = 1LLU << 0,

	/*
	 * When the last runnable task of a CPU would keep running because
	 * nothing else is queued, hand it to ops.enqueue() with SCX_ENQ_LAST
	 * instead. Needs ops.enqueue().
	 */
	SCX_OPS_ENQ_LAST	= 1LLU << 1,

	/*
	 * Hand exiting tasks to ops.enqueue() too. Without it they skip the
	 * scheduler and go to the local DSQ of their CPU: a scheduler that
	 * finds its tasks by pid may no longer find an exiting one, and a
	 * task it loses stalls what waits for it to exit.
	 */
	SCX_OPS_ENQ_EXITING	= 1LLU << 2,

	/*
	 * Schedule only the tasks set to SCHED_EXT; the others stay in the
	 * fair class. Without it every fair task moves to the scheduler.
	 */
	SCX_OPS_SWITCH_PARTIAL	= 1LLU << 3,

	/*
	 * The scheduler honours cpu.weight. Without it, the kernel warns,
	 * once per load, that cpu.weight is ignored when cgroups other than
	 * the root exist.
	 */
	SCX_OPS_HAS_CGROUP_WEIGHT = 1LLU << 16,

	SCX_OPS_ALL_FLAGS	= SCX_OPS_KEEP_BUILTIN_IDLE |
				  SCX_OPS_ENQ_LAST |
				  SCX_OPS_ENQ_EXITING |
				  SCX_OPS_SWITCH_PARTIAL |
				  SCX_OPS_HAS_CGROUP_WEIGHT,
};

/* ops.init_task()'s argument */
struct scx_init_task_args {
	/* called from fork, not from the walk that enables the scheduler */
	bool			fork;
#ifdef CONFIG_EXT_GROUP_SCHED
	/* the cgroup the task is in */
	struct cgroup		*cgroup;
#endif
};

/* ops.exit_task()'s argument */
struct scx_exit_task_args {
	/* the fork failed after ops.init_task(): the task never ran */
	bool cancelled;
};

/* ops.cgroup_init()'s argument */
struct scx_cgroup_init_args {
	/* the group's cpu.weight, 1-10000 */
	u32			weight;
};

/* Which higher-priority class took a CPU from the scheduler. */
enum scx_cpu_preempt_reason {
	SCX_CPU_PREEMPT_RT,
	SCX_CPU_PREEMPT_DL,
	SCX_CPU_PREEMPT_STOP,
	SCX_CPU_PREEMPT_UNKNOWN,
};

/*
 * ops.cpu_acquire()'s argument: nothing yet, so 6.12 passes NULL; a struct
 * so that fields can come.
 */
struct scx_cpu_acquire_args {};

/* ops.cpu_release()'s argument */
struct scx_cpu_release_args {
	enum scx_cpu_preempt_reason reason;
	/* the task of the other class about to run */
	struct task_struct	*task;
};

/* What the ops.dump*() callbacks are told about the dump they add to. */
struct scx_dump_ctx {
	enum scx_exit_kind	kind;
	s64			exit_code;
	const char		*reason;
	/* when the dump was taken, in ktime_get_ns() and in jiffies */
	u64			at_ns;
	u64			at_jiffies;
};

/*
 * The operations table a BPF scheduler registers through struct_ops. Every
 * callback is optional; the kernel's default for a missing one is given
 * where it matters. Documentation/scheduler/sched-ext.rst describes how the
 * callbacks fit together. libbpf matches members by name, so loaders built
 * against an older table keep loading; the order matters to the cores,
 * whose SCX_OPI_* ranges below need the callbacks in three groups: the
 * normal ones, then the hotplug ones from cpu_online, then from init on
 * the ones that are not per-CPU, and the fields that are not callbacks
 * last.
 */
struct sched_ext_ops {
	/*
	 * A waking or forked task that may run on more than one CPU is about
	 * to be queued: return the CPU. A CPU that does not exist ejects the
	 * scheduler; one the task may not use makes the kernel pick one it
	 * may. Dispatching the task here, to any DSQ, skips ops.enqueue().
	 * Not called for exec, nor while the kernel bypasses the scheduler.
	 * Default: scx_bpf_select_cpu_dfl(), which also dispatches to
	 * SCX_DSQ_LOCAL when it finds an idle CPU.
	 */
	s32 (*select_cpu)(struct task_struct *p, s32 prev_cpu, u64 wake_flags);

	/*
	 * @p became runnable, or used up its slice: dispatch it to a DSQ now,
	 * or keep it in the scheduler and dispatch it from ops.dispatch().
	 * Default: dispatch to SCX_DSQ_GLOBAL.
	 */
	void (*enqueue)(struct task_struct *p, u64 enq_flags);

	/*
	 * @p, which the scheduler holds after ops.enqueue(), is taken back:
	 * its properties, CPUs, class or cgroup change, or core scheduling
	 * runs it (SCX_DEQ_CORE_SCHED_EXEC). Racing dispatches of @p are
	 * ignored by the kernel after this.
	 */
	void (*dequeue)(struct task_struct *p, u64 deq_flags);

	/*
	 * @cpu's local DSQ is empty: dispatch tasks to DSQs, or move a DSQ's
	 * tasks to @cpu with scx_bpf_consume(). @prev is the ext task that
	 * was running, or NULL. If nothing is found and @prev is still
	 * runnable, it keeps the CPU (unless SCX_OPS_ENQ_LAST); otherwise the
	 * CPU goes idle.
	 */
	void (*dispatch)(s32 cpu, struct task_struct *prev);

	/* Every scheduler tick while @p runs. Zero p->scx.slice to preempt it. */
	void (*tick)(struct task_struct *p);

	/*
	 * The lifecycle of a task in the class, around the calls above:
	 * runnable when it wakes or joins, running when it gets a CPU,
	 * stopping when it leaves the CPU (@runnable: it is still runnable),
	 * quiescent when it sleeps or leaves.
	 */
	void (*runnable)(struct task_struct *p, u64 enq_flags);
	void (*running)(struct task_struct *p);
	void (*stopping)(struct task_struct *p, bool runnable);
	void (*quiescent)(struct task_struct *p, u64 deq_flags);

	/*
	 * @from calls sched_yield() (@to is NULL), or yield_to() towards @to:
	 * return whether the yield to @to happened. Default: sched_yield()
	 * ends @from's slice, yield_to() fails.
	 */
	bool (*yield)(struct task_struct *from, struct task_struct *to);

	/*
	 * For core scheduling: whether @a should run before @b on SMT
	 * siblings. Default: the order in which the tasks became runnable or
	 * used up their slice.
	 */
	bool (*core_sched_before)(struct task_struct *a, struct task_struct *b);

	/*
	 * @p's weight, and its allowed CPUs: when @p enters the scheduler's
	 * care, and whenever they change.
	 */
	void (*set_weight)(struct task_struct *p, u32 weight);
	void (*set_cpumask)(struct task_struct *p,
			    const struct cpumask *cpumask);

	/*
	 * @cpu goes idle or leaves idle. Implementing it turns the built-in
	 * idle tracking off unless SCX_OPS_KEEP_BUILTIN_IDLE is set.
	 */
	void (*update_idle)(s32 cpu, bool idle);

	/*
	 * @cpu returns to the scheduler after a higher-priority class ran on
	 * it, or is about to be taken by one; in ops.cpu_release(), the tasks
	 * on its local DSQ can be moved elsewhere with
	 * scx_bpf_reenqueue_local().
	 */
	void (*cpu_acquire)(s32 cpu, struct scx_cpu_acquire_args *args);
	void (*cpu_release)(s32 cpu, struct scx_cpu_release_args *args);

	/*
	 * @p is forked, or exists when the scheduler loads: set up its
	 * state. May sleep. An error fails the fork, or the load. exit_task
	 * undoes it, when the task dies or the scheduler unloads.
	 */
	s32 (*init_task)(struct task_struct *p, struct scx_init_task_args *args);
	void (*exit_task)(struct task_struct *p, struct scx_exit_task_args *args);

	/* @p enters the scheduler's care (after init_task), or leaves it. */
	void (*enable)(struct task_struct *p);
	void (*disable)(struct task_struct *p);

	/*
	 * Add the scheduler's own state to a debug dump: the whole
	 * scheduler, each CPU (@idle: the CPU is idle and has nothing
	 * queued), each runnable task. Output with scx_bpf_dump().
	 */
	void (*dump)(struct scx_dump_ctx *ctx);
	void (*dump_cpu)(struct scx_dump_ctx *ctx, s32 cpu, bool idle);
	void (*dump_task)(struct scx_dump_ctx *ctx, struct task_struct *p);

#ifdef CONFIG_EXT_GROUP_SCHED
	/*
	 * A cgroup comes online or the scheduler loads (may sleep; an error
	 * fails the mkdir or the load), and goes offline or the scheduler
	 * unloads.
	 */
	s32 (*cgroup_init)(struct cgroup *cgrp,
			   struct scx_cgroup_init_args *args);
	void (*cgroup_exit)(struct cgroup *cgrp);

	/*
	 * @p moves from @from to @to: prepare (an error fails the move),
	 * then either move, or cancel if the migration failed after a
	 * successful prepare.
	 */
	s32 (*cgroup_prep_move)(struct task_struct *p,
				struct cgroup *from, struct cgroup *to);
	void (*cgroup_move)(struct task_struct *p,
			    struct cgroup *from, struct cgroup *to);
	void (*cgroup_cancel_move)(struct task_struct *p,
				   struct cgroup *from, struct cgroup *to);

	/* @cgrp's cpu.weight changed. */
	void (*cgroup_set_weight)(struct cgroup *cgrp, u32 weight);
#endif

	/*
	 * The hotplug group, from here to init.
	 *
	 * @cpu came online, or is going offline. Without the one that
	 * applies, the scheduler is unloaded with SCX_ECODE_RSN_HOTPLUG and
	 * SCX_ECODE_ACT_RESTART, for its loader to start it again.
	 */
	void (*cpu_online)(s32 cpu);
	void (*cpu_offline)(s32 cpu);

	/*
	 * From here on, neither normal nor hotplug callbacks, then fields.
	 *
	 * Loading: init runs before any task is handed to the scheduler (may
	 * sleep; an error fails the load). exit runs once no CPU uses the
	 * scheduler any more, with why it stopped, also when loading failed
	 * (may sleep).
	 */
	s32 (*init)(void);
	void (*exit)(struct scx_exit_info *info);

	/*
	 * The dispatches one ops.dispatch() may have pending (scx_bpf_consume()
	 * flushes them); more eject the scheduler. 0: SCX_DSP_DFL_MAX_BATCH;
	 * above INT_MAX the load fails with -E2BIG.
	 */
	u32 dispatch_max_batch;

	/* SCX_OPS_* */
	u64 flags;

	/*
	 * How long a runnable task may wait before the scheduler is ejected
	 * for stalling it; 0: the maximum, SCX_WATCHDOG_MAX_TIMEOUT; above
	 * it, the load fails with -E2BIG.
	 */
	u32 timeout_ms;

	/* Bytes of debug dump to keep on an error; 0: SCX_EXIT_DUMP_DFL_LEN. */
	u32 exit_dump_len;

	/*
	 * The hotplug sequence (/sys/kernel/sched_ext/hotplug_seq) the loader
	 * saw. If it is not 0 and a CPU came or went since, the scheduler is
	 * unloaded right after ops.init(), with SCX_ECODE_RSN_HOTPLUG and
	 * SCX_ECODE_ACT_RESTART, so that it does not run on a stale view of
	 * the CPUs.
	 */
	u64 hotplug_seq;

	/*
	 * Required: a BPF object name (alphanumerics, '_' and '.'); shown in
	 * /sys/kernel/sched_ext/root/ops.
	 */
	char name[SCX_OPS_NAME_LEN];
};

/* Callbacks by their index in sched_ext_ops, and the ranges of them. */
#define SCX_OP_IDX(op)	(offsetof(struct sched_ext_ops, op) / sizeof(void (*)(void)))

enum scx_opi {
	SCX_OPI_BEGIN			= 0,
	SCX_OPI_NORMAL_BEGIN		= 0,
	SCX_OPI_NORMAL_END		= SCX_OP_IDX(cpu_online),
	SCX_OPI_CPU_HOTPLUG_BEGIN	= SCX_OP_IDX(cpu_online),
	SCX_OPI_CPU_HOTPLUG_END		= SCX_OP_IDX(init),
	SCX_OPI_END			= SCX_OP_IDX(init),
};

/* ops.select_cpu()'s @wake_flags */
enum scx_wake_flags {
	SCX_WAKE_FORK		= WF_FORK,
	SCX_WAKE_TTWU		= WF_TTWU,
	SCX_WAKE_SYNC		= WF_SYNC,
};

/* ops.enqueue()'s @enq_flags, and scx_bpf_dispatch*()'s */
enum scx_enq_flags {
	SCX_ENQ_WAKEUP		= ENQUEUE_WAKEUP,
	/* queue at the head of the DSQ */
	SCX_ENQ_HEAD		= ENQUEUE_HEAD,
	SCX_ENQ_CPU_SELECTED	= ENQUEUE_RQ_SELECTED,

	/*
	 * Dispatched to a local DSQ: queue at its head, and end the slice of
	 * the ext task running on that CPU, so that it picks again.
	 */
	SCX_ENQ_PREEMPT		= 1LLU << 32,

	/* The task comes back from scx_bpf_reenqueue_local(). */
	SCX_ENQ_REENQ		= 1LLU << 40,

	/* The CPU's last runnable task (SCX_OPS_ENQ_LAST). */
	SCX_ENQ_LAST		= 1LLU << 41,

	/* The kernel's own; a scheduler never sees or passes these. */
	__SCX_ENQ_INTERNAL_MASK	= 0xffLLU << 56,
	SCX_ENQ_CLEAR_OPSS	= 1LLU << 56,
	SCX_ENQ_DSQ_PRIQ	= 1LLU << 57,
};

/* ops.dequeue()'s and ops.quiescent()'s @deq_flags */
enum scx_deq_flags {
	SCX_DEQ_SLEEP		= DEQUEUE_SLEEP,

	/*
	 * Core scheduling picked the task to run before the scheduler
	 * dispatched it.
	 */
	SCX_DEQ_CORE_SCHED_EXEC	= 1LLU << 32,
};

/* scx_bpf_pick_idle_cpu()'s and scx_bpf_pick_any_cpu()'s flags */
enum scx_pick_idle_cpu_flags {
	/* only a CPU whose SMT siblings are idle too */
	SCX_PICK_IDLE_CORE	= 1LLU << 0,
};

/* scx_bpf_kick_cpu()'s flags */
enum scx_kick_flags {
	/* only if the CPU is idle: wake it to look for work */
	SCX_KICK_IDLE		= 1LLU << 0,
	/* end the running task's slice, so the CPU picks again */
	SCX_KICK_PREEMPT	= 1LLU << 1,
	/*
	 * once the current callback is done, the kicking CPU waits until
	 * the kicked one has picked its next task; not with SCX_KICK_IDLE
	 */
	SCX_KICK_WAIT		= 1LLU << 2,
};

/* task_group.scx_flags */
enum scx_tg_flags {
	SCX_TG_ONLINE		= 1U << 0,
	SCX_TG_INITED		= 1U << 1,
};

/* /sys/kernel/sched_ext/state */
enum scx_ops_enable_state {
	SCX_OPS_ENABLING,
	SCX_OPS_ENABLED,
	SCX_OPS_DISABLING,
	SCX_OPS_DISABLED,
};

/*
 * Who owns a queued task (sched_ext_entity.ops_state): the kernel (NONE),
 * the BPF scheduler (QUEUED), or neither while it is handed one way
 * (QUEUEING) or back (DISPATCHING). A dispatch is honoured only if it finds
 * the task QUEUED with the sequence number it saw, so the scheduler may try
 * to dispatch any task at any time. The bits above the state hold that
 * sequence number (QSEQ): ops_state is an atomic_long_t, because not every
 * 32-bit architecture has 64-bit acquire and release, which leaves QSEQ 30
 * bits there; it only has to tell apart the queueings of one task within
 * one dispatch, which runs with interrupts off.
 */
enum scx_ops_state {
	SCX_OPSS_NONE,
	SCX_OPSS_QUEUEING,
	SCX_OPSS_QUEUED,
	SCX_OPSS_DISPATCHING,

	SCX_OPSS_QSEQ_SHIFT	= 2,
};

/* bpf_iter_scx_dsq_new()'s flags */
enum scx_dsq_iter_flags {
	/* from the last task dispatched to the first */
	SCX_DSQ_ITER_REV		= 1U << 16,

	/* set by scx_bpf_dispatch_from_dsq_set_{slice,vtime}() */
	__SCX_DSQ_ITER_HAS_SLICE	= 1U << 30,
	__SCX_DSQ_ITER_HAS_VTIME	= 1U << 31,

	__SCX_DSQ_ITER_USER_FLAGS	= SCX_DSQ_ITER_REV,
	__SCX_DSQ_ITER_ALL_FLAGS	= __SCX_DSQ_ITER_USER_FLAGS |
					  __SCX_DSQ_ITER_HAS_SLICE |
					  __SCX_DSQ_ITER_HAS_VTIME,
};

/*
 * The DSQ iterator of bpf_for_each(scx_dsq, ...). BPF sees an opaque block,
 * larger than what the kernel keeps in it, so that the kernel's side can
 * grow without breaking schedulers.
 */
struct bpf_iter_scx_dsq {
	u64				__opaque[6];
} __aligned(8);

/*
 * The kernel's side: a cursor linked into the DSQ next to the last task
 * returned, on the side the iteration goes on from; the DSQ; and what
 * scx_bpf_dispatch_from_dsq_set_*() recorded for the next move.
 */
struct bpf_iter_scx_dsq_kern {
	struct scx_dsq_list_node	cursor;
	struct scx_dispatch_q		*dsq;
	u64				slice;
	u64				vtime;
} __aligned(8);

static_assert(sizeof(struct bpf_iter_scx_dsq_kern) <=
	      sizeof(struct bpf_iter_scx_dsq));
static_assert(__alignof__(struct bpf_iter_scx_dsq_kern) ==
	      __alignof__(struct bpf_iter_scx_dsq));

#endif /* _KERNEL_SCHED_EXT_TYPES_H */
