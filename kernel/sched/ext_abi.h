/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sched_ext with the Rust core: the boundary between the C half
 * (ext_abi.c, which BPF and the core scheduler see) and the Rust core in
 * kernel/sched/ext/, which bindgen reads from this header.
 *
 * Include after "sched.h", as ext_types.h needs it.
 */
#ifndef _KERNEL_SCHED_EXT_ABI_H
#define _KERNEL_SCHED_EXT_ABI_H

#include "ext_types.h"

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
