// SPDX-License-Identifier: GPL-2.0

//! The ext scheduling class: how tasks flow between the core scheduler, the
//! BPF scheduler and the DSQs.
//!
//! A runnable ext task is always in one of three places:
//!
//! - in the BPF scheduler's custody, after `ops.enqueue()` kept it
//!   (`ops_state` QUEUED, see [`crate::ops_state`]);
//! - on a DSQ: the global one, a user one, or a CPU's local DSQ;
//! - running on a CPU.
//!
//! A CPU runs tasks only from its own local DSQ. When that is empty,
//! [`balance`] refills it: from the global DSQ, then by calling
//! `ops.dispatch()`, whose `scx_bpf_dispatch()` calls are buffered per CPU
//! and carried out afterwards ([`flush_dispatch_buf`]), and whose
//! `scx_bpf_consume()` calls move a task from a DSQ to this CPU
//! ([`consume`]).
//!
//! Moving a task that sits on another CPU's rq means dropping our rq lock and
//! taking the other one. While neither is held, the task may be dequeued,
//! migrated or picked by a third CPU; `p->scx.holding_cpu` records who is
//! moving it, and whoever dequeues it resets that to -1, which the mover
//! checks once it holds the source rq lock.

use crate::bindings;
use crate::dsq::{self, Dsq, Order};
use crate::idle;
use crate::ops;
use crate::ops_state::{next_qseq, OpsState, OpssWord};
use crate::pcpu::{self, Ddsp, DspEnt};
use crate::rq::{Rq, RqLocked};
use crate::task::Task;

const ENQ_HEAD: u64 = bindings::SCX_ENQ_HEAD as u64;
const ENQ_PREEMPT: u64 = bindings::SCX_ENQ_PREEMPT as u64;
const ENQ_LAST: u64 = bindings::SCX_ENQ_LAST as u64;
const ENQ_CLEAR_OPSS: u64 = bindings::SCX_ENQ_CLEAR_OPSS as u64;
const ENQ_DSQ_PRIQ: u64 = bindings::SCX_ENQ_DSQ_PRIQ as u64;
/// Enqueue flags only the core may set.
pub(crate) const ENQ_INTERNAL_MASK: u64 = 0xff << 56;

const SLICE_DFL: u64 = bindings::SCX_SLICE_DFL as u64;
const SLICE_INF: u64 = bindings::SCX_SLICE_INF as u64;

const RQ_BAL_PENDING: u32 = bindings::SCX_RQ_BAL_PENDING;
const RQ_BAL_KEEP: u32 = bindings::SCX_RQ_BAL_KEEP;
const RQ_IN_WAKEUP: u32 = bindings::SCX_RQ_IN_WAKEUP;
const RQ_IN_BALANCE: u32 = bindings::SCX_RQ_IN_BALANCE;
const RQ_ONLINE: u32 = bindings::SCX_RQ_ONLINE;

const TASK_QUEUED: u32 = bindings::SCX_TASK_QUEUED as u32;
const TASK_RESET_RUNNABLE_AT: u32 = bindings::SCX_TASK_RESET_RUNNABLE_AT as u32;
const TASK_DEQD_FOR_SLEEP: u32 = bindings::SCX_TASK_DEQD_FOR_SLEEP as u32;

/// Whether `cpu` is a CPU a BPF scheduler may name; raises an error if not.
pub(crate) fn ops_cpu_valid(cpu: i32, what: &str) -> bool {
    let ok = cpu >= 0 && (cpu as u32) < crate::rq::nr_cpu_ids() && {
        // SAFETY: `cpu` is in range; the possible mask is a kernel global.
        unsafe {
            bindings::scx_helper_cpumask_test_cpu(cpu, bindings::scx_helper_cpu_possible_mask())
        }
    };
    if !ok {
        crate::scx_error!(
            "invalid CPU {}{}{}",
            cpu,
            if what.is_empty() { "" } else { " " },
            what
        );
    }
    ok
}

fn ext_class() -> *const bindings::sched_class {
    core::ptr::addr_of!(bindings::ext_sched_class)
}

/// Whether `class` is below ext, i.e. the idle class.
fn class_below_ext(class: *const bindings::sched_class) -> bool {
    // SAFETY: both are sched class statics.
    unsafe { bindings::scx_helper_class_above(ext_class(), class) }
}

/// Puts `p` on its rq's runnable list.
fn set_task_runnable(rq: &RqLocked<'_>, p: &Task) {
    if p.scx_flags() & TASK_RESET_RUNNABLE_AT != 0 {
        // SAFETY: we hold the rq lock that protects `runnable_at`.
        unsafe { (*p.entity()).runnable_at = bindings::scx_helper_jiffies() as _ };
        p.clear_scx_flag(TASK_RESET_RUNNABLE_AT);
    }
    // Bypass switching walks this list from the tail and relies on tasks
    // being appended.
    // SAFETY: we hold the rq lock that protects the list; the node is free.
    unsafe { bindings::scx_helper_list_add_tail(p.runnable_node(), rq.runnable_list()) };
}

fn clr_task_runnable(p: &Task, reset_runnable_at: bool) {
    // SAFETY: the caller holds the rq lock that protects the list.
    unsafe { bindings::scx_helper_list_del_init(p.runnable_node()) };
    if reset_runnable_at {
        p.set_scx_flag(TASK_RESET_RUNNABLE_AT);
    }
}

/// Charges the running task for the time since it was last charged.
pub(crate) fn update_curr(rq: &RqLocked<'_>) {
    let curr = rq.curr();
    if !curr.on_ext_class() {
        return;
    }
    // SAFETY: we hold the rq lock, as update_curr_common() requires.
    let delta = unsafe { bindings::update_curr_common(rq.rq().as_ptr()) };
    if delta > 0 && curr.slice() != SLICE_INF {
        curr.set_slice(curr.slice().saturating_sub(delta as u64));
    }
}

/// The DSQ that `dsq_id` names for a dispatch of `p` from `cpu`.
///
/// A bad id is an error of the BPF scheduler; the task then goes to the
/// global DSQ so that it still runs while the scheduler is being disabled.
fn find_dsq_for_dispatch(cpu: i32, dsq_id: u64, p: &Task) -> &'static Dsq {
    if dsq_id == dsq::LOCAL {
        return Rq::of_cpu(cpu).local_dsq();
    }
    if dsq_id & dsq::FLAG_LOCAL_ON == dsq::FLAG_LOCAL_ON {
        let target = (dsq_id & dsq::LOCAL_CPU_MASK) as i32;
        if ops_cpu_valid(target, "in SCX_DSQ_LOCAL_ON dispatch verdict") {
            return Rq::of_cpu(target).local_dsq();
        }
        return dsq::global();
    }
    if dsq_id == dsq::GLOBAL {
        return dsq::global();
    }
    match dsq::find_user(dsq_id) {
        Some(d) => d,
        None => {
            crate::scx_error!(
                "non-existent DSQ {:#x} for {}[{}]",
                dsq_id,
                p.comm(),
                p.pid()
            );
            dsq::global()
        }
    }
}

/// Queues `p` on the global or a user DSQ.
fn dispatch_enqueue_shared(dsq: &Dsq, p: &Task, enq_flags: u64) {
    let mut dsq = dsq;
    let mut q = dsq.lock();
    if dsq.id() == dsq::INVALID {
        // Destroyed after the lookup; see `dsq::UserDsqs`.
        crate::scx_error!("attempting to dispatch to a destroyed dsq");
        drop(q);
        dsq = dsq::global();
        q = dsq.lock();
    }
    let order = queue_order(dsq, &q, enq_flags);
    q.push(p, order);
    // Whoever waits for `p` to leave QUEUEING or DISPATCHING may now find
    // it on this DSQ: release pairs with their acquire.
    if enq_flags & ENQ_CLEAR_OPSS != 0 {
        p.ops_state().set_release(OpssWord::new(OpsState::None, 0));
    }
}

/// Queues `p` on the local DSQ of `rq`, whose lock the caller holds.
fn dispatch_enqueue_local(rq: &RqLocked<'_>, p: &Task, enq_flags: u64) {
    let dsq = rq.rq().local_dsq();
    let q = dsq.local_queue(rq);
    let order = queue_order(dsq, &q, enq_flags);
    q.push(p, order);
    if enq_flags & ENQ_CLEAR_OPSS != 0 {
        p.ops_state().set_release(OpssWord::new(OpsState::None, 0));
    }
    local_dsq_post_enq(rq, p, enq_flags);
}

/// How `enq_flags` order `p` in `dsq`; reports misuse of the DSQ.
fn queue_order(dsq: &Dsq, q: &dsq::DsqQueue<'_>, enq_flags: u64) -> Order {
    if enq_flags & ENQ_DSQ_PRIQ != 0 {
        if dsq.id() & dsq::FLAG_BUILTIN != 0 {
            crate::scx_error!("cannot use vtime ordering for built-in DSQs");
        } else {
            if q.has_fifo_tasks() {
                crate::scx_error!("DSQ ID {:#018x} already had FIFO-enqueued tasks", dsq.id());
            }
            return Order::Vtime;
        }
    } else if q.has_vtime_tasks() {
        crate::scx_error!("DSQ ID {:#018x} already had PRIQ-enqueued tasks", dsq.id());
    }
    if enq_flags & (ENQ_HEAD | ENQ_PREEMPT) != 0 {
        Order::Head
    } else {
        Order::Tail
    }
}

/// After queueing `p` locally: make the CPU notice if it should switch.
fn local_dsq_post_enq(rq: &RqLocked<'_>, p: &Task, enq_flags: u64) {
    // balance() is filling the local DSQ and the pick follows.
    if rq.flags() & RQ_IN_BALANCE != 0 {
        return;
    }
    let curr = rq.curr();
    let mut preempt = false;
    if enq_flags & ENQ_PREEMPT != 0 && !core::ptr::eq(p, curr) && curr.on_ext_class() {
        curr.set_slice(0);
        preempt = true;
    }
    if preempt || class_below_ext(curr.sched_class()) {
        rq.resched_curr();
    }
}

/// Queues `p` on `dsq`, which may be the local DSQ of `rq`.
fn dispatch_enqueue(rq: &RqLocked<'_>, dsq: &Dsq, p: &Task, enq_flags: u64) {
    if core::ptr::eq(dsq, rq.rq().local_dsq()) {
        dispatch_enqueue_local(rq, p, enq_flags);
    } else {
        debug_assert!(!dsq.is_local());
        dispatch_enqueue_shared(dsq, p, enq_flags);
    }
}

/// Takes `p` off whatever DSQ it is on. The rq lock of `p` is held.
fn dispatch_dequeue(rq: &RqLocked<'_>, p: &Task) {
    let dsq = p.dsq();
    if dsq.is_null() {
        // A dispatcher moving `p` straight into a local DSQ may have set
        // `holding_cpu` under DISPATCHING; tell it that it lost `p`.
        p.set_holding_cpu(-1);
        return;
    }
    // SAFETY: a task's DSQ stays valid while the task is on it.
    let dsq = unsafe { Dsq::from_raw(dsq) };
    if dsq.is_local() {
        dsq.local_queue(rq).remove(p);
    } else {
        let q = dsq.lock();
        // If another CPU took `p` off the DSQ to move it (holding_cpu set),
        // it is no longer linked; resetting holding_cpu makes that CPU drop
        // it when it gets to the source rq.
        if p.holding_cpu() < 0 {
            q.remove(p);
        } else {
            p.set_holding_cpu(-1);
        }
    }
    p.set_dsq(core::ptr::null_mut());
}

/// Takes `p` back from the BPF scheduler, waiting out a dispatch in flight.
fn ops_dequeue(p: &Task, deq_flags: u64) {
    // Dequeueing is temporary: keep runnable_at.
    clr_task_runnable(p, false);
    let st = p.ops_state();
    let w = st.read_acquire();
    match w.state() {
        OpsState::None => {}
        OpsState::Queueing => {
            // Only our own enqueue, under this same rq lock, sets QUEUEING.
            crate::warn!("{}[{}] dequeued while QUEUEING", p.comm(), p.pid());
        }
        OpsState::Queued => {
            ops::dequeue(p, deq_flags);
            if st.try_cmpxchg(w, OpssWord::new(OpsState::None, 0)).is_err() {
                // A dispatcher claimed it meanwhile; it finishes without our
                // rq lock and sets NONE.
                st.wait_while(OpssWord::new(OpsState::Dispatching, 0));
            }
        }
        OpsState::Dispatching => st.wait_while(OpssWord::new(OpsState::Dispatching, 0)),
    }
}

/// Records a direct dispatch of `p` from `ops.select_cpu()` or
/// `ops.enqueue()`; carried out when the callback returns.
pub(crate) fn mark_direct_dispatch(p: &Task, dsq_id: u64, enq_flags: u64) {
    let pc = pcpu::this();
    let slot = pc.ddsp.replace(Ddsp::Done);
    match slot {
        Ddsp::Task(t) if core::ptr::eq(t, p.as_ptr()) => {}
        Ddsp::Task(t) => {
            // SAFETY: the slot names the task the running callback was
            // called for, which is live until it returns.
            let t = unsafe { Task::from_raw(t) };
            crate::scx_error!(
                "scheduling for {}[{}] but trying to direct-dispatch {}[{}]",
                t.comm(),
                t.pid(),
                p.comm(),
                p.pid()
            );
            return;
        }
        _ => {
            crate::scx_error!("{}[{}] already direct-dispatched", p.comm(), p.pid());
            return;
        }
    }
    p.set_ddsp_dsq_id(dsq_id);
    p.set_ddsp_enq_flags(enq_flags);
}

/// Carries out the direct dispatch recorded for `p`.
fn direct_dispatch(rq: &RqLocked<'_>, p: &Task, enq_flags: u64) {
    let dsq = find_dsq_for_dispatch(rq.cpu(), p.ddsp_dsq_id(), p);
    let flags = enq_flags | p.ddsp_enq_flags() | ENQ_CLEAR_OPSS;
    p.clear_ddsp();
    if dsq.is_local() && !core::ptr::eq(dsq, rq.rq().local_dsq()) {
        // We are inside the core's enqueue of `p` on this rq and cannot
        // move it to another CPU from here. The C core defers this to a
        // balance callback; that is not implemented yet.
        crate::scx_error!(
            "SCX_DSQ_LOCAL_ON of another CPU from direct dispatch of {}[{}] is not supported yet",
            p.comm(),
            p.pid()
        );
        dispatch_enqueue_shared(dsq::global(), p, flags);
        return;
    }
    dispatch_enqueue(rq, dsq, p, flags);
}

/// Decides where a task that became runnable on `rq` goes.
fn do_enqueue(rq: &RqLocked<'_>, p: &Task, enq_flags: u64, sticky_cpu: i32) {
    enum To {
        Local,
        Global,
    }
    let to = if sticky_cpu == rq.cpu() {
        // Moved here by the core on purpose (see move_remote_task): keep the
        // slice and run it here.
        p.clear_ddsp();
        dispatch_enqueue_local(rq, p, enq_flags);
        return;
    } else if !rq.online() {
        To::Local
    } else if rq.bypassing() {
        To::Global
    } else if p.ddsp_dsq_id() != dsq::INVALID {
        // Chosen by ops.select_cpu() during the wakeup.
        direct_dispatch(rq, p, enq_flags);
        return;
    } else if p.pf_flags() & bindings::PF_EXITING != 0
        && !ops::has_flag(bindings::SCX_OPS_ENQ_EXITING as u64)
    {
        // An exiting task may be beyond the BPF scheduler's reach (its
        // task storage is gone); run it here.
        To::Local
    } else if ops::table().enqueue.is_none() {
        To::Global
    } else {
        // Hand `p` to the BPF scheduler.
        let qseq = next_qseq(p.ops_qseq());
        p.set_ops_qseq(qseq);
        let st = p.ops_state();
        if st.read().state() != OpsState::None {
            crate::warn!(
                "{}[{}] enqueued with ops_state {:?}",
                p.comm(),
                p.pid(),
                st.read()
            );
        }
        st.set(OpssWord::new(OpsState::Queueing, qseq as usize));
        let pc = pcpu::this();
        pc.ddsp.set(Ddsp::Task(p.as_ptr()));
        ops::enqueue(p, enq_flags);
        pc.ddsp.set(Ddsp::Idle);
        if p.ddsp_dsq_id() != dsq::INVALID {
            direct_dispatch(rq, p, enq_flags);
            return;
        }
        // From here on BPF owns `p`; a dispatcher on another CPU may claim
        // it as soon as it sees QUEUED, so publish everything before.
        st.set_release(OpssWord::new(OpsState::Queued, qseq as usize));
        return;
    };
    p.set_slice(SLICE_DFL);
    p.clear_ddsp();
    match to {
        To::Local => dispatch_enqueue_local(rq, p, enq_flags),
        To::Global => dispatch_enqueue_shared(dsq::global(), p, enq_flags),
    }
}

/// `sched_class.enqueue_task`.
pub(crate) fn enqueue_task(rq: &RqLocked<'_>, p: &Task, core_flags: i32) {
    let enq_flags = core_flags as u32 as u64 | rq.extra_enq_flags();
    let mut sticky = p.sticky_cpu();
    if core_flags as u32 & bindings::ENQUEUE_WAKEUP != 0 {
        rq.set_flags(RQ_IN_WAKEUP);
    }
    // A running task put back by a property change stays where it is.
    if core_flags as u32 & bindings::ENQUEUE_RESTORE != 0 && rq.is_curr(p) {
        sticky = rq.cpu();
    }
    p.set_sticky_cpu(-1);
    if !p.scx_queued() {
        set_task_runnable(rq, p);
        p.set_scx_flag(TASK_QUEUED);
        rq.add_nr_running(1);
        // SAFETY: `p` is live.
        if !unsafe { bindings::scx_helper_task_on_rq_migrating(p.as_ptr()) } {
            ops::runnable(p, enq_flags);
        }
        do_enqueue(rq, p, enq_flags, sticky);
    }
    rq.clear_flags(RQ_IN_WAKEUP);
}

/// `sched_class.dequeue_task`.
pub(crate) fn dequeue_task(rq: &RqLocked<'_>, p: &Task, deq_flags: i32) -> bool {
    if !p.scx_queued() {
        return true;
    }
    let deq_flags = deq_flags as u32 as u64;
    ops_dequeue(p, deq_flags);
    // Keep running/stopping nested inside runnable/quiescent: a running
    // task going off the rq stops now rather than at put_prev_task().
    if rq.is_curr(p) {
        update_curr(rq);
        ops::stopping(p, false);
    }
    // SAFETY: `p` is live.
    if !unsafe { bindings::scx_helper_task_on_rq_migrating(p.as_ptr()) } {
        ops::quiescent(p, deq_flags);
    }
    if deq_flags & bindings::SCX_DEQ_SLEEP as u64 != 0 {
        p.set_scx_flag(TASK_DEQD_FOR_SLEEP);
    } else {
        p.clear_scx_flag(TASK_DEQD_FOR_SLEEP);
    }
    p.clear_scx_flag(TASK_QUEUED);
    rq.add_nr_running(-1);
    dispatch_dequeue(rq, p);
    p.clear_ddsp();
    true
}

/// Whether `p` may be moved to the CPU of `rq`.
fn can_run_on(p: &Task, rq: &RqLocked<'_>) -> bool {
    !p.migration_disabled() && p.allowed_on(rq.cpu()) && rq.online()
}

/// Moves `p`, which the caller took off a DSQ or out of BPF custody and
/// whose `holding_cpu` it set, from `src` to the local DSQ of `dst`.
///
/// The caller holds the lock of `src` and has checked that it still holds
/// `p`. Returns with the lock of `dst` held instead.
///
/// # Safety
///
/// The caller must hold the lock of `src` and not of `dst`, and must account
/// for the lock switch.
unsafe fn move_remote_task(p: &Task, enq_flags: u64, src: &Rq, dst: &Rq) {
    // SAFETY: we hold the lock of `src`, which `p` is queued on.
    unsafe {
        bindings::deactivate_task(src.as_ptr(), p.as_ptr(), 0);
        bindings::set_task_cpu(p.as_ptr(), dst.cpu() as u32);
    }
    // enqueue_task() on `dst` takes the hint and puts `p` on its local DSQ.
    p.set_sticky_cpu(dst.cpu());
    // SAFETY: we hold the `src` lock; `p` is off every rq, marked migrating
    // by deactivate_task(), so no one else touches it until activated.
    unsafe {
        bindings::scx_helper_rq_unlock(src.as_ptr());
        bindings::scx_helper_rq_lock(dst.as_ptr());
    }
    // SAFETY: we now hold the `dst` lock.
    let dstl = unsafe { RqLocked::assume(dst.as_ptr()) };
    dstl.set_extra_enq_flags(enq_flags);
    // SAFETY: we hold the `dst` lock; `p` is now a task of `dst`.
    unsafe { bindings::activate_task(dst.as_ptr(), p.as_ptr(), 0) };
    dstl.set_extra_enq_flags(0);
}

/// Moves a task from `dsq` to the local DSQ of `rq`, if there is one `rq`
/// can run. Returns whether it did.
///
/// May drop and retake the lock of `rq`; the caller must recheck anything
/// it learnt under it.
pub(crate) fn consume(rq: &RqLocked<'_>, dsq: &Dsq) -> bool {
    'retry: loop {
        if dsq.nr() == 0 {
            return false;
        }
        let q = dsq.lock();
        let mut cur = q.first();
        while let Some(p) = cur {
            if p.cpu() == rq.cpu() {
                // Already on this rq: just move it between the queues.
                q.remove(p);
                drop(q);
                p.set_dsq(core::ptr::null_mut());
                dispatch_enqueue_local(rq, p, 0);
                return true;
            }
            if can_run_on(p, rq) {
                let src = Rq::of_cpu(p.cpu());
                p.set_holding_cpu(rq.cpu());
                q.remove(p);
                drop(q);
                // While we hold no rq lock, `p` stays allocated: it is queued
                // on `src`, and a dequeue there clears `holding_cpu`, which we
                // check before touching it again.
                // SAFETY: we hold the lock of `rq` and switch to `src`.
                unsafe {
                    bindings::scx_helper_rq_unlock(rq.rq().as_ptr());
                    bindings::scx_helper_rq_lock(src.as_ptr());
                }
                if p.holding_cpu() == rq.cpu() && p.cpu() == src.cpu() {
                    // SAFETY: we hold the `src` lock and still own `p`.
                    unsafe { move_remote_task(p, 0, src, rq.rq()) };
                    return true;
                }
                // Lost `p` to a dequeue; it will be enqueued afresh.
                // SAFETY: we hold `src` and go back to holding `rq`.
                unsafe {
                    bindings::scx_helper_rq_unlock(src.as_ptr());
                    bindings::scx_helper_rq_lock(rq.rq().as_ptr());
                }
                continue 'retry;
            }
            cur = q.next(p);
        }
        return false;
    }
}

/// Moves `p`, claimed from BPF custody (DISPATCHING), to `dst`, a local DSQ.
fn dispatch_to_local_dsq(rq: &RqLocked<'_>, dst: &Dsq, p: &Task, enq_flags: u64) {
    let src = Rq::of_cpu(p.cpu());
    let dst_rq = if core::ptr::eq(dst, rq.rq().local_dsq()) {
        rq.rq()
    } else {
        let off = core::mem::offset_of!(bindings::rq, scx)
            + core::mem::offset_of!(bindings::scx_rq, local_dsq);
        // SAFETY: `dst` is a local DSQ, which is embedded in its rq.
        unsafe { Rq::from_raw((dst.as_ptr() as *mut u8).sub(off) as *mut bindings::rq) }
    };
    if core::ptr::eq(src, rq.rq()) && core::ptr::eq(dst_rq, rq.rq()) {
        dispatch_enqueue_local(rq, p, enq_flags | ENQ_CLEAR_OPSS);
        return;
    }
    // Checked without the lock of `dst_rq`, as the C core does: a CPU going
    // inactive meanwhile is caught by the enqueue on it.
    let dst_ok = !p.migration_disabled() && p.allowed_on(dst_rq.cpu()) && {
        // SAFETY: reading the active mask has no preconditions.
        unsafe { bindings::scx_helper_cpu_active(dst_rq.cpu()) }
    };
    if !dst_ok {
        dispatch_enqueue_shared(dsq::global(), p, enq_flags | ENQ_CLEAR_OPSS);
        return;
    }
    // We must drop DISPATCHING before taking another rq lock: the owner of
    // `src` may be spinning in ops_dequeue() waiting for it, with its lock
    // held. `holding_cpu` then tells us whether `p` was dequeued meanwhile.
    p.set_holding_cpu(rq.cpu());
    p.ops_state().set_release(OpssWord::new(OpsState::None, 0));
    // SAFETY: we hold the lock of `rq`; `p` stays allocated while queued on
    // `src`, and we recheck ownership under the `src` lock.
    unsafe {
        bindings::scx_helper_rq_unlock(rq.rq().as_ptr());
        bindings::scx_helper_rq_lock(src.as_ptr());
    }
    let mut held = src;
    if p.holding_cpu() == rq.cpu() && p.cpu() == src.cpu() {
        if core::ptr::eq(src, dst_rq) {
            p.set_holding_cpu(-1);
            // SAFETY: we hold the `src` lock.
            let srcl = unsafe { RqLocked::assume(src.as_ptr()) };
            dispatch_enqueue_local(&srcl, p, enq_flags);
        } else {
            // SAFETY: we hold the `src` lock and still own `p`.
            unsafe { move_remote_task(p, enq_flags, src, dst_rq) };
            held = dst_rq;
        }
        // SAFETY: we hold the lock of `held`, the rq of `dst`.
        let dl = unsafe { RqLocked::assume(held.as_ptr()) };
        // SAFETY: both are sched class statics.
        if unsafe { bindings::scx_helper_class_above(p.sched_class(), dl.curr().sched_class()) } {
            dl.resched_curr();
        }
    }
    if !core::ptr::eq(held, rq.rq()) {
        // SAFETY: back to holding the lock the caller expects.
        unsafe {
            bindings::scx_helper_rq_unlock(held.as_ptr());
            bindings::scx_helper_rq_lock(rq.rq().as_ptr());
        }
    }
}

/// Carries out one buffered `scx_bpf_dispatch()`.
fn finish_dispatch(rq: &RqLocked<'_>, ent: DspEnt) {
    // SAFETY: the BPF scheduler owns `ent.task` (it was QUEUED when the
    // dispatch was recorded); a queued task stays allocated, and we recheck
    // ownership through ops_state before using anything else.
    let p = unsafe { Task::from_raw(ent.task) };
    let st = p.ops_state();
    loop {
        let w = st.read();
        match w.state() {
            // Dequeued, or another CPU dispatched it first.
            OpsState::None | OpsState::Dispatching => return,
            OpsState::Queued => {
                // Dequeued and re-enqueued since: a new round, not ours.
                if w.qseq() != ent.qseq {
                    return;
                }
                if st
                    .try_cmpxchg(w, OpssWord::new(OpsState::Dispatching, 0))
                    .is_ok()
                {
                    break;
                }
            }
            // ops.enqueue() on another CPU has not returned yet; it will
            // publish QUEUED without needing anything we hold.
            OpsState::Queueing => st.wait_while(w),
        }
    }
    if !p.scx_queued() {
        crate::warn!("dispatching {}[{}] which is not queued", p.comm(), p.pid());
    }
    let dsq = find_dsq_for_dispatch(rq.cpu(), ent.dsq_id, p);
    if dsq.is_local() {
        dispatch_to_local_dsq(rq, dsq, p, ent.enq_flags);
    } else {
        dispatch_enqueue_shared(dsq, p, ent.enq_flags | ENQ_CLEAR_OPSS);
    }
}

/// Carries out the dispatches buffered by `ops.dispatch()` so far.
pub(crate) fn flush_dispatch_buf(rq: &RqLocked<'_>) {
    let pc = pcpu::this();
    // SAFETY: this CPU's buffer, preemption disabled; the entries are copied
    // out before each call, which may re-enter the buffer only through
    // kfuncs that run after we return.
    let n = unsafe { pc.dsp_buf().len() };
    for i in 0..n {
        // SAFETY: as above.
        let ent = unsafe { pc.dsp_buf()[i] };
        finish_dispatch(rq, ent);
    }
    pc.dsp_nr_tasks.set(pc.dsp_nr_tasks.get() + n);
    // SAFETY: as above.
    unsafe { pc.dsp_buf().set_len(0) };
}

/// Fills the local DSQ of `rq` if it can; returns whether there is a task
/// to run (or `prev` to keep).
fn balance_one(rq: &RqLocked<'_>, prev: &Task) -> bool {
    rq.set_flags(RQ_IN_BALANCE);
    rq.clear_flags(RQ_BAL_PENDING | RQ_BAL_KEEP);
    let prev_on_scx = prev.on_ext_class();
    let keep_prev =
        |rq: &RqLocked<'_>| prev_on_scx && prev.scx_queued() && prev.slice() > 0 && !rq.bypassing();
    let found = 'found: {
        if prev_on_scx {
            update_curr(rq);
            // `prev` still has slice left: let it run on.
            if keep_prev(rq) {
                rq.set_flags(RQ_BAL_KEEP);
                break 'found true;
            }
        }
        if rq.rq().local_dsq().nr() > 0 || consume(rq, dsq::global()) {
            break 'found true;
        }
        if ops::table().dispatch.is_none() || rq.bypassing() || rq.flags() & RQ_ONLINE == 0 {
            break 'found false;
        }
        let pc = pcpu::this();
        for _ in 0..bindings::SCX_DSP_MAX_LOOPS {
            pc.dsp_nr_tasks.set(0);
            pc.dsp_rq.set(rq.rq().as_ptr());
            ops::dispatch(rq.cpu(), if prev_on_scx { Some(prev) } else { None });
            flush_dispatch_buf(rq);
            pc.dsp_rq.set(core::ptr::null_mut());
            if keep_prev(rq) {
                rq.set_flags(RQ_BAL_KEEP);
                break 'found true;
            }
            if rq.rq().local_dsq().nr() > 0 || consume(rq, dsq::global()) {
                break 'found true;
            }
            // ops.dispatch() made no progress: stop asking.
            if pc.dsp_nr_tasks.get() == 0 {
                break 'found false;
            }
        }
        // The BPF scheduler keeps dispatching tasks this CPU can't run.
        // Come back later rather than spin here with the rq locked.
        pcpu::this().request_kick(rq.cpu(), pcpu::KICK_RESCHED);
        false
    };
    let found = found || {
        // Nothing else to run: keep `prev` if it is still runnable, unless
        // the scheduler asked to see it again (SCX_OPS_ENQ_LAST).
        let keep = prev_on_scx
            && prev.scx_queued()
            && (!ops::has_flag(bindings::SCX_OPS_ENQ_LAST as u64) || rq.bypassing());
        if keep {
            rq.set_flags(RQ_BAL_KEEP);
        }
        keep
    };
    rq.clear_flags(RQ_IN_BALANCE);
    found
}

/// `sched_class.balance`.
pub(crate) fn balance(rq: &RqLocked<'_>, prev: &Task, rf: *mut bindings::rq_flags) -> i32 {
    // balance_one() may drop the rq lock; the core pinned it.
    // SAFETY: `rf` is the core's pin cookie for the lock we hold.
    unsafe { bindings::scx_helper_rq_unpin(rq.rq().as_ptr(), rf) };
    let ret = balance_one(rq, prev);
    // SAFETY: as above; the lock is held again.
    unsafe { bindings::scx_helper_rq_repin(rq.rq().as_ptr(), rf) };
    ret as i32
}

/// `sched_class.pick_task`.
pub(crate) fn pick_task(rq: &RqLocked<'_>) -> *mut bindings::task_struct {
    let prev = rq.curr();
    let mut keep = rq.flags() & RQ_BAL_KEEP != 0;
    let mut kick_idle = false;
    // A higher class ran balance and skipped ours; decide here.
    if rq.flags() & RQ_BAL_PENDING != 0 {
        if prev.scx_queued() {
            keep = true;
        } else {
            kick_idle = true;
        }
    }
    if keep && !prev.on_ext_class() {
        keep = false;
    }
    if keep {
        if prev.slice() == 0 {
            prev.set_slice(SLICE_DFL);
        }
        return prev.as_ptr();
    }
    let q = rq.rq().local_dsq().local_queue(rq);
    match q.first() {
        Some(p) => {
            if p.slice() == 0 {
                p.set_slice(SLICE_DFL);
            }
            p.as_ptr()
        }
        None => {
            if kick_idle {
                pcpu::this().request_kick(rq.cpu(), pcpu::KICK_IF_IDLE);
            }
            core::ptr::null_mut()
        }
    }
}

/// `sched_class.set_next_task`.
pub(crate) fn set_next_task(rq: &RqLocked<'_>, p: &Task) {
    if p.scx_queued() {
        // Core scheduling may run `p` before it is dispatched.
        ops_dequeue(p, bindings::SCX_DEQ_CORE_SCHED_EXEC as u64);
        dispatch_dequeue(rq, p);
    }
    // SAFETY: we hold the rq lock that protects `se.exec_start`.
    unsafe { (*p.as_ptr()).se.exec_start = rq.clock_task() };
    if p.scx_queued() {
        ops::running(p);
    }
    clr_task_runnable(p, true);
}

/// `sched_class.put_prev_task`.
pub(crate) fn put_prev_task(rq: &RqLocked<'_>, p: &Task, next: Option<&Task>) {
    update_curr(rq);
    if !p.scx_queued() {
        return;
    }
    ops::stopping(p, true);
    set_task_runnable(rq, p);
    // Slice left: a higher class preempted `p`. It runs next.
    if p.slice() > 0 && !rq.bypassing() {
        dispatch_enqueue_local(rq, p, ENQ_HEAD);
        return;
    }
    match next {
        Some(n) if class_below_ext(n.sched_class()) => {
            // The CPU is about to idle: tell the scheduler `p` is the last
            // runnable task here.
            do_enqueue(rq, p, ENQ_LAST, -1);
            // The pick already settled on `next`; a resched of `p` (still
            // curr) would be cleared right after, so flag `next` instead.
            if core::ptr::eq(p.dsq(), rq.rq().local_dsq().as_ptr()) {
                // SAFETY: `next` is live under the rq lock.
                unsafe { bindings::scx_helper_set_tsk_need_resched(n.as_ptr()) };
            }
        }
        _ => do_enqueue(rq, p, 0, -1),
    }
}

/// `sched_class.select_task_rq`: where `p` should wake up.
pub(crate) fn select_task_rq(p: &Task, prev_cpu: i32, wake_flags: i32) -> i32 {
    if wake_flags as u32 & bindings::WF_EXEC != 0 {
        return prev_cpu;
    }
    let bypassing = Rq::of_cpu(p.cpu()).bypassing();
    if ops::table().select_cpu.is_some() && !bypassing {
        let pc = pcpu::this();
        pc.ddsp.set(Ddsp::Task(p.as_ptr()));
        let cpu = ops::select_cpu(p, prev_cpu, wake_flags as u32 as u64).unwrap_or(prev_cpu);
        pc.ddsp.set(Ddsp::Idle);
        if ops_cpu_valid(cpu, "from ops.select_cpu()") {
            cpu
        } else {
            prev_cpu
        }
    } else {
        let (cpu, idle) = idle::select_cpu_dfl(p, prev_cpu, wake_flags as u32 as u64);
        if idle {
            // Found an idle CPU: skip ops.enqueue() and run there.
            p.set_slice(SLICE_DFL);
            p.set_ddsp_dsq_id(dsq::LOCAL);
        }
        cpu
    }
}

/// `sched_class.task_tick`.
pub(crate) fn task_tick(rq: &RqLocked<'_>, curr: &Task) {
    update_curr(rq);
    if rq.bypassing() {
        curr.set_slice(0);
    } else {
        ops::tick(curr);
    }
    if curr.slice() == 0 {
        rq.resched_curr();
    }
}

/// `sched_class.yield_task`.
pub(crate) fn yield_task(rq: &RqLocked<'_>) {
    let p = rq.curr();
    if ops::yield_(p, None).is_none() {
        p.set_slice(0);
    }
}

/// `sched_class.yield_to_task`.
pub(crate) fn yield_to_task(rq: &RqLocked<'_>, to: &Task) -> bool {
    ops::yield_(rq.curr(), Some(to)).unwrap_or(false)
}

/// `sched_class.set_cpus_allowed`.
pub(crate) fn set_cpus_allowed(p: &Task, ctx: *mut bindings::affinity_context) {
    // SAFETY: the core calls us with `p`'s locks held and a valid `ctx`.
    unsafe { bindings::set_cpus_allowed_common(p.as_ptr(), ctx) };
    if !Rq::of_cpu(p.cpu()).bypassing() {
        ops::set_cpumask(p, p.cpus_ptr());
    }
}

/// `sched_class.reweight_task`.
pub(crate) fn reweight_task(p: &Task, weight: u32) {
    p.set_weight(weight);
    ops::set_weight(p, weight);
}

/// Carries out the kicks this CPU owes. Runs from irq_work, without locks.
pub(crate) fn do_kicks() {
    let pc = pcpu::this();
    for (cpu, k) in pc.kicks.iter().enumerate() {
        let what = k.swap(0, core::sync::atomic::Ordering::Relaxed);
        if what == 0 {
            continue;
        }
        // irq_work runs with no rq lock held.
        let l = Rq::of_cpu(cpu as i32).lock_irqsave();
        let curr = l.curr();
        let idle_only = what & (pcpu::KICK_RESCHED | pcpu::KICK_PREEMPT) == 0;
        // SAFETY: reading the online mask.
        let online = unsafe { bindings::scx_helper_cpu_online(cpu as i32) };
        if online && (!idle_only || curr.is_idle()) {
            if what & pcpu::KICK_PREEMPT != 0 && curr.on_ext_class() {
                curr.set_slice(0);
            }
            l.resched_curr();
        }
    }
}

/// Re-queues `p`, switching it to `new_class` if given: for enable and
/// disable, which hold `p`'s `pi_lock` and rq lock (`TaskRqGuard`), and for
/// bypass, which holds only the rq lock and keeps the class.
///
/// The rq lock is what the dequeue/enqueue pair needs. The `pi_lock` is
/// there for the class change: `__setscheduler_class()` and the class
/// checks read the policy and priority, which only change under both
/// locks.
pub(crate) fn requeue_task(
    rq: &RqLocked<'_>,
    p: &Task,
    new_class: Option<*const bindings::sched_class>,
) {
    // SAFETY: zeroed is a valid initial value; the core fills it in.
    let mut ctx: bindings::sched_enq_and_set_ctx = unsafe { core::mem::zeroed() };
    let old_class = p.sched_class();
    let flags = (bindings::DEQUEUE_SAVE | bindings::DEQUEUE_MOVE) as i32;
    // SAFETY: we hold `p`'s locks, as these functions require.
    unsafe {
        if let Some(new) = new_class {
            if new != old_class && (*p.as_ptr()).se.sched_delayed != 0 {
                // A fair task whose dequeue was delayed must really leave
                // before it changes class.
                bindings::dequeue_task(
                    rq.rq().as_ptr(),
                    p.as_ptr(),
                    (bindings::DEQUEUE_SLEEP | bindings::DEQUEUE_DELAYED) as i32,
                );
            }
        }
        bindings::sched_deq_and_put_task(p.as_ptr(), flags, &mut ctx);
        if let Some(new) = new_class {
            p.set_slice(SLICE_DFL);
            (*p.as_ptr()).sched_class = new;
            bindings::check_class_changing(rq.rq().as_ptr(), p.as_ptr(), old_class);
        }
        bindings::sched_enq_and_set_task(&mut ctx);
        if new_class.is_some() {
            bindings::check_class_changed(
                rq.rq().as_ptr(),
                p.as_ptr(),
                old_class,
                (*p.as_ptr()).prio,
            );
        }
    }
}

/// Requeues every runnable task of `rq`, so that each goes through the
/// enqueue path again: used when bypass mode starts or ends.
pub(crate) fn requeue_runnable(rq: &RqLocked<'_>) {
    let head = rq.runnable_list();
    // Walk from the tail: requeueing appends, so already visited tasks
    // collect behind the cursor.
    // SAFETY: we hold the rq lock that protects the list; `prev` is read
    // before `node` is requeued.
    unsafe {
        let mut node = (*head).prev;
        while node != head {
            let prev = (*node).prev;
            let off = core::mem::offset_of!(bindings::task_struct, scx)
                + core::mem::offset_of!(bindings::sched_ext_entity, runnable_node);
            let p = Task::from_raw((node as *mut u8).sub(off) as *const bindings::task_struct);
            requeue_task(rq, p, None);
            node = prev;
        }
    }
}

/// Marks `rq` online or offline for sched_ext.
pub(crate) fn set_online(rq: &RqLocked<'_>, online: bool) {
    if online {
        rq.set_flags(RQ_ONLINE);
    } else {
        rq.clear_flags(RQ_ONLINE);
    }
}
