// SPDX-License-Identifier: GPL-2.0

//! The functions C calls: the scheduler class callbacks that
//! `DEFINE_SCHED_CLASS(ext)` in ext_abi.c points to, the hooks declared in
//! kernel/sched/ext.h and include/linux/sched/ext.h, and the struct_ops and
//! sysfs entry points of ext_abi.c.
//!
//! Each one turns its raw arguments into the crate's types, stating why that
//! is sound (which lock the core holds), and calls the logic.

use crate::bindings;
use crate::class;
use crate::enable;
use crate::pcpu::NoPreempt;
use crate::rq::{Cpu, Rq, RqLocked};
use crate::task::{Task, TaskScx};
use core::sync::atomic::Ordering;

/// # Safety
///
/// The core holds the rq lock of `rq` and `p` is a task on it.
unsafe fn args<'a>(rq: *mut bindings::rq, p: *mut bindings::task_struct) -> (RqLocked, &'a Task) {
    // SAFETY: by the caller's guarantee, for the duration of the callback.
    unsafe { (RqLocked::assume(rq), Task::from_raw(p)) }
}

/// # Safety
///
/// The core calls enqueue_task with the rq locked.
#[no_mangle]
unsafe extern "C" fn scx_rs_enqueue_task(
    rq: *mut bindings::rq,
    p: *mut bindings::task_struct,
    flags: i32,
) {
    // SAFETY: the core calls enqueue_task with the rq locked.
    let (rq, p) = unsafe { args(rq, p) };
    class::enqueue_task(&rq, p, flags);
}

/// # Safety
///
/// The core calls dequeue_task with the rq locked.
#[no_mangle]
unsafe extern "C" fn scx_rs_dequeue_task(
    rq: *mut bindings::rq,
    p: *mut bindings::task_struct,
    flags: i32,
) -> bool {
    // SAFETY: the core calls dequeue_task with the rq locked.
    let (rq, p) = unsafe { args(rq, p) };
    class::dequeue_task(&rq, p, flags)
}

/// # Safety
///
/// The core calls yield_task with the rq locked.
#[no_mangle]
unsafe extern "C" fn scx_rs_yield_task(rq: *mut bindings::rq) {
    // SAFETY: the core calls yield_task with the rq locked.
    class::yield_task(&unsafe { RqLocked::assume(rq) });
}

/// # Safety
///
/// The core calls yield_to_task with both rqs locked.
#[no_mangle]
unsafe extern "C" fn scx_rs_yield_to_task(
    rq: *mut bindings::rq,
    to: *mut bindings::task_struct,
) -> bool {
    // SAFETY: the core calls yield_to_task with both rqs locked.
    let (rq, to) = unsafe { args(rq, to) };
    class::yield_to_task(&rq, to)
}

/// Preemption between ext tasks is the BPF scheduler's call (through
/// `SCX_ENQ_PREEMPT` and kicks), not the core's.
#[no_mangle]
extern "C" fn scx_rs_wakeup_preempt(
    _rq: *mut bindings::rq,
    _p: *mut bindings::task_struct,
    _flags: i32,
) {
}

/// # Safety
///
/// The core calls balance with the rq locked and pinned by
/// `rf`.
#[no_mangle]
unsafe extern "C" fn scx_rs_balance(
    rq: *mut bindings::rq,
    prev: *mut bindings::task_struct,
    rf: *mut bindings::rq_flags,
) -> i32 {
    // SAFETY: the core calls balance with the rq locked and pinned by `rf`.
    let (mut rq, prev) = unsafe { args(rq, prev) };
    // SAFETY: `__schedule()` runs with preemption disabled throughout.
    let np = unsafe { NoPreempt::assume() };
    class::balance(np, &mut rq, prev, rf)
}

/// # Safety
///
/// The core calls pick_task with the rq locked.
#[no_mangle]
unsafe extern "C" fn scx_rs_pick_task(rq: *mut bindings::rq) -> *mut bindings::task_struct {
    // SAFETY: the core calls pick_task with the rq locked.
    class::pick_task(&unsafe { RqLocked::assume(rq) })
}

/// # Safety
///
/// The core calls put_prev_task with the rq locked; `next`,
/// if set, is the task it picked on this rq.
#[no_mangle]
unsafe extern "C" fn scx_rs_put_prev_task(
    rq: *mut bindings::rq,
    p: *mut bindings::task_struct,
    next: *mut bindings::task_struct,
) {
    // SAFETY: the core calls put_prev_task with the rq locked; `next`, if
    // set, is the task it picked on this rq.
    let (rq, p) = unsafe { args(rq, p) };
    let next = (!next.is_null()).then(|| {
        // SAFETY: as above, for the task the core picked next.
        unsafe { Task::from_raw(next) }
    });
    class::put_prev_task(&rq, p, next);
}

/// # Safety
///
/// The core calls set_next_task with the rq locked.
#[no_mangle]
unsafe extern "C" fn scx_rs_set_next_task(
    rq: *mut bindings::rq,
    p: *mut bindings::task_struct,
    _first: bool,
) {
    // SAFETY: the core calls set_next_task with the rq locked.
    let (rq, p) = unsafe { args(rq, p) };
    class::set_next_task(&rq, p);
}

/// # Safety
///
/// The core calls select_task_rq with `p->pi_lock` held.
#[no_mangle]
unsafe extern "C" fn scx_rs_select_task_rq(
    p: *mut bindings::task_struct,
    prev_cpu: i32,
    wake_flags: i32,
) -> i32 {
    // SAFETY: the core calls select_task_rq with `p->pi_lock`, a raw
    // spinlock, held, and passes the task's CPU or its wake CPU, both
    // possible CPUs.
    let (np, p, prev_cpu) = unsafe {
        (
            NoPreempt::assume(),
            Task::from_raw(p),
            Cpu::new_unchecked(prev_cpu),
        )
    };
    class::select_task_rq(np, p, prev_cpu, wake_flags)
}

/// # Safety
///
/// The core calls task_woken with the rq locked, unpinned: we may drop it.
#[no_mangle]
unsafe extern "C" fn scx_rs_task_woken(rq: *mut bindings::rq, _p: *mut bindings::task_struct) {
    // SAFETY: the rq is locked, so preemption is off, until we return.
    let (np, mut rq) = unsafe { (NoPreempt::assume(), RqLocked::assume(rq)) };
    class::task_woken(np, &mut rq);
}

/// # Safety
///
/// The core holds `p`'s pi_lock and rq lock.
#[no_mangle]
unsafe extern "C" fn scx_rs_set_cpus_allowed(
    p: *mut bindings::task_struct,
    ctx: *mut bindings::affinity_context,
) {
    // SAFETY: the core holds `p`'s pi_lock and rq lock, raw spinlocks that
    // keep preemption off until we return.
    let (np, p) = unsafe { (NoPreempt::assume(), Task::from_raw(p)) };
    class::set_cpus_allowed(np, p, ctx);
}

/// # Safety
///
/// The core calls rq_online with the rq locked.
#[no_mangle]
unsafe extern "C" fn scx_rs_rq_online(rq: *mut bindings::rq) {
    // SAFETY: the core calls rq_online with the rq locked.
    class::set_online(&unsafe { RqLocked::assume(rq) }, true);
}

/// # Safety
///
/// The core calls rq_offline with the rq locked.
#[no_mangle]
unsafe extern "C" fn scx_rs_rq_offline(rq: *mut bindings::rq) {
    // SAFETY: the core calls rq_offline with the rq locked.
    class::set_online(&unsafe { RqLocked::assume(rq) }, false);
}

/// # Safety
///
/// The core calls task_tick with the rq locked.
#[no_mangle]
unsafe extern "C" fn scx_rs_task_tick(
    rq: *mut bindings::rq,
    curr: *mut bindings::task_struct,
    _queued: i32,
) {
    // SAFETY: the core calls task_tick with the rq locked.
    let (rq, curr) = unsafe { args(rq, curr) };
    class::task_tick(&rq, curr);
}

/// # Safety
///
/// The core holds `p`'s pi_lock and rq lock.
#[no_mangle]
unsafe extern "C" fn scx_rs_switching_to(rq: *mut bindings::rq, p: *mut bindings::task_struct) {
    // SAFETY: the core holds `p`'s pi_lock and rq lock.
    let (rq, p) = unsafe { args(rq, p) };
    enable::switching_to(crate::ops::get(rq.no_preempt()), rq.task(p));
}

/// # Safety
///
/// The core holds `p`'s pi_lock and rq lock.
#[no_mangle]
unsafe extern "C" fn scx_rs_switched_from(rq: *mut bindings::rq, p: *mut bindings::task_struct) {
    // SAFETY: the core holds `p`'s pi_lock and rq lock.
    let (rq, p) = unsafe { args(rq, p) };
    enable::switched_from(crate::ops::get(rq.no_preempt()), rq.task(p));
}

/// Joining is handled in `switching_to`, before the task is enqueued.
#[no_mangle]
extern "C" fn scx_rs_switched_to(_rq: *mut bindings::rq, _p: *mut bindings::task_struct) {}

/// # Safety
///
/// The core holds `p`'s rq lock and passes a valid weight.
#[no_mangle]
unsafe extern "C" fn scx_rs_reweight_task(
    rq: *mut bindings::rq,
    p: *mut bindings::task_struct,
    lw: *const bindings::load_weight,
) {
    // SAFETY: the core holds `p`'s rq lock and passes a valid weight. A
    // load weight is in the fixed point of `scale_load()` (10 more bits on
    // 64-bit), which the helper takes off before it converts to the cgroup
    // range [1, 10000] that `p->scx.weight` is in.
    let ((rq, p), w) = unsafe { (args(rq, p), bindings::scx_helper_lw_weight_to_cgroup(lw)) };
    let w = w as u32;
    class::reweight_task(crate::ops::get(rq.no_preempt()), rq.task(p), w);
}

/// A priority change within the ext class means nothing to the core.
#[no_mangle]
extern "C" fn scx_rs_prio_changed(
    _rq: *mut bindings::rq,
    _p: *mut bindings::task_struct,
    _oldprio: i32,
) {
}

/// # Safety
///
/// The core calls update_curr with the rq locked.
#[no_mangle]
unsafe extern "C" fn scx_rs_update_curr(rq: *mut bindings::rq) {
    // SAFETY: the core calls update_curr with the rq locked.
    class::update_curr(&unsafe { RqLocked::assume(rq) });
}

/// # Safety
///
/// Core scheduling calls this for two tasks queued on the SMT siblings of
/// one core, with the core's rq lock held: `task_rq(a)`'s lock.
#[cfg(CONFIG_SCHED_CORE)]
#[no_mangle]
unsafe extern "C" fn scx_prio_less(
    a: *const bindings::task_struct,
    b: *const bindings::task_struct,
    _in_fi: bool,
) -> bool {
    // SAFETY: see above; lockdep checks the claim.
    let (rq, a, b) = unsafe {
        (
            RqLocked::assume(bindings::scx_helper_task_rq(a)),
            Task::from_raw(a),
            Task::from_raw(b),
        )
    };
    class::prio_less(&rq, a, b)
}

#[cfg(CONFIG_SCHED_CORE)]
crate::bindings::check_prototypes! {
    scx_prio_less,
}

/// # Safety
///
/// `sched_tick()` calls this with `rq`, the current CPU's, locked.
#[no_mangle]
unsafe extern "C" fn scx_tick(rq: *mut bindings::rq) {
    if !crate::scx_enabled() {
        return;
    }
    crate::watchdog::tick();
    // The load averages of the other classes (rt, dl, irq) are otherwise
    // refreshed by the fair class's balancing, which may not run at all
    // while every task is on ext: schedutil reads them.
    // SAFETY: the rq is locked, as update_other_load_avgs() asserts.
    unsafe { bindings::update_other_load_avgs(rq) };
}

/// # Safety
///
/// The core passes the entity of a task being forked, which
/// no one else sees yet.
#[no_mangle]
unsafe extern "C" fn init_scx_entity(scx: *mut bindings::sched_ext_entity) {
    // SAFETY: the core passes the entity of a task being forked, which no
    // one else sees yet.
    unsafe { init_entity(scx) };
}

/// Resets a task's sched_ext entity to its state at fork.
///
/// # Safety
///
/// `scx` must be valid for writes and not in use by anyone else.
pub(crate) unsafe fn init_entity(scx: *mut bindings::sched_ext_entity) {
    // SAFETY: exclusive access by the caller's guarantee.
    unsafe {
        core::ptr::write_bytes(scx, 0, 1);
        crate::list::init(core::ptr::addr_of_mut!((*scx).dsq_list.node));
        crate::list::rb_clear_node(core::ptr::addr_of_mut!((*scx).dsq_priq));
        crate::list::init(core::ptr::addr_of_mut!((*scx).runnable_node));
        crate::list::init(core::ptr::addr_of_mut!((*scx).tasks_node));
        (*scx).sticky_cpu = -1;
        (*scx).holding_cpu = -1;
        (*scx).runnable_at = crate::watchdog::jiffies() as _;
        (*scx).ddsp_dsq_id = bindings::SCX_DSQ_INVALID as u64;
        (*scx).slice = bindings::SCX_SLICE_DFL as u64;
    }
}

#[no_mangle]
extern "C" fn scx_pre_fork(_p: *mut bindings::task_struct) {
    // Keeps the enable and disable walks from missing this task.
    // SAFETY: fork context, may sleep; released in post/cancel_fork.
    unsafe { bindings::scx_helper_fork_read_lock() };
}

/// # Safety
///
/// `p` is the child being forked.
#[no_mangle]
unsafe extern "C" fn scx_fork(p: *mut bindings::task_struct) -> i32 {
    // SAFETY: `p` is the child being forked.
    enable::fork(unsafe { Task::from_raw(p) })
}

/// # Safety
///
/// `p` is the child, now visible.
#[no_mangle]
unsafe extern "C" fn scx_post_fork(p: *mut bindings::task_struct) {
    // SAFETY: `p` is the child, now visible.
    enable::post_fork(unsafe { Task::from_raw(p) });
    // SAFETY: taken in scx_pre_fork().
    unsafe { bindings::scx_helper_fork_read_unlock() };
}

/// # Safety
///
/// `p` is the child whose fork failed.
#[no_mangle]
unsafe extern "C" fn scx_cancel_fork(p: *mut bindings::task_struct) {
    // SAFETY: `p` is the child whose fork failed.
    enable::cancel_fork(unsafe { Task::from_raw(p) });
    // SAFETY: taken in scx_pre_fork().
    unsafe { bindings::scx_helper_fork_read_unlock() };
}

/// # Safety
///
/// `p` is being freed, which only happens once.
#[no_mangle]
unsafe extern "C" fn sched_ext_free(p: *mut bindings::task_struct) {
    // SAFETY: `p` is being freed, which only happens once.
    enable::free(unsafe { Task::from_raw(p) });
}

/// # Safety
///
/// `log_lvl` is a printk level string. `p` may be any task pointer, even a
/// stale one: this runs from stack dumps, in any context, and reads the
/// task only with `copy_from_kernel_nofault()`.
#[no_mangle]
unsafe extern "C" fn print_scx_info(log_lvl: *const u8, p: *mut bindings::task_struct) {
    use core::fmt::Write;
    let state = enable::state();
    if state == enable::EnableState::Disabled {
        return;
    }
    // Keeps the table from being freed while we print its name.
    let g = crate::pcpu::PreemptGuard::new();
    let mut buf = [0u8; 256];
    let mut w = crate::exit::FmtBuf::new(&mut buf);
    let _ = write!(
        w,
        "Sched_ext: {} ({}{})",
        crate::ops::get(g.no_preempt()).name(),
        state.as_cstr(),
        if enable::switching_all() { "+all" } else { "" }
    );
    // Addresses computed without dereferencing `p`, which may be stale.
    let field = |off: usize| p.cast::<u8>().wrapping_add(off).cast::<core::ffi::c_void>();
    let mut class: *const bindings::sched_class = core::ptr::null();
    // SAFETY: a fault-tolerant copy into a local of the field's size.
    let read = unsafe {
        bindings::copy_from_kernel_nofault(
            core::ptr::addr_of_mut!(class).cast(),
            field(core::mem::offset_of!(bindings::task_struct, sched_class)),
            core::mem::size_of_val(&class),
        )
    };
    if read == 0 && class == core::ptr::addr_of!(bindings::ext_sched_class) {
        let mut at: usize = 0;
        // SAFETY: as above.
        let read = unsafe {
            bindings::copy_from_kernel_nofault(
                core::ptr::addr_of_mut!(at).cast(),
                field(
                    core::mem::offset_of!(bindings::task_struct, scx)
                        + core::mem::offset_of!(bindings::sched_ext_entity, runnable_at),
                ),
                core::mem::size_of_val(&at),
            )
        };
        let _ = w.write_str(", task: runnable_at=");
        if read == 0 {
            let ms = crate::dump::delta_msecs(at, crate::watchdog::jiffies());
            let _ = write!(w, "{:+}ms", ms);
        } else {
            let _ = w.write_str("?");
        }
    }
    // SAFETY: `log_lvl` is a printk level string by the caller's guarantee;
    // the message is NUL-terminated by `FmtBuf`.
    unsafe { bindings::scx_helper_printk_lvl(log_lvl, w.as_bytes_with_nul().as_ptr() as *const _) };
    drop(g);
}

#[no_mangle]
extern "C" fn scx_can_stop_tick(rq: *mut bindings::rq) -> bool {
    // SAFETY: the core passes a CPU's rq.
    let rq = unsafe { Rq::from_raw(rq) };
    if rq.bypassing() {
        return false;
    }
    // SAFETY: `curr` of an rq is always a live task.
    if !unsafe { Task::from_raw(rq.curr_ptr()) }.on_ext_class() {
        return true;
    }
    // The rq may run tasks from any DSQ, so its number of tasks says
    // nothing: only a slice of SCX_SLICE_INF does (`class::set_next_task`).
    rq.can_stop_tick_racy()
}

/// # Safety
///
/// The core passes a CPU's rq.
#[no_mangle]
unsafe extern "C" fn scx_rq_activate(rq: *mut bindings::rq) {
    // SAFETY: the core passes a CPU's rq.
    enable::hotplug(unsafe { Rq::from_raw(rq) }.cpu(), true);
}

/// # Safety
///
/// The core passes a CPU's rq.
#[no_mangle]
unsafe extern "C" fn scx_rq_deactivate(rq: *mut bindings::rq) {
    // SAFETY: the core passes a CPU's rq.
    enable::hotplug(unsafe { Rq::from_raw(rq) }.cpu(), false);
}

/// # Safety
///
/// The core holds `p`'s rq lock.
#[no_mangle]
unsafe extern "C" fn scx_check_setscheduler(p: *mut bindings::task_struct, policy: i32) -> i32 {
    // SAFETY: the core holds `p`'s rq lock (task_rq_lock()).
    enable::check_setscheduler(unsafe { TaskScx::assume(Task::from_raw(p)) }, policy as u32)
}

#[no_mangle]
extern "C" fn task_should_scx(policy: i32) -> bool {
    enable::task_should_scx(policy as u32)
}

/// # Safety
///
/// The idle class calls this with the rq locked.
#[no_mangle]
unsafe extern "C" fn __scx_update_idle(rq: *mut bindings::rq, idle: bool, do_notify: bool) {
    // SAFETY: the idle class calls this with the rq locked.
    crate::idle::update(&unsafe { RqLocked::assume(rq) }, idle, do_notify);
}

#[no_mangle]
extern "C" fn init_sched_ext_class() {
    crate::init_early();
}

#[no_mangle]
extern "C" fn scx_rs_init() -> i32 {
    match crate::init_late() {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// # Safety
///
/// The struct_ops link passes the ops it built, valid until
/// unreg.
#[no_mangle]
unsafe extern "C" fn scx_rs_enable(ops: *const bindings::sched_ext_ops) -> i32 {
    // SAFETY: the struct_ops link passes the ops it built, valid until
    // unreg.
    enable::enable(unsafe { &*ops })
}

#[no_mangle]
extern "C" fn scx_rs_disable_from_user() {
    enable::disable_from_user();
}

#[no_mangle]
extern "C" fn scx_rs_state_str() -> *const u8 {
    enable::state_str().as_char_ptr()
}

#[no_mangle]
extern "C" fn scx_rs_switching_all() -> bool {
    enable::switching_all()
}

#[no_mangle]
extern "C" fn scx_rs_nr_rejected() -> isize {
    enable::NR_REJECTED.load(Ordering::Relaxed)
}

#[no_mangle]
extern "C" fn scx_rs_hotplug_seq() -> isize {
    enable::HOTPLUG_SEQ.load(Ordering::Relaxed)
}

#[no_mangle]
extern "C" fn scx_rs_enable_seq() -> isize {
    enable::ENABLE_SEQ.load(Ordering::Relaxed)
}

#[no_mangle]
extern "C" fn scx_rs_ops_name() -> *const u8 {
    // SAFETY: C calls this from the sysfs and uevent callbacks of the root
    // kobject, which exists only from after the table is installed (under
    // the enable mutex) until before it is cleared; removing the kobject
    // waits for the callbacks.
    unsafe { crate::ops::get_unchecked() }.name().as_char_ptr()
}

/// sysrq-S: ends the loaded BPF scheduler, from any context.
#[no_mangle]
extern "C" fn scx_rs_sysrq_reset() {
    enable::sysrq_reset();
}

/// sysrq-D: dumps the loaded scheduler's state to the tracepoint.
#[no_mangle]
extern "C" fn scx_rs_sysrq_dump() {
    crate::dump::sysrq_dump();
}

/// The PM notifier: bypass from the prepare event of a suspend, hibernation
/// or restore to its post event.
#[no_mangle]
extern "C" fn scx_rs_pm_bypass(bypass: bool) {
    enable::bypass(bypass);
}

crate::bindings::check_prototypes! {
    scx_rs_enqueue_task,
    scx_rs_dequeue_task,
    scx_rs_yield_task,
    scx_rs_yield_to_task,
    scx_rs_wakeup_preempt,
    scx_rs_balance,
    scx_rs_pick_task,
    scx_rs_put_prev_task,
    scx_rs_set_next_task,
    scx_rs_select_task_rq,
    scx_rs_task_woken,
    scx_rs_set_cpus_allowed,
    scx_rs_rq_online,
    scx_rs_rq_offline,
    scx_rs_task_tick,
    scx_rs_switching_to,
    scx_rs_switched_from,
    scx_rs_switched_to,
    scx_rs_reweight_task,
    scx_rs_prio_changed,
    scx_rs_update_curr,
    scx_tick,
    init_scx_entity,
    scx_pre_fork,
    scx_fork,
    scx_post_fork,
    scx_cancel_fork,
    sched_ext_free,
    print_scx_info,
    scx_can_stop_tick,
    scx_rq_activate,
    scx_rq_deactivate,
    scx_check_setscheduler,
    task_should_scx,
    __scx_update_idle,
    init_sched_ext_class,
    scx_rs_init,
    scx_rs_enable,
    scx_rs_disable_from_user,
    scx_rs_state_str,
    scx_rs_switching_all,
    scx_rs_nr_rejected,
    scx_rs_hotplug_seq,
    scx_rs_enable_seq,
    scx_rs_ops_name,
    scx_rs_sysrq_reset,
    scx_rs_sysrq_dump,
    scx_rs_pm_bypass,
}
