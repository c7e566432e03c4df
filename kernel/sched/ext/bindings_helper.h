/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the Rust sched_ext core sees of C.
 *
 * bindgen reads this header to generate kernel/sched/ext/bindings_generated.rs.
 * The scheduler's private headers are included in the order build_policy.c
 * includes them: sched.h relies on declarations from the headers before it.
 *
 * Static inline functions and macros have no symbol to call, so helpers.c
 * wraps the ones the core needs as scx_helper_*() functions, declared below.
 * This header and helpers.c are the only places where the crate meets C
 * internals; the Rust modules above them wrap them in safe interfaces.
 */
#include <linux/sched/clock.h>
#include <linux/sched/cputime.h>
#include <linux/sched/hotplug.h>
#include <linux/sched/isolation.h>
#include <linux/sched/posix-timers.h>
#include <linux/sched/rt.h>
#include <linux/cpuidle.h>
#include <linux/jiffies.h>
#include <linux/kobject.h>
#include <linux/livepatch.h>
#include <linux/pm.h>
#include <linux/psi.h>
#include <linux/rhashtable.h>
#include <linux/seq_buf.h>
#include <linux/seqlock_api.h>
#include <linux/slab.h>
#include <linux/suspend.h>
#include <linux/tsacct_kern.h>
#include <linux/vtime.h>
#include <linux/sysrq.h>
#include <linux/percpu-rwsem.h>
#include <linux/bpf.h>
#include <linux/kthread.h>
#include <linux/irq_work.h>
#include <linux/stacktrace.h>
#include <uapi/linux/sched/types.h>

#include "sched.h"
#include "smp.h"
#include "autogroup.h"
#include "stats.h"
#include "pelt.h"

#include "ext_abi.h"
/* The KUnit cases' prototypes, for check_prototypes!() in tests.rs. */
#ifdef CONFIG_SCHED_CLASS_EXT_RUST_KUNIT_TEST
#include "ext/kunit.h"
#endif

/* rq and task accessors */
struct rq *scx_helper_cpu_rq(int cpu);
struct rq *scx_helper_task_rq(const struct task_struct *p);
int scx_helper_task_cpu(const struct task_struct *p);
struct task_struct *scx_helper_rq_curr(struct rq *rq);
void scx_helper_rq_lock(struct rq *rq);
void scx_helper_rq_unlock(struct rq *rq);
void scx_helper_rq_lock_irqsave(struct rq *rq, unsigned long *flags);
void scx_helper_rq_unlock_irqrestore(struct rq *rq, unsigned long flags);
bool scx_helper_rq_trylock_irqsave(struct rq *rq, unsigned long *flags);
unsigned long scx_helper_pnt_seq_acquire(struct rq *rq);
void scx_helper_pnt_seq_advance(struct rq *rq);
bool scx_helper_task_migration_pending(const struct task_struct *p);
void scx_helper_sched_update_tick_dependency(struct rq *rq);
void scx_helper_init_irq_work_hard(struct irq_work *work,
				   void (*fn)(struct irq_work *));
struct scx_dispatch_q **scx_helper_alloc_node_dsqs(void);
int scx_helper_cpu_to_node(int cpu);
void scx_helper_queue_deferred_bal_cb(struct rq *rq, void (*fn)(struct rq *rq));
u32 scx_helper_cpu_capacity(int cpu);
u32 scx_helper_freq_capacity(int cpu);
void scx_helper_cpufreq_update_util(struct rq *rq);
const struct cpumask *scx_helper_cpu_smt_mask(int cpu);
bool scx_helper_cpumask_intersects(const struct cpumask *a,
				   const struct cpumask *b);
void scx_helper_cpumask_or(struct cpumask *dst, const struct cpumask *a,
			   const struct cpumask *b);
void scx_helper_cpumask_andnot(struct cpumask *dst, const struct cpumask *a,
			       const struct cpumask *b);
void scx_helper_assert_rq_held(struct rq *rq);
#ifdef CONFIG_LOCKDEP
void scx_helper_rq_lockdep_unpin(struct rq *rq, struct rq_flags *rf);
void scx_helper_rq_lockdep_repin(struct rq *rq, struct rq_flags *rf);
#endif
void scx_helper_task_rq_unlock(struct rq *rq, struct task_struct *p,
			       struct rq_flags *rf);
void scx_helper_add_nr_running(struct rq *rq, unsigned int count);
void scx_helper_sub_nr_running(struct rq *rq, unsigned int count);
bool scx_helper_tryget_task(struct task_struct *p);
bool scx_helper_task_dying(struct task_struct *p);
void scx_helper_set_tsk_need_resched(struct task_struct *p);
unsigned long scx_helper_task_weight(struct task_struct *p);
unsigned long scx_helper_load_weight_to_cgroup(unsigned long weight);
unsigned long scx_helper_lw_weight_to_cgroup(const struct load_weight *lw);
void scx_helper_cond_resched(void);

/* atomic_long_t, for sched_ext_entity.ops_state */
long scx_helper_atomic_long_read_acquire(const atomic_long_t *v);
void scx_helper_atomic_long_set_release(atomic_long_t *v, long i);
bool scx_helper_atomic_long_try_cmpxchg(atomic_long_t *v, long *old, long new);
void scx_helper_cpu_relax(void);
void scx_helper_local_irq_save(unsigned long *flags);
void scx_helper_local_irq_restore(unsigned long flags);

/* locks */
void scx_helper_raw_spin_lock_init(raw_spinlock_t *lock);
void scx_helper_raw_spin_lock(raw_spinlock_t *lock);
void scx_helper_raw_spin_unlock(raw_spinlock_t *lock);
void scx_helper_raw_spin_lock_irqsave(raw_spinlock_t *lock, unsigned long *flags);
void scx_helper_raw_spin_unlock_irqrestore(raw_spinlock_t *lock,
					   unsigned long flags);
void scx_helper_enable_mutex_lock(void);
void scx_helper_enable_mutex_unlock(void);
void scx_helper_fork_read_lock(void);
void scx_helper_fork_read_unlock(void);
void scx_helper_fork_write_lock(void);
void scx_helper_fork_write_unlock(void);
void scx_helper_tasks_lock(void);
void scx_helper_tasks_unlock(void);
void scx_helper_tasks_lock_irqsave(unsigned long *flags);
void scx_helper_tasks_unlock_irqrestore(unsigned long flags);
struct list_head *scx_helper_tasks_list(void);
void scx_helper_dsq_table_lock(unsigned long *flags);
void scx_helper_bypass_lock(unsigned long *flags);
void scx_helper_bypass_unlock(unsigned long flags);
void scx_helper_dsq_table_unlock(unsigned long flags);

/* lists and rbtrees */
void scx_helper_init_list_head(struct list_head *list);
void scx_helper_list_add(struct list_head *new, struct list_head *head);
void scx_helper_list_add_tail(struct list_head *new, struct list_head *head);
void scx_helper_list_del_init(struct list_head *entry);

/* cpumasks */
void scx_helper_cpumask_set_cpu(int cpu, struct cpumask *mask);
void scx_helper_cpumask_clear_cpu(int cpu, struct cpumask *mask);
bool scx_helper_cpumask_test_and_clear_cpu(int cpu, struct cpumask *mask);
void scx_helper_cpumask_copy(struct cpumask *dst, const struct cpumask *src);
bool scx_helper_cpumask_empty(const struct cpumask *mask);
int scx_helper_cpumask_any_and_distribute(const struct cpumask *a,
					  const struct cpumask *b);
unsigned int scx_helper_nr_cpu_ids(void);
unsigned int scx_helper_nr_node_ids(void);

/* deferred work */
void *scx_helper_alloc_percpu(size_t size, size_t align);
void *scx_helper_per_cpu_ptr(void *ptr, int cpu);
void *scx_helper_this_cpu_ptr(void *ptr);
int scx_helper_cpumask_next(int cpu, const struct cpumask *mask);
int scx_helper_init_rq_kick(struct rq *rq, void (*fn)(struct irq_work *));
struct cpumask *scx_helper_rq_kick_mask(struct rq *rq, int which);
void scx_helper_init_llist_head(struct llist_head *list);
bool scx_helper_llist_add(struct llist_node *node, struct llist_head *list);
struct llist_node *scx_helper_llist_del_all(struct llist_head *list);
void scx_helper_init_irq_work(struct irq_work *work,
			      void (*fn)(struct irq_work *));
struct kthread_worker *scx_helper_create_rt_worker(const char *name);
bool scx_helper_domain_isolation_off(void);
void scx_helper_dump_lock(unsigned long *flags);
void scx_helper_dump_unlock(unsigned long flags);
int scx_helper_raw_smp_processor_id(void);
u64 scx_helper_ktime_get_ns(void);
char scx_helper_task_state_char(struct task_struct *p);
int scx_helper_snprint_sym(char *buf, size_t size, unsigned long addr);
int scx_helper_snprint_ptr(char *buf, size_t size, const void *ptr);
int scx_helper_snprint_sym_short(char *buf, size_t size, const void *addr);
int scx_helper_snprint_cpumask(char *buf, size_t size,
			       const struct cpumask *mask);
void scx_helper_init_delayed_work(struct delayed_work *dwork,
				  void (*fn)(struct work_struct *));
bool scx_helper_queue_delayed_work(struct delayed_work *dwork,
				   unsigned long delay);
unsigned long scx_helper_msecs_to_jiffies(unsigned int ms);
void scx_helper_init_kthread_work(struct kthread_work *work,
				  void (*fn)(struct kthread_work *));

/* RCU, and the lock an rq shares with its SMT siblings under core scheduling */
void scx_helper_rcu_read_lock(void);
void scx_helper_rcu_read_unlock(void);
raw_spinlock_t *scx_helper_rq_lockp(struct rq *rq);

/* core scheduling */
#ifdef CONFIG_SCHED_CORE
u64 scx_helper_sched_clock_cpu(int cpu);
#endif

/* The C reads the KUnit suite compares the core's inline reads with. */
#ifdef CONFIG_SCHED_CLASS_EXT_RUST_KUNIT_TEST
bool scx_helper_scx_enabled(void);
bool scx_helper_sched_smt_active(void);
#ifdef CONFIG_SCHED_CORE
bool scx_helper_sched_core_disabled(void);
#endif
bool scx_helper_cpu_online(int cpu);
bool scx_helper_cpu_active(int cpu);
bool scx_helper_cpumask_test_cpu(int cpu, const struct cpumask *mask);
const struct cpumask *scx_helper_task_cpus_ptr(const struct task_struct *p);
#endif

/* cgroups */
#ifdef CONFIG_EXT_GROUP_SCHED
void scx_helper_cgroup_read_lock(void);
void scx_helper_cgroup_read_unlock(void);
void scx_helper_cgroup_write_lock(void);
void scx_helper_cgroup_write_unlock(void);
struct task_group *scx_helper_root_task_group(void);
struct cgroup *scx_helper_dfl_root_cgroup(void);
bool scx_helper_css_tryget(struct cgroup_subsys_state *css);
void scx_helper_css_put(struct cgroup_subsys_state *css);
void scx_helper_cgroup_get(struct cgroup *cgrp);
#endif

/* the C layout of what the crate reads directly, for its boot-time check */
unsigned long scx_helper_layout(unsigned int i);

/* diagnostics */
void scx_helper_warn(const char *msg);
void scx_helper_printk_deferred(const char *msg);
void scx_helper_printk_lvl(const char *log_lvl, const char *msg);
