// SPDX-License-Identifier: GPL-2.0
/*
 * Out-of-line wrappers for the static inline functions and macros the Rust
 * sched_ext core calls, and the C objects it needs statically initialised.
 *
 * Each wrapper does exactly what its C counterpart does and nothing else;
 * the Rust modules above them give them safe interfaces.
 */
#include "bindings_helper.h"

/*
 * Objects whose C initialisers have no Rust equivalent yet: a percpu rwsem
 * needs static per-CPU storage, and the mutex, spinlocks and list need a
 * lockdep class and self-pointers at build time.
 *
 * scx_fork_rwsem: held for read across fork, for write while the core walks
 *   every task to enable or disable a scheduler, so no task is missed.
 * scx_enable_mutex: serialises enabling and disabling.
 * scx_tasks_lock/scx_tasks: every task that has gone through fork, in fork
 *   order; walked by the enable and disable paths.
 * scx_dsq_table_lock: protects the table of user-created DSQs.
 * scx_bypass_lock: serialises entering and leaving bypass mode, the depth
 *   and the walk over every rq together.
 */
DEFINE_STATIC_PERCPU_RWSEM(scx_fork_rwsem);
static DEFINE_MUTEX(scx_enable_mutex);
static DEFINE_SPINLOCK(scx_tasks_lock);
static LIST_HEAD(scx_tasks);
static DEFINE_RAW_SPINLOCK(scx_dsq_table_lock);
static DEFINE_RAW_SPINLOCK(scx_bypass_lock);

void scx_helper_bypass_lock(unsigned long *flags)
{
	raw_spin_lock_irqsave(&scx_bypass_lock, *flags);
}

void scx_helper_bypass_unlock(unsigned long flags)
{
	raw_spin_unlock_irqrestore(&scx_bypass_lock, flags);
}

struct rq *scx_helper_cpu_rq(int cpu) { return cpu_rq(cpu); }
struct rq *scx_helper_task_rq(const struct task_struct *p) { return task_rq(p); }
int scx_helper_task_cpu(const struct task_struct *p) { return task_cpu(p); }
struct task_struct *scx_helper_rq_curr(struct rq *rq) { return rq->curr; }
void scx_helper_rq_lock(struct rq *rq) { raw_spin_rq_lock(rq); }
void scx_helper_rq_unlock(struct rq *rq) { raw_spin_rq_unlock(rq); }

void scx_helper_rq_lock_irqsave(struct rq *rq, unsigned long *flags)
{
	raw_spin_rq_lock_irqsave(rq, *flags);
}

void scx_helper_rq_unlock_irqrestore(struct rq *rq, unsigned long flags)
{
	raw_spin_rq_unlock_irqrestore(rq, flags);
}

/*
 * Interrupts go off before the attempt, as for any rq lock, and come back
 * on only if it fails: on success the caller releases both with
 * scx_helper_rq_unlock_irqrestore().
 */
bool scx_helper_rq_trylock_irqsave(struct rq *rq, unsigned long *flags)
{
	local_irq_save(*flags);
	if (raw_spin_rq_trylock(rq))
		return true;
	local_irq_restore(*flags);
	return false;
}

/* rq->scx.pnt_seq: SCX_KICK_WAIT's view of a CPU's scheduling cycles. */
unsigned long scx_helper_pnt_seq_acquire(struct rq *rq)
{
	/* Pairs with the release below: what the target did before is seen. */
	return smp_load_acquire(&rq->scx.pnt_seq);
}

void scx_helper_pnt_seq_advance(struct rq *rq)
{
	/* Pairs with the acquire above, by a CPU waiting for this one. */
	smp_store_release(&rq->scx.pnt_seq, rq->scx.pnt_seq + 1);
}

/* What cpufreq governors see of a CPU, and telling schedutil to look again. */
u32 scx_helper_cpu_capacity(int cpu) { return arch_scale_cpu_capacity(cpu); }
u32 scx_helper_freq_capacity(int cpu) { return arch_scale_freq_capacity(cpu); }

void scx_helper_cpufreq_update_util(struct rq *rq)
{
	rcu_read_lock_sched_notrace();
	cpufreq_update_util(rq, 0);
	rcu_read_unlock_sched_notrace();
}

/* SMT: a CPU's siblings. */
const struct cpumask *scx_helper_cpu_smt_mask(int cpu)
{
#ifdef CONFIG_SCHED_SMT
	return cpu_smt_mask(cpu);
#else
	return cpumask_of(cpu);
#endif
}

bool scx_helper_cpumask_intersects(const struct cpumask *a,
				   const struct cpumask *b)
{
	return cpumask_intersects(a, b);
}

void scx_helper_cpumask_or(struct cpumask *dst, const struct cpumask *a,
			   const struct cpumask *b)
{
	cpumask_or(dst, a, b);
}

void scx_helper_cpumask_andnot(struct cpumask *dst, const struct cpumask *a,
			       const struct cpumask *b)
{
	cpumask_andnot(dst, a, b);
}

/* Runs @fn with @rq locked before the scheduler releases the lock. */
void scx_helper_queue_deferred_bal_cb(struct rq *rq, void (*fn)(struct rq *rq))
{
	queue_balance_callback(rq, &rq->scx.deferred_bal_cb, fn);
}

/*
 * One global DSQ per possible NUMA node, each in its node's memory, as the
 * C core has them: NULL entries for impossible nodes. Never freed.
 */
struct scx_dispatch_q **scx_helper_alloc_node_dsqs(void)
{
	struct scx_dispatch_q **dsqs;
	int node;

	dsqs = kcalloc(nr_node_ids, sizeof(dsqs[0]), GFP_KERNEL);
	if (!dsqs)
		return NULL;
	for_each_node_state(node, N_POSSIBLE) {
		dsqs[node] = kzalloc_node(sizeof(*dsqs[node]), GFP_KERNEL, node);
		if (!dsqs[node])
			return NULL;
	}
	return dsqs;
}

int scx_helper_cpu_to_node(int cpu) { return cpu_to_node(cpu); }

/* An irq_work that runs in hard interrupt context even on PREEMPT_RT. */
void scx_helper_init_irq_work_hard(struct irq_work *work,
				   void (*fn)(struct irq_work *))
{
	*work = IRQ_WORK_INIT_HARD(fn);
}

void scx_helper_sched_update_tick_dependency(struct rq *rq)
{
	sched_update_tick_dependency(rq);
}

bool scx_helper_task_migration_pending(const struct task_struct *p)
{
	return p->migration_pending;
}

void scx_helper_assert_rq_held(struct rq *rq) { lockdep_assert_rq_held(rq); }
#ifdef CONFIG_LOCKDEP
/*
 * Lockdep's half of rq_unpin_lock() and rq_repin_lock(); the Rust core
 * does the rest (the clock update flags) inline.
 */
void scx_helper_rq_lockdep_unpin(struct rq *rq, struct rq_flags *rf)
{
	lockdep_unpin_lock(__rq_lockp(rq), rf->cookie);
}

void scx_helper_rq_lockdep_repin(struct rq *rq, struct rq_flags *rf)
{
	lockdep_repin_lock(__rq_lockp(rq), rf->cookie);
}
#endif

void scx_helper_task_rq_unlock(struct rq *rq, struct task_struct *p,
			       struct rq_flags *rf)
{
	task_rq_unlock(rq, p, rf);
}

void scx_helper_add_nr_running(struct rq *rq, unsigned int n) { add_nr_running(rq, n); }
void scx_helper_sub_nr_running(struct rq *rq, unsigned int n) { sub_nr_running(rq, n); }

/* Fails for a task whose last reference is being dropped. */
bool scx_helper_tryget_task(struct task_struct *p)
{
	return tryget_task_struct(p);
}

/* Whether the last reference of @p is gone; it is then waiting to be freed. */
bool scx_helper_task_dying(struct task_struct *p)
{
	return !refcount_read(&p->usage);
}

void scx_helper_set_tsk_need_resched(struct task_struct *p) { set_tsk_need_resched(p); }

/* The weight of @p's nice level or SCHED_IDLE, on the load scale. */
unsigned long scx_helper_task_weight(struct task_struct *p)
{
	if (task_has_idle_policy(p))
		return WEIGHT_IDLEPRIO;
	return sched_prio_to_weight[p->static_prio - MAX_RT_PRIO];
}

unsigned long scx_helper_load_weight_to_cgroup(unsigned long weight)
{
	return sched_weight_to_cgroup(weight);
}

/* The weight of a struct load_weight is scaled up on 64-bit. */
unsigned long scx_helper_lw_weight_to_cgroup(const struct load_weight *lw)
{
	return sched_weight_to_cgroup(scale_load_down(lw->weight));
}

void scx_helper_cond_resched(void) { cond_resched(); }

/* ops_state's ordered accesses, which Rust has inline on x86-64 only. */
long scx_helper_atomic_long_read_acquire(const atomic_long_t *v)
{
	return atomic_long_read_acquire(v);
}

void scx_helper_atomic_long_set_release(atomic_long_t *v, long i)
{
	atomic_long_set_release(v, i);
}

bool scx_helper_atomic_long_try_cmpxchg(atomic_long_t *v, long *old, long new)
{
	return atomic_long_try_cmpxchg(v, old, new);
}

void scx_helper_cpu_relax(void) { cpu_relax(); }
void scx_helper_local_irq_save(unsigned long *flags) { local_irq_save(*flags); }
void scx_helper_local_irq_restore(unsigned long flags) { local_irq_restore(flags); }

void scx_helper_raw_spin_lock_init(raw_spinlock_t *lock) { raw_spin_lock_init(lock); }
void scx_helper_raw_spin_lock(raw_spinlock_t *lock) { raw_spin_lock(lock); }
void scx_helper_raw_spin_unlock(raw_spinlock_t *lock) { raw_spin_unlock(lock); }

void scx_helper_raw_spin_lock_irqsave(raw_spinlock_t *lock, unsigned long *flags)
{
	raw_spin_lock_irqsave(lock, *flags);
}

void scx_helper_raw_spin_unlock_irqrestore(raw_spinlock_t *lock,
					   unsigned long flags)
{
	raw_spin_unlock_irqrestore(lock, flags);
}

void scx_helper_enable_mutex_lock(void) { mutex_lock(&scx_enable_mutex); }
void scx_helper_enable_mutex_unlock(void) { mutex_unlock(&scx_enable_mutex); }
void scx_helper_fork_read_lock(void) { percpu_down_read(&scx_fork_rwsem); }
void scx_helper_fork_read_unlock(void) { percpu_up_read(&scx_fork_rwsem); }
void scx_helper_fork_write_lock(void) { percpu_down_write(&scx_fork_rwsem); }
void scx_helper_fork_write_unlock(void) { percpu_up_write(&scx_fork_rwsem); }
void scx_helper_tasks_lock(void) { spin_lock_irq(&scx_tasks_lock); }
void scx_helper_tasks_unlock(void) { spin_unlock_irq(&scx_tasks_lock); }

void scx_helper_tasks_lock_irqsave(unsigned long *flags)
{
	spin_lock_irqsave(&scx_tasks_lock, *flags);
}

void scx_helper_tasks_unlock_irqrestore(unsigned long flags)
{
	spin_unlock_irqrestore(&scx_tasks_lock, flags);
}

struct list_head *scx_helper_tasks_list(void) { return &scx_tasks; }

void scx_helper_dsq_table_lock(unsigned long *flags)
{
	raw_spin_lock_irqsave(&scx_dsq_table_lock, *flags);
}

void scx_helper_dsq_table_unlock(unsigned long flags)
{
	raw_spin_unlock_irqrestore(&scx_dsq_table_lock, flags);
}

void scx_helper_init_list_head(struct list_head *list) { INIT_LIST_HEAD(list); }
void scx_helper_list_add(struct list_head *new, struct list_head *head) { list_add(new, head); }

void scx_helper_list_add_tail(struct list_head *new, struct list_head *head)
{
	list_add_tail(new, head);
}

void scx_helper_list_del_init(struct list_head *entry) { list_del_init(entry); }

void scx_helper_cpumask_set_cpu(int cpu, struct cpumask *mask) { cpumask_set_cpu(cpu, mask); }
void scx_helper_cpumask_clear_cpu(int cpu, struct cpumask *mask) { cpumask_clear_cpu(cpu, mask); }

bool scx_helper_cpumask_test_and_clear_cpu(int cpu, struct cpumask *mask)
{
	return cpumask_test_and_clear_cpu(cpu, mask);
}

void scx_helper_cpumask_copy(struct cpumask *dst, const struct cpumask *src)
{
	cpumask_copy(dst, src);
}

bool scx_helper_cpumask_empty(const struct cpumask *mask) { return cpumask_empty(mask); }

/* Returns nr_cpu_ids when the masks do not intersect. */
int scx_helper_cpumask_any_and_distribute(const struct cpumask *a,
					  const struct cpumask *b)
{
	return cpumask_any_and_distribute(a, b);
}

unsigned int scx_helper_nr_cpu_ids(void) { return nr_cpu_ids; }
unsigned int scx_helper_nr_node_ids(void) { return nr_node_ids; }

/*
 * Per-CPU memory for a Rust type; zeroed.  Returned as a plain pointer,
 * which only scx_helper_per_cpu_ptr() turns into an address.
 */
void *scx_helper_alloc_percpu(size_t size, size_t align)
{
	return (void __force *)__alloc_percpu(size, align);
}

/* @ptr is what scx_helper_alloc_percpu() returned. */
void *scx_helper_per_cpu_ptr(void *ptr, int cpu)
{
	return per_cpu_ptr((void __percpu __force *)ptr, cpu);
}

/*
 * The same for the CPU this runs on, in one call where smp_processor_id()
 * and per_cpu_ptr() take two: the core reaches its per-CPU state many
 * times a context switch.  Preemption must be disabled.
 */
void *scx_helper_this_cpu_ptr(void *ptr)
{
	return this_cpu_ptr((void __percpu __force *)ptr);
}

int scx_helper_cpumask_next(int cpu, const struct cpumask *mask)
{
	return cpumask_next(cpu, mask);
}

/*
 * The kick masks of @rq and the irq_work that carries its kicks out, set up
 * as init_sched_ext_class() does for the C core.
 */
int scx_helper_init_rq_kick(struct rq *rq, void (*fn)(struct irq_work *))
{
	int n = cpu_to_node(cpu_of(rq));

	if (!zalloc_cpumask_var_node(&rq->scx.cpus_to_kick, GFP_KERNEL, n) ||
	    !zalloc_cpumask_var_node(&rq->scx.cpus_to_kick_if_idle, GFP_KERNEL, n) ||
	    !zalloc_cpumask_var_node(&rq->scx.cpus_to_preempt, GFP_KERNEL, n) ||
	    !zalloc_cpumask_var_node(&rq->scx.cpus_to_wait, GFP_KERNEL, n))
		return -ENOMEM;
	init_irq_work(&rq->scx.kick_cpus_irq_work, fn);
	return 0;
}

/* The kick masks of @rq, in the order of the Rust KickMask. */
struct cpumask *scx_helper_rq_kick_mask(struct rq *rq, int which)
{
	switch (which) {
	case 0:
		return rq->scx.cpus_to_kick;
	case 1:
		return rq->scx.cpus_to_kick_if_idle;
	case 2:
		return rq->scx.cpus_to_preempt;
	default:
		return rq->scx.cpus_to_wait;
	}
}

void scx_helper_init_llist_head(struct llist_head *list) { init_llist_head(list); }

bool scx_helper_llist_add(struct llist_node *node, struct llist_head *list)
{
	return llist_add(node, list);
}

struct llist_node *scx_helper_llist_del_all(struct llist_head *list)
{
	return llist_del_all(list);
}

void scx_helper_init_irq_work(struct irq_work *work,
			      void (*fn)(struct irq_work *))
{
	init_irq_work(work, fn);
}

/*
 * A kthread worker at SCHED_FIFO, so that the work it runs (disabling a
 * broken BPF scheduler) is never scheduled by that scheduler.
 */
struct kthread_worker *scx_helper_create_rt_worker(const char *name)
{
	struct kthread_worker *worker = kthread_create_worker(0, "%s", name);

	if (!IS_ERR(worker))
		sched_set_fifo(worker->task);
	return worker;
}

/* The debug dump: one at a time, with interrupts off as the C core's. */
static DEFINE_SPINLOCK(scx_dump_lock);

void scx_helper_dump_lock(unsigned long *flags)
{
	spin_lock_irqsave(&scx_dump_lock, *flags);
}

void scx_helper_dump_unlock(unsigned long flags)
{
	spin_unlock_irqrestore(&scx_dump_lock, flags);
}

int scx_helper_raw_smp_processor_id(void) { return raw_smp_processor_id(); }
u64 scx_helper_ktime_get_ns(void) { return ktime_get_ns(); }
char scx_helper_task_state_char(struct task_struct *p) { return task_state_to_char(p); }

/* printf formats that Rust's formatting has no equivalent of. */
int scx_helper_snprint_sym(char *buf, size_t size, unsigned long addr)
{
	return scnprintf(buf, size, "%pS", (void *)addr);
}

int scx_helper_snprint_ptr(char *buf, size_t size, const void *ptr)
{
	return scnprintf(buf, size, "%p", ptr);
}

int scx_helper_snprint_sym_short(char *buf, size_t size, const void *addr)
{
	return scnprintf(buf, size, "%ps", addr);
}

int scx_helper_snprint_cpumask(char *buf, size_t size,
			       const struct cpumask *mask)
{
	return scnprintf(buf, size, "%*pb", cpumask_pr_args(mask));
}

/* Whether no CPU is isolated from scheduling domains ("isolcpus="). */
bool scx_helper_domain_isolation_off(void)
{
	return cpumask_equal(housekeeping_cpumask(HK_TYPE_DOMAIN),
			     cpu_possible_mask);
}

/* The watchdog's periodic walk, on an unbound workqueue as the C core's. */
void scx_helper_init_delayed_work(struct delayed_work *dwork,
				  void (*fn)(struct work_struct *))
{
	INIT_DELAYED_WORK(dwork, fn);
}

bool scx_helper_queue_delayed_work(struct delayed_work *dwork,
				   unsigned long delay)
{
	return queue_delayed_work(system_unbound_wq, dwork, delay);
}

unsigned long scx_helper_msecs_to_jiffies(unsigned int ms)
{
	return msecs_to_jiffies(ms);
}

void scx_helper_init_kthread_work(struct kthread_work *work,
				  void (*fn)(struct kthread_work *))
{
	kthread_init_work(work, fn);
}

/*
 * The C sizes and offsets of what layout.list names, in its order, which is
 * also the order of LAYOUT in layout.rs; ~0UL past the end.
 */
unsigned long scx_helper_layout(unsigned int i)
{
	static const unsigned long layout[] = {
#include "layout_generated.h"
	};

	return i < ARRAY_SIZE(layout) ? layout[i] : ~0UL;
}

/*
 * printk()s whose level is a string the caller passes at run time: @msg
 * starts with a KERN_<LEVEL> here, and @log_lvl is one below.
 */
void scx_helper_printk_deferred(const char *msg)
{
	printk_deferred("%s\n", msg);
}

void scx_helper_printk_lvl(const char *log_lvl, const char *msg)
{
	/*
	 * printk() itself, with the level as its first %s: the macro wants
	 * a KERN_<LEVEL> literal, which print_scx_info()'s caller does not
	 * give us.
	 */
	_printk("%s%s", log_lvl, msg);
}

void scx_helper_warn(const char *msg)
{
	WARN(1, "sched_ext: %s\n", msg);
}

/*
 * Core scheduling: the clock its task order uses (sched_clock_cpu() is an
 * inline without an unstable sched_clock).
 */
#ifdef CONFIG_SCHED_CORE
u64 scx_helper_sched_clock_cpu(int cpu) { return sched_clock_cpu(cpu); }
#endif

#ifdef CONFIG_SCHED_CLASS_EXT_RUST_KUNIT_TEST
/*
 * What the Rust core reads inline (the static keys, the CPU masks and
 * p->cpus_ptr), read the C way, for the KUnit suite to compare with; the
 * core itself does not call these.
 */
bool scx_helper_scx_enabled(void) { return scx_enabled(); }
bool scx_helper_sched_smt_active(void) { return sched_smt_active(); }
#ifdef CONFIG_SCHED_CORE
bool scx_helper_sched_core_disabled(void) { return sched_core_disabled(); }
#endif
bool scx_helper_cpu_online(int cpu) { return cpu_online(cpu); }
bool scx_helper_cpu_active(int cpu) { return cpu_active(cpu); }

bool scx_helper_cpumask_test_cpu(int cpu, const struct cpumask *mask)
{
	return cpumask_test_cpu(cpu, mask);
}

const struct cpumask *scx_helper_task_cpus_ptr(const struct task_struct *p)
{
	return p->cpus_ptr;
}
#endif

#ifdef CONFIG_EXT_GROUP_SCHED
/*
 * scx_cgroup_rwsem: held for read by the cgroup hooks (task group on- and
 * offlining, weight changes, and a whole migration from can_attach to
 * finish or cancel), for write while a scheduler's cgroup support is
 * brought up or torn down, so that the walk over every cgroup misses none
 * and no migration sees a task that ops.init_task() has not seen yet.
 */
DEFINE_STATIC_PERCPU_RWSEM(scx_cgroup_rwsem);

void scx_helper_cgroup_read_lock(void) { percpu_down_read(&scx_cgroup_rwsem); }
void scx_helper_cgroup_read_unlock(void) { percpu_up_read(&scx_cgroup_rwsem); }
void scx_helper_cgroup_write_lock(void) { percpu_down_write(&scx_cgroup_rwsem); }
void scx_helper_cgroup_write_unlock(void) { percpu_up_write(&scx_cgroup_rwsem); }

struct task_group *scx_helper_root_task_group(void) { return &root_task_group; }
struct cgroup *scx_helper_dfl_root_cgroup(void) { return &cgrp_dfl_root.cgrp; }
bool scx_helper_css_tryget(struct cgroup_subsys_state *css) { return css_tryget(css); }
void scx_helper_css_put(struct cgroup_subsys_state *css) { css_put(css); }
void scx_helper_cgroup_get(struct cgroup *cgrp) { cgroup_get(cgrp); }
#endif

void scx_helper_rcu_read_lock(void) { rcu_read_lock(); }
void scx_helper_rcu_read_unlock(void) { rcu_read_unlock(); }
raw_spinlock_t *scx_helper_rq_lockp(struct rq *rq) { return __rq_lockp(rq); }
