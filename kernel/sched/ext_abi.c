// SPDX-License-Identifier: GPL-2.0
/*
 * sched_ext with the Rust core: the C boundary.
 *
 * What lives here, and why it cannot live in Rust:
 *
 *  - BTF. pahole encodes vmlinux BTF from C compilation units only
 *    (--lang_exclude=rust), and BPF programs and the verifier see the kernel
 *    only through BTF. So the BPF-visible types (ext_types.h, which
 *    the C core includes too), the kfunc entry
 *    points and their BTF ID sets, and the struct_ops glue are C.
 *  - The kfuncs. Each one is a __bpf_kfunc function that calls the Rust core
 *    in one line. Every check a kfunc performs (the kf_mask context, its
 *    arguments) happens in Rust.
 *  - struct_ops. bpf_struct_ops needs a C struct of callbacks, CFI stubs with
 *    BTF, and verifier callbacks that read BTF. init_member() copies and
 *    range-checks the non-function fields of the user's sched_ext_ops; reg()
 *    and unreg() call the Rust core.
 *  - DEFINE_SCHED_CLASS(ext). The linker script places sched classes in a
 *    section of their own, in priority order. Every callback is Rust.
 *  - The static keys __scx_ops_enabled and __scx_switched_all, which inline
 *    helpers in sched.h test, and the sched_ext_dump tracepoint.
 *  - The sysfs kobjects under /sys/kernel/sched_ext. The values they show
 *    come from Rust.
 *  - The sysrq keys S and D and the PM notifier: C structures registered
 *    with C subsystems. What each one does is a call into Rust.
 *
 * No scheduling decision, loop or state transition lives in this file. The
 * core itself is in kernel/sched/ext/.
 */
#include <linux/bpf.h>
#include <linux/bpf_verifier.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/filter.h>
#include <linux/kobject.h>
#include <linux/sched/isolation.h>
#include <linux/sched/rt.h>
#include <linux/suspend.h>
#include <linux/sysrq.h>

#include "sched.h"
#include "ext_abi.h"

#define CREATE_TRACE_POINTS
#include <trace/events/sched_ext.h>

DEFINE_STATIC_KEY_FALSE(__scx_ops_enabled);
DEFINE_STATIC_KEY_FALSE(__scx_switched_all);

/* Called by the Rust core around the enable and disable sequences. */
void scx_abi_set_enabled(bool on)
{
	if (on)
		static_branch_enable(&__scx_ops_enabled);
	else
		static_branch_disable(&__scx_ops_enabled);
}

void scx_abi_set_switched_all(bool on)
{
	if (on)
		static_branch_enable(&__scx_switched_all);
	else
		static_branch_disable(&__scx_switched_all);
}

/* One line of a debug dump, to the sched_ext_dump tracepoint. */
void scx_abi_trace_dump(const char *line)
{
	trace_sched_ext_dump(line);
}

DEFINE_SCHED_CLASS(ext) = {
	.enqueue_task		= scx_rs_enqueue_task,
	.dequeue_task		= scx_rs_dequeue_task,
	.yield_task		= scx_rs_yield_task,
	.yield_to_task		= scx_rs_yield_to_task,
	.wakeup_preempt		= scx_rs_wakeup_preempt,
	.balance		= scx_rs_balance,
	.pick_task		= scx_rs_pick_task,
	.put_prev_task		= scx_rs_put_prev_task,
	.set_next_task		= scx_rs_set_next_task,
#ifdef CONFIG_SMP
	.select_task_rq		= scx_rs_select_task_rq,
	.task_woken		= scx_rs_task_woken,
	.set_cpus_allowed	= scx_rs_set_cpus_allowed,
	.rq_online		= scx_rs_rq_online,
	.rq_offline		= scx_rs_rq_offline,
#endif
	.task_tick		= scx_rs_task_tick,
	.switching_to		= scx_rs_switching_to,
	.switched_from		= scx_rs_switched_from,
	.switched_to		= scx_rs_switched_to,
	.reweight_task		= scx_rs_reweight_task,
	.prio_changed		= scx_rs_prio_changed,
	.update_curr		= scx_rs_update_curr,
#ifdef CONFIG_UCLAMP_TASK
	.uclamp_enabled		= 1,
#endif
};

/*
 * kfuncs. The sets follow the contexts the Rust core enforces at run time
 * through current->scx.kf_mask; the verifier only sees which program types
 * may call which set.
 */
__bpf_kfunc_start_defs();

__bpf_kfunc s32 scx_bpf_select_cpu_dfl(struct task_struct *p, s32 prev_cpu,
				       u64 wake_flags, bool *is_idle)
{
	return scx_rs_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, is_idle);
}

__bpf_kfunc void scx_bpf_dispatch(struct task_struct *p, u64 dsq_id,
				  u64 slice, u64 enq_flags)
{
	scx_rs_bpf_dispatch(p, dsq_id, slice, enq_flags);
}

__bpf_kfunc void scx_bpf_dispatch_vtime(struct task_struct *p, u64 dsq_id,
					u64 slice, u64 vtime, u64 enq_flags)
{
	scx_rs_bpf_dispatch_vtime(p, dsq_id, slice, vtime, enq_flags);
}

__bpf_kfunc u32 scx_bpf_dispatch_nr_slots(void)
{
	return scx_rs_bpf_dispatch_nr_slots();
}

__bpf_kfunc void scx_bpf_dispatch_cancel(void)
{
	scx_rs_bpf_dispatch_cancel();
}

__bpf_kfunc bool scx_bpf_consume(u64 dsq_id)
{
	return scx_rs_bpf_consume(dsq_id);
}

__bpf_kfunc void scx_bpf_dispatch_from_dsq_set_slice(struct bpf_iter_scx_dsq *it__iter,
						    u64 slice)
{
	scx_rs_bpf_dispatch_from_dsq_set_slice(it__iter, slice);
}

__bpf_kfunc void scx_bpf_dispatch_from_dsq_set_vtime(struct bpf_iter_scx_dsq *it__iter,
						    u64 vtime)
{
	scx_rs_bpf_dispatch_from_dsq_set_vtime(it__iter, vtime);
}

__bpf_kfunc bool scx_bpf_dispatch_from_dsq(struct bpf_iter_scx_dsq *it__iter,
					   struct task_struct *p, u64 dsq_id,
					   u64 enq_flags)
{
	return scx_rs_bpf_dispatch_from_dsq(it__iter, p, dsq_id, enq_flags);
}

__bpf_kfunc bool scx_bpf_dispatch_vtime_from_dsq(struct bpf_iter_scx_dsq *it__iter,
						 struct task_struct *p,
						 u64 dsq_id, u64 enq_flags)
{
	return scx_rs_bpf_dispatch_vtime_from_dsq(it__iter, p, dsq_id,
						  enq_flags);
}

__bpf_kfunc int bpf_iter_scx_dsq_new(struct bpf_iter_scx_dsq *it, u64 dsq_id,
				     u64 flags)
{
	return scx_rs_bpf_iter_scx_dsq_new(it, dsq_id, flags);
}

__bpf_kfunc struct task_struct *bpf_iter_scx_dsq_next(struct bpf_iter_scx_dsq *it)
{
	return scx_rs_bpf_iter_scx_dsq_next(it);
}

__bpf_kfunc void bpf_iter_scx_dsq_destroy(struct bpf_iter_scx_dsq *it)
{
	scx_rs_bpf_iter_scx_dsq_destroy(it);
}

__bpf_kfunc u32 scx_bpf_reenqueue_local(void)
{
	return scx_rs_bpf_reenqueue_local();
}

__bpf_kfunc s32 scx_bpf_create_dsq(u64 dsq_id, s32 node)
{
	return scx_rs_bpf_create_dsq(dsq_id, node);
}

__bpf_kfunc void scx_bpf_destroy_dsq(u64 dsq_id)
{
	scx_rs_bpf_destroy_dsq(dsq_id);
}

__bpf_kfunc s32 scx_bpf_dsq_nr_queued(u64 dsq_id)
{
	return scx_rs_bpf_dsq_nr_queued(dsq_id);
}

__bpf_kfunc void scx_bpf_kick_cpu(s32 cpu, u64 flags)
{
	scx_rs_bpf_kick_cpu(cpu, flags);
}

__bpf_kfunc void scx_bpf_exit_bstr(s64 exit_code, char *fmt,
				   unsigned long long *data, u32 data__sz)
{
	scx_rs_bpf_exit_bstr(exit_code, fmt, data, data__sz);
}

__bpf_kfunc void scx_bpf_error_bstr(char *fmt, unsigned long long *data,
				    u32 data__sz)
{
	scx_rs_bpf_error_bstr(fmt, data, data__sz);
}

__bpf_kfunc u32 scx_bpf_nr_cpu_ids(void)
{
	return scx_rs_bpf_nr_cpu_ids();
}

__bpf_kfunc const struct cpumask *scx_bpf_get_possible_cpumask(void)
{
	return scx_rs_bpf_get_possible_cpumask();
}

__bpf_kfunc const struct cpumask *scx_bpf_get_online_cpumask(void)
{
	return scx_rs_bpf_get_online_cpumask();
}

__bpf_kfunc void scx_bpf_put_cpumask(const struct cpumask *cpumask)
{
	scx_rs_bpf_put_cpumask(cpumask);
}

__bpf_kfunc const struct cpumask *scx_bpf_get_idle_cpumask(void)
{
	return scx_rs_bpf_get_idle_cpumask();
}

__bpf_kfunc const struct cpumask *scx_bpf_get_idle_smtmask(void)
{
	return scx_rs_bpf_get_idle_smtmask();
}

__bpf_kfunc u32 scx_bpf_cpuperf_cap(s32 cpu)
{
	return scx_rs_bpf_cpuperf_cap(cpu);
}

__bpf_kfunc u32 scx_bpf_cpuperf_cur(s32 cpu)
{
	return scx_rs_bpf_cpuperf_cur(cpu);
}

__bpf_kfunc void scx_bpf_cpuperf_set(s32 cpu, u32 perf)
{
	scx_rs_bpf_cpuperf_set(cpu, perf);
}

__bpf_kfunc void scx_bpf_put_idle_cpumask(const struct cpumask *idle_mask)
{
	scx_rs_bpf_put_cpumask(idle_mask);
}

__bpf_kfunc bool scx_bpf_test_and_clear_cpu_idle(s32 cpu)
{
	return scx_rs_bpf_test_and_clear_cpu_idle(cpu);
}

__bpf_kfunc s32 scx_bpf_pick_idle_cpu(const struct cpumask *cpus_allowed,
				      u64 flags)
{
	return scx_rs_bpf_pick_idle_cpu(cpus_allowed, flags);
}

__bpf_kfunc s32 scx_bpf_pick_any_cpu(const struct cpumask *cpus_allowed,
				     u64 flags)
{
	return scx_rs_bpf_pick_any_cpu(cpus_allowed, flags);
}

__bpf_kfunc bool scx_bpf_task_running(const struct task_struct *p)
{
	return scx_rs_bpf_task_running(p);
}

__bpf_kfunc s32 scx_bpf_task_cpu(const struct task_struct *p)
{
	return scx_rs_bpf_task_cpu(p);
}

__bpf_kfunc struct rq *scx_bpf_cpu_rq(s32 cpu)
{
	return scx_rs_bpf_cpu_rq(cpu);
}

/*
 * The cgroup of a task the running callback operates on. With the cgroup
 * support it needs, as in the C core (CGROUP_SCHED implies EXT_GROUP_SCHED
 * once sched_ext is built).
 */
#ifdef CONFIG_EXT_GROUP_SCHED
__bpf_kfunc struct cgroup *scx_bpf_task_cgroup(struct task_struct *p)
{
	return scx_rs_bpf_task_cgroup(p);
}
#endif

__bpf_kfunc void scx_bpf_dump_bstr(char *fmt, unsigned long long *data,
				   u32 data__sz)
{
	scx_rs_bpf_dump_bstr(fmt, data, data__sz);
}

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(scx_kfunc_ids_select_cpu)
BTF_ID_FLAGS(func, scx_bpf_select_cpu_dfl, KF_RCU)
BTF_KFUNCS_END(scx_kfunc_ids_select_cpu)

static const struct btf_kfunc_id_set scx_kfunc_set_select_cpu = {
	.owner	= THIS_MODULE,
	.set	= &scx_kfunc_ids_select_cpu,
};

BTF_KFUNCS_START(scx_kfunc_ids_enqueue_dispatch)
BTF_ID_FLAGS(func, scx_bpf_dispatch, KF_RCU)
BTF_ID_FLAGS(func, scx_bpf_dispatch_vtime, KF_RCU)
BTF_KFUNCS_END(scx_kfunc_ids_enqueue_dispatch)

static const struct btf_kfunc_id_set scx_kfunc_set_enqueue_dispatch = {
	.owner	= THIS_MODULE,
	.set	= &scx_kfunc_ids_enqueue_dispatch,
};

BTF_KFUNCS_START(scx_kfunc_ids_dispatch)
BTF_ID_FLAGS(func, scx_bpf_dispatch_nr_slots)
BTF_ID_FLAGS(func, scx_bpf_dispatch_cancel)
BTF_ID_FLAGS(func, scx_bpf_consume)
BTF_ID_FLAGS(func, scx_bpf_dispatch_from_dsq_set_slice, KF_RCU)
BTF_ID_FLAGS(func, scx_bpf_dispatch_from_dsq_set_vtime, KF_RCU)
BTF_ID_FLAGS(func, scx_bpf_dispatch_from_dsq, KF_RCU)
BTF_ID_FLAGS(func, scx_bpf_dispatch_vtime_from_dsq, KF_RCU)
BTF_KFUNCS_END(scx_kfunc_ids_dispatch)

static const struct btf_kfunc_id_set scx_kfunc_set_dispatch = {
	.owner	= THIS_MODULE,
	.set	= &scx_kfunc_ids_dispatch,
};

BTF_KFUNCS_START(scx_kfunc_ids_cpu_release)
BTF_ID_FLAGS(func, scx_bpf_reenqueue_local)
BTF_KFUNCS_END(scx_kfunc_ids_cpu_release)

static const struct btf_kfunc_id_set scx_kfunc_set_cpu_release = {
	.owner	= THIS_MODULE,
	.set	= &scx_kfunc_ids_cpu_release,
};

BTF_KFUNCS_START(scx_kfunc_ids_unlocked)
BTF_ID_FLAGS(func, scx_bpf_create_dsq, KF_SLEEPABLE)
BTF_ID_FLAGS(func, scx_bpf_dispatch_from_dsq_set_slice, KF_RCU)
BTF_ID_FLAGS(func, scx_bpf_dispatch_from_dsq_set_vtime, KF_RCU)
BTF_ID_FLAGS(func, scx_bpf_dispatch_from_dsq, KF_RCU)
BTF_ID_FLAGS(func, scx_bpf_dispatch_vtime_from_dsq, KF_RCU)
BTF_KFUNCS_END(scx_kfunc_ids_unlocked)

static const struct btf_kfunc_id_set scx_kfunc_set_unlocked = {
	.owner	= THIS_MODULE,
	.set	= &scx_kfunc_ids_unlocked,
};

BTF_KFUNCS_START(scx_kfunc_ids_any)
BTF_ID_FLAGS(func, scx_bpf_kick_cpu)
BTF_ID_FLAGS(func, scx_bpf_dsq_nr_queued)
BTF_ID_FLAGS(func, scx_bpf_destroy_dsq)
BTF_ID_FLAGS(func, bpf_iter_scx_dsq_new, KF_ITER_NEW | KF_RCU_PROTECTED)
BTF_ID_FLAGS(func, bpf_iter_scx_dsq_next, KF_ITER_NEXT | KF_RET_NULL)
BTF_ID_FLAGS(func, bpf_iter_scx_dsq_destroy, KF_ITER_DESTROY)
BTF_ID_FLAGS(func, scx_bpf_exit_bstr, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, scx_bpf_error_bstr, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, scx_bpf_dump_bstr, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, scx_bpf_cpuperf_cap)
BTF_ID_FLAGS(func, scx_bpf_cpuperf_cur)
BTF_ID_FLAGS(func, scx_bpf_cpuperf_set)
BTF_ID_FLAGS(func, scx_bpf_nr_cpu_ids)
BTF_ID_FLAGS(func, scx_bpf_get_possible_cpumask, KF_ACQUIRE)
BTF_ID_FLAGS(func, scx_bpf_get_online_cpumask, KF_ACQUIRE)
BTF_ID_FLAGS(func, scx_bpf_put_cpumask, KF_RELEASE)
BTF_ID_FLAGS(func, scx_bpf_get_idle_cpumask, KF_ACQUIRE)
BTF_ID_FLAGS(func, scx_bpf_get_idle_smtmask, KF_ACQUIRE)
BTF_ID_FLAGS(func, scx_bpf_put_idle_cpumask, KF_RELEASE)
BTF_ID_FLAGS(func, scx_bpf_test_and_clear_cpu_idle)
BTF_ID_FLAGS(func, scx_bpf_pick_idle_cpu, KF_RCU)
BTF_ID_FLAGS(func, scx_bpf_pick_any_cpu, KF_RCU)
BTF_ID_FLAGS(func, scx_bpf_task_running, KF_RCU)
BTF_ID_FLAGS(func, scx_bpf_task_cpu, KF_RCU)
BTF_ID_FLAGS(func, scx_bpf_cpu_rq)
#ifdef CONFIG_EXT_GROUP_SCHED
BTF_ID_FLAGS(func, scx_bpf_task_cgroup, KF_RCU | KF_ACQUIRE)
#endif
BTF_KFUNCS_END(scx_kfunc_ids_any)

static const struct btf_kfunc_id_set scx_kfunc_set_any = {
	.owner	= THIS_MODULE,
	.set	= &scx_kfunc_ids_any,
};

/* struct_ops: how the verifier and the link machinery see sched_ext_ops. */

static const struct btf_type *task_struct_type;

static bool scx_arg_maybe_null(const char *op, int arg_n, int off, int size,
			       enum bpf_access_type type,
			       const struct bpf_prog *prog,
			       struct bpf_insn_access_aux *info)
{
	struct btf *btf = bpf_get_btf_vmlinux();
	const struct bpf_struct_ops_desc *st_ops_desc;
	const struct btf_member *member;
	const struct btf_type *t;
	u32 btf_id, member_idx;
	const char *name;

	/* The task argument of ops.dispatch() and ops.yield() may be NULL. */
	if (off != arg_n * sizeof(__u64))
		return false;

	st_ops_desc = bpf_struct_ops_find(btf, prog->aux->attach_btf_id);
	if (!st_ops_desc)
		return false;

	member_idx = prog->expected_attach_type;
	t = st_ops_desc->type;
	if (member_idx >= btf_type_vlen(t))
		return false;

	member = &btf_type_member(t)[member_idx];
	name = btf_name_by_offset(btf, member->name_off);
	if (strcmp(name, op))
		return false;

	if (!btf_ctx_access(off, size, type, prog, info))
		return false;

	btf_id = btf_find_by_name_kind(btf, "task_struct", BTF_KIND_STRUCT);
	if ((s32)btf_id < 0)
		return false;
	info->reg_type = PTR_MAYBE_NULL | PTR_TO_BTF_ID | PTR_TRUSTED;
	info->btf = btf;
	info->btf_id = btf_id;
	return true;
}

static bool bpf_scx_is_valid_access(int off, int size,
				    enum bpf_access_type type,
				    const struct bpf_prog *prog,
				    struct bpf_insn_access_aux *info)
{
	if (type != BPF_READ)
		return false;
	if (scx_arg_maybe_null("dispatch", 1, off, size, type, prog, info) ||
	    scx_arg_maybe_null("yield", 1, off, size, type, prog, info))
		return true;
	if (off < 0 || off >= sizeof(__u64) * MAX_BPF_FUNC_ARGS ||
	    off % size)
		return false;
	return btf_ctx_access(off, size, type, prog, info);
}

/* BPF may write p->scx.slice, p->scx.dsq_vtime and p->scx.disallow only. */
static int bpf_scx_btf_struct_access(struct bpf_verifier_log *log,
				     const struct bpf_reg_state *reg, int off,
				     int size)
{
#define SCX_WRITABLE(field)						\
	(off >= offsetof(struct task_struct, field) &&			\
	 off + size <= offsetofend(struct task_struct, field))

	if (btf_type_by_id(reg->btf, reg->btf_id) == task_struct_type &&
	    (SCX_WRITABLE(scx.slice) || SCX_WRITABLE(scx.dsq_vtime) ||
	     SCX_WRITABLE(scx.disallow)))
		return SCALAR_VALUE;
	return -EACCES;
#undef SCX_WRITABLE
}

static const struct bpf_func_proto *
bpf_scx_get_func_proto(enum bpf_func_id func_id, const struct bpf_prog *prog)
{
	if (func_id == BPF_FUNC_task_storage_get)
		return &bpf_task_storage_get_proto;
	if (func_id == BPF_FUNC_task_storage_delete)
		return &bpf_task_storage_delete_proto;
	return bpf_base_func_proto(func_id, prog);
}

static const struct bpf_verifier_ops bpf_scx_verifier_ops = {
	.get_func_proto		= bpf_scx_get_func_proto,
	.is_valid_access	= bpf_scx_is_valid_access,
	.btf_struct_access	= bpf_scx_btf_struct_access,
};

/* Copy and range-check the data members of the user's sched_ext_ops. */
static int bpf_scx_init_member(const struct btf_type *t,
			       const struct btf_member *member,
			       void *kdata, const void *udata)
{
	const struct sched_ext_ops *uops = udata;
	struct sched_ext_ops *ops = kdata;
	u32 moff = __btf_member_bit_offset(t, member) / 8;
	int len;

	switch (moff) {
	case offsetof(struct sched_ext_ops, dispatch_max_batch):
		if (uops->dispatch_max_batch > INT_MAX)
			return -E2BIG;
		ops->dispatch_max_batch = uops->dispatch_max_batch;
		return 1;
	case offsetof(struct sched_ext_ops, flags):
		if (uops->flags & ~SCX_OPS_ALL_FLAGS)
			return -EINVAL;
		ops->flags = uops->flags;
		return 1;
	case offsetof(struct sched_ext_ops, name):
		len = bpf_obj_name_cpy(ops->name, uops->name,
				       sizeof(ops->name));
		if (len < 0)
			return len;
		return len ? 1 : -EINVAL;
	case offsetof(struct sched_ext_ops, timeout_ms):
		if (msecs_to_jiffies(uops->timeout_ms) >
		    SCX_WATCHDOG_MAX_TIMEOUT)
			return -E2BIG;
		ops->timeout_ms = uops->timeout_ms;
		return 1;
	case offsetof(struct sched_ext_ops, exit_dump_len):
		ops->exit_dump_len = uops->exit_dump_len ?:
				     SCX_EXIT_DUMP_DFL_LEN;
		return 1;
	case offsetof(struct sched_ext_ops, hotplug_seq):
		ops->hotplug_seq = uops->hotplug_seq;
		return 1;
	}
	return 0;
}

/* Only callbacks that run without the rq lock may sleep. */
static int bpf_scx_check_member(const struct btf_type *t,
				const struct btf_member *member,
				const struct bpf_prog *prog)
{
	switch (__btf_member_bit_offset(t, member) / 8) {
	case offsetof(struct sched_ext_ops, init_task):
#ifdef CONFIG_EXT_GROUP_SCHED
	case offsetof(struct sched_ext_ops, cgroup_init):
	case offsetof(struct sched_ext_ops, cgroup_exit):
	case offsetof(struct sched_ext_ops, cgroup_prep_move):
#endif
	case offsetof(struct sched_ext_ops, cpu_online):
	case offsetof(struct sched_ext_ops, cpu_offline):
	case offsetof(struct sched_ext_ops, init):
	case offsetof(struct sched_ext_ops, exit):
		return 0;
	}
	return prog->sleepable ? -EINVAL : 0;
}

static int bpf_scx_reg(void *kdata, struct bpf_link *link)
{
	return scx_rs_enable(kdata);
}

static void bpf_scx_unreg(void *kdata, struct bpf_link *link)
{
	scx_rs_disable_from_user();
}

static int bpf_scx_init(struct btf *btf)
{
	s32 id = btf_find_by_name_kind(btf, "task_struct", BTF_KIND_STRUCT);

	if (id < 0)
		return -EINVAL;
	task_struct_type = btf_type_by_id(btf, id);
	return 0;
}

static int bpf_scx_update(void *kdata, void *old_kdata, struct bpf_link *link)
{
	/* Replacing a loaded scheduler in place is not supported. */
	return -EOPNOTSUPP;
}

static int bpf_scx_validate(void *kdata)
{
	return 0;
}

/*
 * CFI stubs: one function per callback, whose type the struct_ops machinery
 * reads from BTF. They are never called.
 */
static s32 sched_ext_ops__select_cpu(struct task_struct *p, s32 prev_cpu,
				     u64 wake_flags)
{
	return -EINVAL;
}

static void sched_ext_ops__enqueue(struct task_struct *p, u64 enq_flags)
{
}

static void sched_ext_ops__dequeue(struct task_struct *p, u64 enq_flags)
{
}

static void sched_ext_ops__dispatch(s32 prev_cpu,
				    struct task_struct *prev__nullable)
{
}

static void sched_ext_ops__tick(struct task_struct *p)
{
}

static void sched_ext_ops__runnable(struct task_struct *p, u64 enq_flags)
{
}

static void sched_ext_ops__running(struct task_struct *p)
{
}

static void sched_ext_ops__stopping(struct task_struct *p, bool runnable)
{
}

static void sched_ext_ops__quiescent(struct task_struct *p, u64 deq_flags)
{
}

static bool sched_ext_ops__yield(struct task_struct *from,
				 struct task_struct *to__nullable)
{
	return false;
}

static bool sched_ext_ops__core_sched_before(struct task_struct *a,
					     struct task_struct *b)
{
	return false;
}

static void sched_ext_ops__set_weight(struct task_struct *p, u32 weight)
{
}

static void sched_ext_ops__set_cpumask(struct task_struct *p,
				       const struct cpumask *mask)
{
}

static void sched_ext_ops__update_idle(s32 cpu, bool idle)
{
}

static void sched_ext_ops__cpu_acquire(s32 cpu,
				       struct scx_cpu_acquire_args *args)
{
}

static void sched_ext_ops__cpu_release(s32 cpu,
				       struct scx_cpu_release_args *args)
{
}

static s32 sched_ext_ops__init_task(struct task_struct *p,
				    struct scx_init_task_args *args)
{
	return -EINVAL;
}

static void sched_ext_ops__exit_task(struct task_struct *p,
				     struct scx_exit_task_args *args)
{
}

static void sched_ext_ops__enable(struct task_struct *p)
{
}

static void sched_ext_ops__disable(struct task_struct *p)
{
}

static void sched_ext_ops__dump(struct scx_dump_ctx *ctx)
{
}

static void sched_ext_ops__dump_cpu(struct scx_dump_ctx *ctx, s32 cpu,
				    bool idle)
{
}

static void sched_ext_ops__dump_task(struct scx_dump_ctx *ctx,
				     struct task_struct *p)
{
}

#ifdef CONFIG_EXT_GROUP_SCHED
static s32 sched_ext_ops__cgroup_init(struct cgroup *cgrp,
				      struct scx_cgroup_init_args *args)
{
	return -EINVAL;
}

static void sched_ext_ops__cgroup_exit(struct cgroup *cgrp)
{
}

static s32 sched_ext_ops__cgroup_prep_move(struct task_struct *p,
					   struct cgroup *from,
					   struct cgroup *to)
{
	return -EINVAL;
}

static void sched_ext_ops__cgroup_move(struct task_struct *p,
				       struct cgroup *from, struct cgroup *to)
{
}

static void sched_ext_ops__cgroup_cancel_move(struct task_struct *p,
					      struct cgroup *from,
					      struct cgroup *to)
{
}

static void sched_ext_ops__cgroup_set_weight(struct cgroup *cgrp, u32 weight)
{
}
#endif

static void sched_ext_ops__cpu_online(s32 cpu)
{
}

static void sched_ext_ops__cpu_offline(s32 cpu)
{
}

static s32 sched_ext_ops__init(void)
{
	return -EINVAL;
}

static void sched_ext_ops__exit(struct scx_exit_info *info)
{
}

static struct sched_ext_ops __bpf_ops_sched_ext_ops = {
	.select_cpu		= sched_ext_ops__select_cpu,
	.enqueue		= sched_ext_ops__enqueue,
	.dequeue		= sched_ext_ops__dequeue,
	.dispatch		= sched_ext_ops__dispatch,
	.tick			= sched_ext_ops__tick,
	.runnable		= sched_ext_ops__runnable,
	.running		= sched_ext_ops__running,
	.stopping		= sched_ext_ops__stopping,
	.quiescent		= sched_ext_ops__quiescent,
	.yield			= sched_ext_ops__yield,
	.core_sched_before	= sched_ext_ops__core_sched_before,
	.set_weight		= sched_ext_ops__set_weight,
	.set_cpumask		= sched_ext_ops__set_cpumask,
	.update_idle		= sched_ext_ops__update_idle,
	.cpu_acquire		= sched_ext_ops__cpu_acquire,
	.cpu_release		= sched_ext_ops__cpu_release,
	.init_task		= sched_ext_ops__init_task,
	.exit_task		= sched_ext_ops__exit_task,
	.enable			= sched_ext_ops__enable,
	.disable		= sched_ext_ops__disable,
	.dump			= sched_ext_ops__dump,
	.dump_cpu		= sched_ext_ops__dump_cpu,
	.dump_task		= sched_ext_ops__dump_task,
#ifdef CONFIG_EXT_GROUP_SCHED
	.cgroup_init		= sched_ext_ops__cgroup_init,
	.cgroup_exit		= sched_ext_ops__cgroup_exit,
	.cgroup_prep_move	= sched_ext_ops__cgroup_prep_move,
	.cgroup_move		= sched_ext_ops__cgroup_move,
	.cgroup_cancel_move	= sched_ext_ops__cgroup_cancel_move,
	.cgroup_set_weight	= sched_ext_ops__cgroup_set_weight,
#endif
	.cpu_online		= sched_ext_ops__cpu_online,
	.cpu_offline		= sched_ext_ops__cpu_offline,
	.init			= sched_ext_ops__init,
	.exit			= sched_ext_ops__exit,
};

static struct bpf_struct_ops bpf_sched_ext_ops = {
	.verifier_ops	= &bpf_scx_verifier_ops,
	.reg		= bpf_scx_reg,
	.unreg		= bpf_scx_unreg,
	.check_member	= bpf_scx_check_member,
	.init_member	= bpf_scx_init_member,
	.init		= bpf_scx_init,
	.update		= bpf_scx_update,
	.validate	= bpf_scx_validate,
	.name		= "sched_ext_ops",
	.owner		= THIS_MODULE,
	.cfi_stubs	= &__bpf_ops_sched_ext_ops
};

/* sysrq-S ends the BPF scheduler; sysrq-D dumps its state. */

static void sysrq_handle_sched_ext_reset(u8 key)
{
	scx_rs_sysrq_reset();
}

static const struct sysrq_key_op sysrq_sched_ext_reset_op = {
	.handler	= sysrq_handle_sched_ext_reset,
	.help_msg	= "reset-sched-ext(S)",
	.action_msg	= "Disable sched_ext and revert all tasks to CFS",
	.enable_mask	= SYSRQ_ENABLE_RTNICE,
};

static void sysrq_handle_sched_ext_dump(u8 key)
{
	scx_rs_sysrq_dump();
}

static const struct sysrq_key_op sysrq_sched_ext_dump_op = {
	.handler	= sysrq_handle_sched_ext_dump,
	.help_msg	= "dump-sched-ext(D)",
	.action_msg	= "Trigger sched_ext debug dump",
	.enable_mask	= SYSRQ_ENABLE_RTNICE,
};

/*
 * Suspend and hibernation freeze user space, which BPF schedulers often
 * depend on: the core schedules by itself (bypass mode) from the prepare
 * event to the matching post event.
 */
static int scx_pm_handler(struct notifier_block *nb, unsigned long event,
			  void *ptr)
{
	switch (event) {
	case PM_HIBERNATION_PREPARE:
	case PM_SUSPEND_PREPARE:
	case PM_RESTORE_PREPARE:
		scx_rs_pm_bypass(true);
		break;
	case PM_POST_HIBERNATION:
	case PM_POST_SUSPEND:
	case PM_POST_RESTORE:
		scx_rs_pm_bypass(false);
		break;
	}
	return NOTIFY_OK;
}

static struct notifier_block scx_pm_notifier = {
	.notifier_call = scx_pm_handler,
};

/* sysfs: /sys/kernel/sched_ext and, while a scheduler is loaded, root/ops. */

static struct kset *scx_kset;
static struct kobject *scx_root_kobj;

#define SCX_ATTR(_name)							\
	static struct kobj_attribute scx_attr_##_name = {		\
		.attr = { .name = __stringify(_name), .mode = 0444 },	\
		.show = scx_attr_##_name##_show,			\
	}

static ssize_t scx_attr_state_show(struct kobject *kobj,
				   struct kobj_attribute *ka, char *buf)
{
	return sysfs_emit(buf, "%s\n", scx_rs_state_str());
}
SCX_ATTR(state);

static ssize_t scx_attr_switch_all_show(struct kobject *kobj,
					struct kobj_attribute *ka, char *buf)
{
	return sysfs_emit(buf, "%d\n", scx_rs_switching_all());
}
SCX_ATTR(switch_all);

static ssize_t scx_attr_nr_rejected_show(struct kobject *kobj,
					 struct kobj_attribute *ka, char *buf)
{
	return sysfs_emit(buf, "%ld\n", scx_rs_nr_rejected());
}
SCX_ATTR(nr_rejected);

static ssize_t scx_attr_hotplug_seq_show(struct kobject *kobj,
					 struct kobj_attribute *ka, char *buf)
{
	return sysfs_emit(buf, "%ld\n", scx_rs_hotplug_seq());
}
SCX_ATTR(hotplug_seq);

static ssize_t scx_attr_enable_seq_show(struct kobject *kobj,
					struct kobj_attribute *ka, char *buf)
{
	return sysfs_emit(buf, "%ld\n", scx_rs_enable_seq());
}
SCX_ATTR(enable_seq);

static struct attribute *scx_global_attrs[] = {
	&scx_attr_state.attr,
	&scx_attr_switch_all.attr,
	&scx_attr_nr_rejected.attr,
	&scx_attr_hotplug_seq.attr,
	&scx_attr_enable_seq.attr,
	NULL,
};

static const struct attribute_group scx_global_attr_group = {
	.attrs = scx_global_attrs,
};

static ssize_t scx_attr_ops_show(struct kobject *kobj,
				 struct kobj_attribute *ka, char *buf)
{
	return sysfs_emit(buf, "%s\n", scx_rs_ops_name());
}
SCX_ATTR(ops);

static struct attribute *scx_root_attrs[] = {
	&scx_attr_ops.attr,
	NULL,
};
ATTRIBUTE_GROUPS(scx_root);

static void scx_root_kobj_release(struct kobject *kobj)
{
	kfree(kobj);
}

static const struct kobj_type scx_root_ktype = {
	.release	= scx_root_kobj_release,
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= scx_root_groups,
};

static int scx_uevent(const struct kobject *kobj, struct kobj_uevent_env *env)
{
	return add_uevent_var(env, "SCXOPS=%s", scx_rs_ops_name());
}

static const struct kset_uevent_ops scx_uevent_ops = {
	.uevent = scx_uevent,
};

/* Called by the Rust core when a scheduler finishes enabling. */
int scx_abi_sysfs_add_root(void)
{
	int ret;

	scx_root_kobj = kzalloc(sizeof(*scx_root_kobj), GFP_KERNEL);
	if (!scx_root_kobj)
		return -ENOMEM;
	scx_root_kobj->kset = scx_kset;
	ret = kobject_init_and_add(scx_root_kobj, &scx_root_ktype, NULL,
				   "root");
	if (ret < 0) {
		kobject_put(scx_root_kobj);
		scx_root_kobj = NULL;
		return ret;
	}
	kobject_uevent(scx_root_kobj, KOBJ_ADD);
	return 0;
}

/* Called by the Rust core when the scheduler is gone. */
void scx_abi_sysfs_remove_root(void)
{
	if (!scx_root_kobj)
		return;
	kobject_del(scx_root_kobj);
	kobject_put(scx_root_kobj);
	scx_root_kobj = NULL;
}

static int __init scx_abi_init(void)
{
	int ret;

	/*
	 * Types BPF programs name but the C code here never uses. Without a
	 * use, the compiler drops them from the debug info pahole reads.
	 */
	BTF_TYPE_EMIT(struct scx_exit_info);
	BTF_TYPE_EMIT(struct scx_dump_ctx);
#ifdef CONFIG_EXT_GROUP_SCHED
	BTF_TYPE_EMIT(struct scx_cgroup_init_args);
#endif
	BTF_TYPE_EMIT(struct scx_cpu_acquire_args);
	BTF_TYPE_EMIT(struct scx_cpu_release_args);
	BTF_TYPE_EMIT(struct bpf_iter_scx_dsq);
	BTF_TYPE_EMIT_ENUM(SCX_DSP_DFL_MAX_BATCH);
	BTF_TYPE_EMIT_ENUM(SCX_EXIT_NONE);
	BTF_TYPE_EMIT_ENUM(SCX_ECODE_RSN_HOTPLUG);
	BTF_TYPE_EMIT_ENUM(SCX_OPS_KEEP_BUILTIN_IDLE);
	BTF_TYPE_EMIT_ENUM(SCX_CPU_PREEMPT_RT);
	BTF_TYPE_EMIT_ENUM(SCX_WAKE_FORK);
	BTF_TYPE_EMIT_ENUM(SCX_ENQ_WAKEUP);
	BTF_TYPE_EMIT_ENUM(SCX_DEQ_SLEEP);
	BTF_TYPE_EMIT_ENUM(SCX_PICK_IDLE_CORE);
	BTF_TYPE_EMIT_ENUM(SCX_KICK_IDLE);
	BTF_TYPE_EMIT_ENUM(SCX_OPS_ENABLING);
	BTF_TYPE_EMIT_ENUM(SCX_OPSS_NONE);
	BTF_TYPE_EMIT_ENUM(SCX_DSQ_ITER_REV);
	BTF_TYPE_EMIT_ENUM(SCX_DSQ_FLAG_BUILTIN);
	BTF_TYPE_EMIT_ENUM(SCX_SLICE_DFL);
	BTF_TYPE_EMIT_ENUM(SCX_TASK_QUEUED);
	BTF_TYPE_EMIT_ENUM(SCX_TASK_NONE);
	BTF_TYPE_EMIT_ENUM(SCX_TASK_DSQ_ON_PRIQ);
	BTF_TYPE_EMIT_ENUM(SCX_KF_UNLOCKED);
	BTF_TYPE_EMIT_ENUM(SCX_DSQ_LNODE_ITER_CURSOR);
	BTF_TYPE_EMIT_ENUM(SCX_OPI_BEGIN);
	BTF_TYPE_EMIT_ENUM(SCX_TG_ONLINE);

	ret = scx_rs_init();
	if (ret)
		return ret;

	ret = register_btf_kfunc_id_set(BPF_PROG_TYPE_STRUCT_OPS,
					&scx_kfunc_set_select_cpu) ?:
	      register_btf_kfunc_id_set(BPF_PROG_TYPE_STRUCT_OPS,
					&scx_kfunc_set_enqueue_dispatch) ?:
	      register_btf_kfunc_id_set(BPF_PROG_TYPE_STRUCT_OPS,
					&scx_kfunc_set_dispatch) ?:
	      register_btf_kfunc_id_set(BPF_PROG_TYPE_STRUCT_OPS,
					&scx_kfunc_set_cpu_release) ?:
	      register_btf_kfunc_id_set(BPF_PROG_TYPE_STRUCT_OPS,
					&scx_kfunc_set_unlocked) ?:
	      register_btf_kfunc_id_set(BPF_PROG_TYPE_SYSCALL,
					&scx_kfunc_set_unlocked) ?:
	      register_btf_kfunc_id_set(BPF_PROG_TYPE_STRUCT_OPS,
					&scx_kfunc_set_any) ?:
	      register_btf_kfunc_id_set(BPF_PROG_TYPE_TRACING,
					&scx_kfunc_set_any) ?:
	      register_btf_kfunc_id_set(BPF_PROG_TYPE_SYSCALL,
					&scx_kfunc_set_any);
	if (ret) {
		pr_err("sched_ext: Failed to register kfunc sets (%d)\n", ret);
		return ret;
	}

	ret = register_bpf_struct_ops(&bpf_sched_ext_ops, sched_ext_ops);
	if (ret) {
		pr_err("sched_ext: Failed to register struct_ops (%d)\n", ret);
		return ret;
	}

	register_sysrq_key('S', &sysrq_sched_ext_reset_op);
	register_sysrq_key('D', &sysrq_sched_ext_dump_op);

	ret = register_pm_notifier(&scx_pm_notifier);
	if (ret) {
		pr_err("sched_ext: Failed to register PM notifier (%d)\n", ret);
		return ret;
	}

	scx_kset = kset_create_and_add("sched_ext", &scx_uevent_ops,
				       kernel_kobj);
	if (!scx_kset) {
		pr_err("sched_ext: Failed to create /sys/kernel/sched_ext\n");
		return -ENOMEM;
	}

	ret = sysfs_create_group(&scx_kset->kobj, &scx_global_attr_group);
	if (ret < 0) {
		pr_err("sched_ext: Failed to add global attributes\n");
		return ret;
	}
	return 0;
}
device_initcall(scx_abi_init);
