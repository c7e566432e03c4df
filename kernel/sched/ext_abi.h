/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sched_ext with the Rust core: the BPF-visible types.
 *
 * BPF schedulers see the kernel through vmlinux BTF, and pahole builds that
 * from the C compilation units only. So every type a BPF program or a loader
 * names (struct sched_ext_ops, struct scx_exit_info, the argument structs
 * and the SCX_* enums) is declared here, in C, with the same member names,
 * types and order as the C core in ext.c. Changing any of them breaks the
 * ABI that existing schedulers were compiled against.
 *
 * The Rust core (kernel/sched/ext/) reads these types through bindings that
 * bindgen generates from this header, so both sides share one definition.
 *
 * Include after "sched.h": some flags are defined as the core scheduler's
 * ENQUEUE_*, DEQUEUE_* and WF_* values.
 */
#ifndef _KERNEL_SCHED_EXT_ABI_H
#define _KERNEL_SCHED_EXT_ABI_H

#include <linux/sched/ext.h>

enum scx_consts {
	SCX_DSP_DFL_MAX_BATCH		= 32,
	SCX_DSP_MAX_LOOPS		= 32,
	SCX_WATCHDOG_MAX_TIMEOUT	= 30 * HZ,

	SCX_EXIT_BT_LEN			= 64,
	SCX_EXIT_MSG_LEN		= 1024,
	SCX_EXIT_DUMP_DFL_LEN		= 32768,

	SCX_CPUPERF_ONE			= SCHED_CAPACITY_SCALE,

	/* tasks visited before the task list lock is dropped and retaken */
	SCX_OPS_TASK_ITER_BATCH		= 32,
};

/* Why a BPF scheduler stopped; reported in scx_exit_info.kind. */
enum scx_exit_kind {
	SCX_EXIT_NONE,
	SCX_EXIT_DONE,

	SCX_EXIT_UNREG = 64,
	SCX_EXIT_UNREG_BPF,
	SCX_EXIT_UNREG_KERN,
	SCX_EXIT_SYSRQ,

	SCX_EXIT_ERROR = 1024,
	SCX_EXIT_ERROR_BPF,
	SCX_EXIT_ERROR_STALL,
};

/* Bits of scx_exit_info.exit_code set by the kernel; the low 32 are free. */
enum scx_exit_code {
	SCX_ECODE_RSN_HOTPLUG	= 1LLU << 32,
	SCX_ECODE_ACT_RESTART	= 1LLU << 48,
};

/* Handed to ops.exit() once the scheduler is off every CPU. */
struct scx_exit_info {
	enum scx_exit_kind	kind;
	s64			exit_code;
	const char		*reason;
	unsigned long		*bt;
	u32			bt_len;
	char			*msg;
	char			*dump;
};

/* sched_ext_ops.flags */
enum scx_ops_flags {
	SCX_OPS_KEEP_BUILTIN_IDLE = 1LLU << 0,
	SCX_OPS_ENQ_LAST	= 1LLU << 1,
	SCX_OPS_ENQ_EXITING	= 1LLU << 2,
	SCX_OPS_SWITCH_PARTIAL	= 1LLU << 3,
	SCX_OPS_HAS_CGROUP_WEIGHT = 1LLU << 16,

	SCX_OPS_ALL_FLAGS	= SCX_OPS_KEEP_BUILTIN_IDLE |
				  SCX_OPS_ENQ_LAST |
				  SCX_OPS_ENQ_EXITING |
				  SCX_OPS_SWITCH_PARTIAL |
				  SCX_OPS_HAS_CGROUP_WEIGHT,
};

struct scx_init_task_args {
	bool			fork;
	/*
	 * The task's cgroup. Present without CONFIG_EXT_GROUP_SCHED too, for
	 * the same reason as the cgroup callbacks below; NULL then.
	 */
	struct cgroup		*cgroup;
};

struct scx_exit_task_args {
	bool cancelled;
};

struct scx_cgroup_init_args {
	u32			weight;
};

enum scx_cpu_preempt_reason {
	SCX_CPU_PREEMPT_RT,
	SCX_CPU_PREEMPT_DL,
	SCX_CPU_PREEMPT_STOP,
	SCX_CPU_PREEMPT_UNKNOWN,
};

struct scx_cpu_acquire_args {};

struct scx_cpu_release_args {
	enum scx_cpu_preempt_reason reason;
	struct task_struct	*task;
};

struct scx_dump_ctx {
	enum scx_exit_kind	kind;
	s64			exit_code;
	const char		*reason;
	u64			at_ns;
	u64			at_jiffies;
};

/*
 * The operations table a BPF scheduler fills in. See
 * Documentation/scheduler/sched-ext.rst for what each callback means; the
 * layout is the ABI and matches kernel/sched/ext.c member for member.
 */
struct sched_ext_ops {
	s32 (*select_cpu)(struct task_struct *p, s32 prev_cpu, u64 wake_flags);
	void (*enqueue)(struct task_struct *p, u64 enq_flags);
	void (*dequeue)(struct task_struct *p, u64 deq_flags);
	void (*dispatch)(s32 cpu, struct task_struct *prev);
	void (*tick)(struct task_struct *p);
	void (*runnable)(struct task_struct *p, u64 enq_flags);
	void (*running)(struct task_struct *p);
	void (*stopping)(struct task_struct *p, bool runnable);
	void (*quiescent)(struct task_struct *p, u64 deq_flags);
	bool (*yield)(struct task_struct *from, struct task_struct *to);
	bool (*core_sched_before)(struct task_struct *a, struct task_struct *b);
	void (*set_weight)(struct task_struct *p, u32 weight);
	void (*set_cpumask)(struct task_struct *p,
			    const struct cpumask *cpumask);
	void (*update_idle)(s32 cpu, bool idle);
	void (*cpu_acquire)(s32 cpu, struct scx_cpu_acquire_args *args);
	void (*cpu_release)(s32 cpu, struct scx_cpu_release_args *args);
	s32 (*init_task)(struct task_struct *p, struct scx_init_task_args *args);
	void (*exit_task)(struct task_struct *p, struct scx_exit_task_args *args);
	void (*enable)(struct task_struct *p);
	void (*disable)(struct task_struct *p);
	void (*dump)(struct scx_dump_ctx *ctx);
	void (*dump_cpu)(struct scx_dump_ctx *ctx, s32 cpu, bool idle);
	void (*dump_task)(struct scx_dump_ctx *ctx, struct task_struct *p);
	/*
	 * Present whatever CONFIG_EXT_GROUP_SCHED says, so that the layout is
	 * the one of a C core with cgroup support, which schedulers and the
	 * selftests are built against. Without CONFIG_EXT_GROUP_SCHED this
	 * core refuses to load a scheduler that implements them, where the C
	 * core has no such members.
	 */
	s32 (*cgroup_init)(struct cgroup *cgrp,
			   struct scx_cgroup_init_args *args);
	void (*cgroup_exit)(struct cgroup *cgrp);
	s32 (*cgroup_prep_move)(struct task_struct *p,
				struct cgroup *from, struct cgroup *to);
	void (*cgroup_move)(struct task_struct *p,
			    struct cgroup *from, struct cgroup *to);
	void (*cgroup_cancel_move)(struct task_struct *p,
				   struct cgroup *from, struct cgroup *to);
	void (*cgroup_set_weight)(struct cgroup *cgrp, u32 weight);
	void (*cpu_online)(s32 cpu);
	void (*cpu_offline)(s32 cpu);
	s32 (*init)(void);
	void (*exit)(struct scx_exit_info *info);

	u32 dispatch_max_batch;
	u64 flags;
	u32 timeout_ms;
	u32 exit_dump_len;
	u64 hotplug_seq;
	char name[SCX_OPS_NAME_LEN];
};

/*
 * Callbacks by their index in sched_ext_ops, and the ranges the C core
 * walks. The Rust core does not use them; they are BPF-visible through
 * BTF all the same, so they are part of the ABI.
 */
#define SCX_OP_IDX(op)	(offsetof(struct sched_ext_ops, op) / sizeof(void (*)(void)))

enum scx_opi {
	SCX_OPI_BEGIN			= 0,
	SCX_OPI_NORMAL_BEGIN		= 0,
	SCX_OPI_NORMAL_END		= SCX_OP_IDX(cpu_online),
	SCX_OPI_CPU_HOTPLUG_BEGIN	= SCX_OP_IDX(cpu_online),
	SCX_OPI_CPU_HOTPLUG_END		= SCX_OP_IDX(init),
	SCX_OPI_END			= SCX_OP_IDX(init),
};

/* The state of a task group, for the cgroup callbacks. */
enum scx_tg_flags {
	SCX_TG_ONLINE		= 1U << 0,
	SCX_TG_INITED		= 1U << 1,
};

enum scx_wake_flags {
	SCX_WAKE_FORK		= WF_FORK,
	SCX_WAKE_TTWU		= WF_TTWU,
	SCX_WAKE_SYNC		= WF_SYNC,
};

enum scx_enq_flags {
	SCX_ENQ_WAKEUP		= ENQUEUE_WAKEUP,
	SCX_ENQ_HEAD		= ENQUEUE_HEAD,
	SCX_ENQ_CPU_SELECTED	= ENQUEUE_RQ_SELECTED,

	SCX_ENQ_PREEMPT		= 1LLU << 32,
	SCX_ENQ_REENQ		= 1LLU << 40,
	SCX_ENQ_LAST		= 1LLU << 41,

	/* kernel-internal */
	__SCX_ENQ_INTERNAL_MASK	= 0xffLLU << 56,
	SCX_ENQ_CLEAR_OPSS	= 1LLU << 56,
	SCX_ENQ_DSQ_PRIQ	= 1LLU << 57,
};

enum scx_deq_flags {
	SCX_DEQ_SLEEP		= DEQUEUE_SLEEP,
	SCX_DEQ_CORE_SCHED_EXEC	= 1LLU << 32,
};

enum scx_pick_idle_cpu_flags {
	SCX_PICK_IDLE_CORE	= 1LLU << 0,
};

enum scx_kick_flags {
	SCX_KICK_IDLE		= 1LLU << 0,
	SCX_KICK_PREEMPT	= 1LLU << 1,
	SCX_KICK_WAIT		= 1LLU << 2,
};

enum scx_ops_enable_state {
	SCX_OPS_ENABLING,
	SCX_OPS_ENABLED,
	SCX_OPS_DISABLING,
	SCX_OPS_DISABLED,
};

/*
 * Who owns a queued task (sched_ext_entity.ops_state). The low bits hold the
 * state, the rest a sequence number (QSEQ) taken from the rq when the task was
 * handed to the BPF scheduler. See kernel/sched/ext/ops_state.rs.
 */
enum scx_ops_state {
	SCX_OPSS_NONE,
	SCX_OPSS_QUEUEING,
	SCX_OPSS_QUEUED,
	SCX_OPSS_DISPATCHING,

	SCX_OPSS_QSEQ_SHIFT	= 2,
};

enum scx_dsq_iter_flags {
	SCX_DSQ_ITER_REV		= 1U << 16,

	__SCX_DSQ_ITER_HAS_SLICE	= 1U << 30,
	__SCX_DSQ_ITER_HAS_VTIME	= 1U << 31,

	__SCX_DSQ_ITER_USER_FLAGS	= SCX_DSQ_ITER_REV,
	__SCX_DSQ_ITER_ALL_FLAGS	= __SCX_DSQ_ITER_USER_FLAGS |
					  __SCX_DSQ_ITER_HAS_SLICE |
					  __SCX_DSQ_ITER_HAS_VTIME,
};

/* The BPF-visible DSQ iterator is opaque; its size is the ABI. */
struct bpf_iter_scx_dsq {
	u64				__opaque[6];
} __aligned(8);

/*
 * What the core keeps in it: a cursor linked into the DSQ's list after the
 * last task returned, the DSQ, and what scx_bpf_dispatch_from_dsq_set_*()
 * recorded for the next move.
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

/*
 * Implemented by the Rust core in kernel/sched/ext/: the sched_class
 * callbacks, the struct_ops and sysfs entry points, and the kfunc bodies.
 */
void scx_rs_enqueue_task(struct rq *rq, struct task_struct *p, int flags);
bool scx_rs_dequeue_task(struct rq *rq, struct task_struct *p, int flags);
void scx_rs_yield_task(struct rq *rq);
bool scx_rs_yield_to_task(struct rq *rq, struct task_struct *to);
void scx_rs_wakeup_preempt(struct rq *rq, struct task_struct *p, int flags);
int scx_rs_balance(struct rq *rq, struct task_struct *prev,
		   struct rq_flags *rf);
struct task_struct *scx_rs_pick_task(struct rq *rq);
void scx_rs_put_prev_task(struct rq *rq, struct task_struct *p,
			  struct task_struct *next);
void scx_rs_set_next_task(struct rq *rq, struct task_struct *p, bool first);
int scx_rs_select_task_rq(struct task_struct *p, int prev_cpu, int wake_flags);
void scx_rs_task_woken(struct rq *rq, struct task_struct *p);
void scx_rs_set_cpus_allowed(struct task_struct *p,
			     struct affinity_context *ctx);
void scx_rs_rq_online(struct rq *rq);
void scx_rs_rq_offline(struct rq *rq);
void scx_rs_task_tick(struct rq *rq, struct task_struct *curr, int queued);
void scx_rs_switching_to(struct rq *rq, struct task_struct *p);
void scx_rs_switched_from(struct rq *rq, struct task_struct *p);
void scx_rs_switched_to(struct rq *rq, struct task_struct *p);
void scx_rs_reweight_task(struct rq *rq, struct task_struct *p,
			  const struct load_weight *lw);
void scx_rs_prio_changed(struct rq *rq, struct task_struct *p, int oldprio);
void scx_rs_update_curr(struct rq *rq);

int scx_rs_enable(const struct sched_ext_ops *ops);
void scx_rs_disable_from_user(void);
int scx_rs_init(void);

const char *scx_rs_state_str(void);
bool scx_rs_switching_all(void);
long scx_rs_nr_rejected(void);
long scx_rs_hotplug_seq(void);
long scx_rs_enable_seq(void);
const char *scx_rs_ops_name(void);
void scx_rs_sysrq_reset(void);
void scx_rs_sysrq_dump(void);
void scx_rs_pm_bypass(bool bypass);

s32 scx_rs_bpf_select_cpu_dfl(struct task_struct *p, s32 prev_cpu,
			      u64 wake_flags, bool *is_idle);
void scx_rs_bpf_dispatch(struct task_struct *p, u64 dsq_id, u64 slice,
			 u64 enq_flags);
void scx_rs_bpf_dispatch_vtime(struct task_struct *p, u64 dsq_id, u64 slice,
			       u64 vtime, u64 enq_flags);
u32 scx_rs_bpf_dispatch_nr_slots(void);
void scx_rs_bpf_dispatch_cancel(void);
bool scx_rs_bpf_consume(u64 dsq_id);
u32 scx_rs_bpf_reenqueue_local(void);
void scx_rs_bpf_dispatch_from_dsq_set_slice(struct bpf_iter_scx_dsq *it,
					   u64 slice);
void scx_rs_bpf_dispatch_from_dsq_set_vtime(struct bpf_iter_scx_dsq *it,
					   u64 vtime);
bool scx_rs_bpf_dispatch_from_dsq(struct bpf_iter_scx_dsq *it,
				  struct task_struct *p, u64 dsq_id,
				  u64 enq_flags);
bool scx_rs_bpf_dispatch_vtime_from_dsq(struct bpf_iter_scx_dsq *it,
					struct task_struct *p, u64 dsq_id,
					u64 enq_flags);
int scx_rs_bpf_iter_scx_dsq_new(struct bpf_iter_scx_dsq *it, u64 dsq_id,
				u64 flags);
struct task_struct *scx_rs_bpf_iter_scx_dsq_next(struct bpf_iter_scx_dsq *it);
void scx_rs_bpf_iter_scx_dsq_destroy(struct bpf_iter_scx_dsq *it);
s32 scx_rs_bpf_create_dsq(u64 dsq_id, s32 node);
void scx_rs_bpf_destroy_dsq(u64 dsq_id);
s32 scx_rs_bpf_dsq_nr_queued(u64 dsq_id);
void scx_rs_bpf_kick_cpu(s32 cpu, u64 flags);
void scx_rs_bpf_exit_bstr(s64 exit_code, const char *fmt,
			  const unsigned long long *data, u32 data__sz);
void scx_rs_bpf_error_bstr(const char *fmt, const unsigned long long *data,
			   u32 data__sz);
u32 scx_rs_bpf_nr_cpu_ids(void);
const struct cpumask *scx_rs_bpf_get_possible_cpumask(void);
const struct cpumask *scx_rs_bpf_get_online_cpumask(void);
const struct cpumask *scx_rs_bpf_get_idle_cpumask(void);
const struct cpumask *scx_rs_bpf_get_idle_smtmask(void);
u32 scx_rs_bpf_cpuperf_cap(s32 cpu);
u32 scx_rs_bpf_cpuperf_cur(s32 cpu);
void scx_rs_bpf_cpuperf_set(s32 cpu, u32 perf);
void scx_rs_bpf_put_cpumask(const struct cpumask *cpumask);
bool scx_rs_bpf_test_and_clear_cpu_idle(s32 cpu);
s32 scx_rs_bpf_pick_idle_cpu(const struct cpumask *cpus_allowed, u64 flags);
s32 scx_rs_bpf_pick_any_cpu(const struct cpumask *cpus_allowed, u64 flags);
bool scx_rs_bpf_task_running(const struct task_struct *p);
s32 scx_rs_bpf_task_cpu(const struct task_struct *p);
struct rq *scx_rs_bpf_cpu_rq(s32 cpu);
#ifdef CONFIG_EXT_GROUP_SCHED
struct cgroup *scx_rs_bpf_task_cgroup(struct task_struct *p);
#endif
void scx_rs_bpf_dump_bstr(const char *fmt, const unsigned long long *data,
			  u32 data__sz);

/* Services of ext_abi.c to the Rust core. */
void scx_abi_set_enabled(bool on);
void scx_abi_set_switched_all(bool on);
int scx_abi_sysfs_add_root(void);
void scx_abi_sysfs_remove_root(void);
void scx_abi_trace_dump(const char *line);

#endif /* _KERNEL_SCHED_EXT_ABI_H */
