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
use crate::dsq::{self, Dsq, DsqIter, Order};
use crate::idle;
use crate::ops::{self, Ops};
use crate::ops_state::{next_qseq, OpsState, OpssWord};
use crate::pcpu::{self, Ddsp, DspEnt, NoPreempt, PreemptGuard};
use crate::rq::{Cpu, KickMask, Rq, RqLocked};
#[cfg(CONFIG_SCHED_CORE)]
use crate::task::TaskRef;
use crate::task::{Claimed, Task, TaskOwner, TaskScx};
use core::fmt::Write;
use core::sync::atomic::{AtomicBool, Ordering};

const ENQ_HEAD: u64 = bindings::SCX_ENQ_HEAD as u64;
const ENQ_PREEMPT: u64 = bindings::SCX_ENQ_PREEMPT as u64;
const ENQ_LAST: u64 = bindings::SCX_ENQ_LAST as u64;
const ENQ_CLEAR_OPSS: u64 = bindings::SCX_ENQ_CLEAR_OPSS as u64;
const ENQ_DSQ_PRIQ: u64 = bindings::SCX_ENQ_DSQ_PRIQ as u64;
const ENQ_REENQ: u64 = bindings::SCX_ENQ_REENQ as u64;
/// Enqueue flags only the core may set.
pub(crate) const ENQ_INTERNAL_MASK: u64 = bindings::__SCX_ENQ_INTERNAL_MASK as u64;

const SLICE_DFL: u64 = bindings::SCX_SLICE_DFL as u64;
const SLICE_INF: u64 = bindings::SCX_SLICE_INF as u64;

const RQ_BAL_PENDING: u32 = bindings::SCX_RQ_BAL_PENDING;
const RQ_BAL_KEEP: u32 = bindings::SCX_RQ_BAL_KEEP;
const RQ_IN_WAKEUP: u32 = bindings::SCX_RQ_IN_WAKEUP;
const RQ_IN_BALANCE: u32 = bindings::SCX_RQ_IN_BALANCE;
const RQ_ONLINE: u32 = bindings::SCX_RQ_ONLINE;
const RQ_CAN_STOP_TICK: u32 = bindings::SCX_RQ_CAN_STOP_TICK;

const TASK_QUEUED: u32 = bindings::SCX_TASK_QUEUED as u32;
const TASK_RESET_RUNNABLE_AT: u32 = bindings::SCX_TASK_RESET_RUNNABLE_AT as u32;
const TASK_DEQD_FOR_SLEEP: u32 = bindings::SCX_TASK_DEQD_FOR_SLEEP as u32;

/// `cpu` as a CPU, if a BPF scheduler may name it; raises an error if not.
pub(crate) fn ops_cpu_valid(cpu: i32, what: &str) -> Option<Cpu> {
    let valid = Cpu::new(cpu);
    if valid.is_none() {
        crate::scx_error!(
            "invalid CPU {}{}{}",
            cpu,
            if what.is_empty() { "" } else { " " },
            what
        );
    }
    valid
}

fn ext_class() -> *const bindings::sched_class {
    core::ptr::addr_of!(bindings::ext_sched_class)
}

/// Whether `class` is below ext, i.e. the idle class.
fn class_below_ext(class: *const bindings::sched_class) -> bool {
    class_above(ext_class(), class)
}

/// Whether class `a` ranks above class `b`: `sched_class_above()`. The
/// linker script lays the classes out from the highest to the lowest.
fn class_above(a: *const bindings::sched_class, b: *const bindings::sched_class) -> bool {
    a < b
}

/// Puts `p` on its rq's runnable list.
fn set_task_runnable(rq: &RqLocked, p: TaskScx<'_>) {
    if p.scx_flags() & TASK_RESET_RUNNABLE_AT != 0 {
        p.set_runnable_at(crate::watchdog::jiffies());
        p.clear_scx_flag(TASK_RESET_RUNNABLE_AT);
    }
    // Bypass switching walks this list from the tail and relies on tasks
    // being appended.
    // SAFETY: we hold the rq lock that protects the list; the node is free.
    unsafe { crate::list::add_tail(p.runnable_node(), rq.runnable_list()) };
}

fn clr_task_runnable(p: TaskScx<'_>, reset_runnable_at: bool) {
    // SAFETY: `p` proves we hold the rq lock that protects the list.
    unsafe { crate::list::del_init(p.runnable_node()) };
    if reset_runnable_at {
        p.set_scx_flag(TASK_RESET_RUNNABLE_AT);
    }
}

/// Stamps `p` with its place in the core-sched order, `p->scx.core_sched_at`:
/// when it becomes runnable and whenever its turn on the CPU ends (its slice
/// runs out or is refilled). Without `ops.core_sched_before()`, the stamps
/// order the tasks of a core FIFO, as the default scheduling does
/// ([`prio_less`]); otherwise [`touch_core_sched_dispatch`] makes them
/// the dispatch order within each local DSQ. Spurious updates are harmless.
fn touch_core_sched<'t>(rq: &RqLocked, p: &impl TaskOwner<'t>) {
    #[cfg(CONFIG_SCHED_CORE)]
    // Cheaper than sched_core_enabled(), and a stamp too many does no
    // harm.
    if !crate::rq::sched_core_disabled() {
        // SAFETY: the clock of the CPU whose rq lock we hold.
        p.set_core_sched_at(unsafe { bindings::scx_helper_sched_clock_cpu(rq.cpu().id()) });
    }
    #[cfg(not(CONFIG_SCHED_CORE))]
    let _ = (rq, p);
}

/// [`touch_core_sched`] for a dispatch, if the scheduler orders the core
/// itself: the stamps then keep each local DSQ FIFO in [`prio_less`].
fn touch_core_sched_dispatch<'t>(rq: &RqLocked, p: &impl TaskOwner<'t>) {
    #[cfg(CONFIG_SCHED_CORE)]
    // The table is only read when core scheduling is on.
    if !crate::rq::sched_core_disabled()
        && ops::get(rq.no_preempt())
            .table()
            .core_sched_before
            .is_some()
    {
        touch_core_sched(rq, p);
    }
    #[cfg(not(CONFIG_SCHED_CORE))]
    let _ = (rq, p);
}

/// `scx_prio_less()`: whether `a` should run after `b`, two tasks of the SMT
/// siblings of one core whose lock `rq` holds, for core scheduling.
#[cfg(CONFIG_SCHED_CORE)]
pub(crate) fn prio_less(rq: &RqLocked, a: &Task, b: &Task) -> bool {
    if !rq.bypassing() {
        // ops.core_sched_before() answers the opposite question: whether
        // its first argument runs first.
        if let Some(b_first) = ops::get(rq.no_preempt()).core_sched_before(b, a) {
            return b_first;
        }
    }
    // time_after64(): the later stamp runs later.
    (a.core_sched_at().wrapping_sub(b.core_sched_at()) as i64) > 0
}

/// Charges the running task for the time since it was last charged.
pub(crate) fn update_curr(rq: &RqLocked) {
    let curr = rq.curr_scx();
    if !curr.on_ext_class() {
        return;
    }
    // SAFETY: we hold the rq lock, as update_curr_common() requires.
    let delta = unsafe { bindings::update_curr_common(rq.rq().as_ptr()) };
    if delta > 0 && curr.slice() != SLICE_INF {
        curr.set_slice(curr.slice().saturating_sub(delta as u64));
        if curr.slice() == 0 {
            touch_core_sched(rq, &curr);
        }
    }
}

/// Queues `p` on the global or a user DSQ.
fn dispatch_enqueue_shared<'t>(dsq: &Dsq, p: impl TaskOwner<'t>, enq_flags: u64) {
    let mut dsq = dsq;
    let mut q = dsq.lock();
    if dsq.id() == dsq::INVALID {
        // Destroyed after the lookup; see `dsq::UserDsqs`.
        crate::scx_error!("attempting to dispatch to a destroyed dsq");
        drop(q);
        dsq = dsq::global_for(&p);
        q = dsq.lock();
    }
    let order = queue_order(dsq, &q, enq_flags);
    // Whoever waits for `p` to leave QUEUEING or DISPATCHING may now find
    // it on this DSQ: `push()` releases it under the lock.
    q.push(p, order, enq_flags);
}

/// Queues `p` on the local DSQ of `rq`, whose lock the caller holds.
#[inline(always)]
fn dispatch_enqueue_local<'t>(rq: &RqLocked, p: impl TaskOwner<'t>, enq_flags: u64) {
    let dsq = rq.rq().local_dsq();
    let q = rq.local_queue();
    let order = queue_order(dsq, &q, enq_flags);
    let task = p.task();
    q.push(p, order, enq_flags);
    local_dsq_post_enq(rq, task, enq_flags);
}

/// How `enq_flags` order `p` in `dsq`; reports misuse of the DSQ.
///
/// On every enqueue, so inline, with the reports out of line.
#[inline(always)]
fn queue_order(dsq: &Dsq, q: &dsq::DsqQueue<'_>, enq_flags: u64) -> Order {
    if enq_flags & ENQ_DSQ_PRIQ != 0 {
        if dsq.id() & dsq::FLAG_BUILTIN != 0 {
            bad_order(dsq, OrderMisuse::VtimeOnBuiltin);
        } else {
            if q.has_fifo_tasks() {
                bad_order(dsq, OrderMisuse::VtimeAfterFifo);
            }
            return Order::Vtime;
        }
    } else if q.has_vtime_tasks() {
        bad_order(dsq, OrderMisuse::FifoAfterVtime);
    }
    if enq_flags & (ENQ_HEAD | ENQ_PREEMPT) != 0 {
        Order::Head
    } else {
        Order::Tail
    }
}

/// How [`queue_order`] found a DSQ misused.
enum OrderMisuse {
    VtimeOnBuiltin,
    VtimeAfterFifo,
    FifoAfterVtime,
}

/// Reports the misuse of `dsq` that [`queue_order`] found.
#[cold]
#[inline(never)]
fn bad_order(dsq: &Dsq, why: OrderMisuse) {
    match why {
        OrderMisuse::VtimeOnBuiltin => {
            crate::scx_error!("cannot use vtime ordering for built-in DSQs")
        }
        OrderMisuse::VtimeAfterFifo => {
            crate::scx_error!("DSQ ID {:#018x} already had FIFO-enqueued tasks", dsq.id())
        }
        OrderMisuse::FifoAfterVtime => {
            crate::scx_error!("DSQ ID {:#018x} already had PRIQ-enqueued tasks", dsq.id())
        }
    }
}

/// After queueing `p` locally: make the CPU notice if it should switch.
fn local_dsq_post_enq(rq: &RqLocked, p: &Task, enq_flags: u64) {
    // balance() is filling the local DSQ and the pick follows.
    if rq.flags() & RQ_IN_BALANCE != 0 {
        return;
    }
    let curr = rq.curr_scx();
    let mut preempt = false;
    if enq_flags & ENQ_PREEMPT != 0 && !core::ptr::eq(p, curr.task()) && curr.on_ext_class() {
        curr.set_slice(0);
        preempt = true;
    }
    if preempt || class_below_ext(curr.sched_class()) {
        rq.resched_curr();
    }
}

/// Takes `p` off whatever DSQ it is on. The rq lock of `p` is held.
#[inline(always)]
fn dispatch_dequeue(rq: &RqLocked, p: TaskScx<'_>) {
    let dsq = p.dsq();
    if dsq.is_null() {
        // A direct dispatch to another CPU waiting for `run_deferred()`:
        // leaving the rq cancels it.
        // SAFETY: `p` is on no DSQ, and we hold its rq lock.
        unsafe { dsq::cancel_deferred_local(&p) };
        // A dispatcher moving `p` straight into a local DSQ may have set
        // `holding_cpu` under DISPATCHING; tell it that it lost `p`.
        p.set_holding_cpu(-1);
        return;
    }
    // SAFETY: a task's DSQ stays valid while the task is on it.
    let dsq = unsafe { Dsq::from_raw(dsq) };
    if dsq.is_local() {
        // SAFETY: `p->scx.dsq` says `p` is on this queue; it changes only
        // under the lock we hold.
        unsafe { rq.local_queue().remove(&p) };
    } else {
        let q = dsq.lock();
        // If another CPU took `p` off the DSQ to move it (holding_cpu set),
        // it is no longer linked; resetting holding_cpu makes that CPU drop
        // it when it gets to the source rq.
        if p.holding_cpu() < 0 {
            // SAFETY: `p->scx.dsq` says `p` is on this queue, and no mover
            // took it off (`holding_cpu` < 0).
            unsafe { q.remove(&p) };
        } else {
            p.set_holding_cpu(-1);
        }
    }
    p.set_dsq(core::ptr::null_mut());
}

/// Takes `p` back from the BPF scheduler, waiting out a dispatch in flight.
#[inline(always)]
fn ops_dequeue(o: Ops<'_>, p: TaskScx<'_>, deq_flags: u64) {
    // Dequeueing is temporary: keep runnable_at.
    clr_task_runnable(p, false);
    let st = p.ops_state();
    let w = st.read_acquire();
    match w.state() {
        OpsState::None => {}
        OpsState::Queueing => {
            // Only an enqueue under this same rq lock sets QUEUEING, and it
            // leaves it before it unlocks: the word is corrupt, and nothing
            // that follows from it could be trusted.
            panic!(
                "sched_ext: {}[{}] dequeued while QUEUEING",
                p.comm(),
                p.pid()
            );
        }
        OpsState::Queued => {
            o.dequeue(&p, deq_flags);
            if st.try_cmpxchg(w, OpssWord::new(OpsState::None, 0)).is_err() {
                // A dispatcher claimed it meanwhile; it finishes without our
                // rq lock and sets NONE.
                st.wait_while(OpssWord::new(OpsState::Dispatching, 0));
            }
        }
        OpsState::Dispatching => st.wait_while(OpssWord::new(OpsState::Dispatching, 0)),
    }
    // Whoever held DISPATCHING ends it with NONE; QUEUEING or QUEUED now,
    // under our rq lock, would mean a second owner.
    let w = st.read();
    if w.state() != OpsState::None {
        panic!(
            "sched_ext: {}[{}] ops_state {:?} after its dequeue",
            p.comm(),
            p.pid(),
            w
        );
    }
}

/// Records a direct dispatch of `p` from `ops.select_cpu()` or
/// `ops.enqueue()`; carried out when the callback returns.
#[inline(always)]
pub(crate) fn mark_direct_dispatch(np: NoPreempt<'_>, p: &Task, dsq_id: u64, enq_flags: u64) {
    let pc = pcpu::this(np);
    let slot = pc.ddsp.replace(Ddsp::Done);
    let p = match slot {
        Ddsp::Task(t) if core::ptr::eq(t, p.as_ptr()) => {
            // SAFETY: the slot names `p`: we run inside ops.select_cpu() or
            // ops.enqueue() for `p`, whose caller holds `p->pi_lock` with
            // `p` not queued, or `p`'s rq lock; neither returns before we do.
            unsafe { TaskScx::assume(p) }
        }
        slot => return bad_direct_dispatch(p, slot),
    };
    p.set_ddsp_dsq_id(dsq_id);
    p.set_ddsp_enq_flags(enq_flags);
}

/// Reports a direct dispatch that [`mark_direct_dispatch`] refused: of a
/// task other than the one the callback runs for, or a second one.
#[cold]
#[inline(never)]
fn bad_direct_dispatch(p: &Task, slot: Ddsp) {
    match slot {
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
        }
        _ => crate::scx_error!("{}[{}] already direct-dispatched", p.comm(), p.pid()),
    }
}

/// Carries out the direct dispatch recorded for `p`.
fn direct_dispatch(rq: &RqLocked, p: TaskScx<'_>, enq_flags: u64) {
    touch_core_sched_dispatch(rq, &p);
    let target = dispatch_target(rq.no_preempt(), rq.rq(), p.ddsp_dsq_id(), &p);
    match target {
        Target::Local(dst) if core::ptr::eq(dst, rq.rq()) => {
            let flags = enq_flags | p.ddsp_enq_flags() | ENQ_CLEAR_OPSS;
            p.clear_ddsp();
            dispatch_enqueue_local(rq, p, flags);
        }
        Target::Local(_) => {
            // We are inside the core's enqueue of `p` on this rq and cannot
            // drop its lock to move `p` to another CPU: park it until we can
            // (`run_deferred()`), with the verdict kept in `p->scx.ddsp_*`.
            // It leaves BPF custody now, as it would on any DSQ.
            p.set_ddsp_enq_flags(p.ddsp_enq_flags() | enq_flags);
            let st = p.ops_state();
            match st.read().state() {
                OpsState::None => {}
                // From ops.enqueue(): hand it back here.
                OpsState::Queueing => st.set_release(OpssWord::new(OpsState::None, 0)),
                s => {
                    crate::warn!(
                        "{}[{}] has invalid ops state {:?} in direct_dispatch()",
                        p.comm(),
                        p.pid(),
                        s
                    );
                    st.set_release(OpssWord::new(OpsState::None, 0));
                }
            }
            // SAFETY: `p` is being enqueued on this rq, whose lock we hold,
            // and is on no DSQ: a direct dispatch is its first.
            unsafe { rq.defer_local(&p) };
            schedule_deferred(rq);
        }
        Target::Shared(dsq) => {
            let flags = enq_flags | p.ddsp_enq_flags() | ENQ_CLEAR_OPSS;
            p.clear_ddsp();
            dispatch_enqueue_shared(dsq, p, flags);
        }
    }
}

/// Arranges for `run_deferred()` to run on `rq` as soon as its lock may be
/// dropped: after the wakeup in progress (`task_woken`), from a balance
/// callback before `__schedule()` releases the lock, or else from an
/// irq_work, which runs when interrupts are enabled again.
fn schedule_deferred(rq: &RqLocked) {
    if rq.flags() & RQ_IN_WAKEUP != 0 {
        return;
    }
    if rq.flags() & RQ_IN_BALANCE != 0 {
        // SAFETY: we hold the rq lock; the callback is ours, and runs with
        // the lock held.
        unsafe {
            bindings::scx_helper_queue_deferred_bal_cb(rq.rq().as_ptr(), Some(deferred_bal_cb))
        };
        return;
    }
    // SAFETY: initialised at boot; safe to queue from any context.
    unsafe {
        bindings::irq_work_queue(core::ptr::addr_of_mut!(
            (*rq.rq().as_ptr()).scx.deferred_irq_work
        ))
    };
}

/// The balance callback of `schedule_deferred()`.
///
/// # Safety
///
/// Called by the core with `rq` locked and preemption disabled.
unsafe extern "C" fn deferred_bal_cb(rq: *mut bindings::rq) {
    // SAFETY: the core runs balance callbacks with the rq locked, and so
    // with preemption off, until we return.
    let (np, mut rq) = unsafe { (NoPreempt::assume(), RqLocked::assume(rq)) };
    run_deferred(np, &mut rq);
}

/// The irq_work of `schedule_deferred()`, `rq->scx.deferred_irq_work`.
///
/// # Safety
///
/// `work` is the `deferred_irq_work` of an rq, as `init_early()` set it up.
pub(crate) unsafe extern "C" fn deferred_irq_workfn(work: *mut bindings::irq_work) {
    let off = core::mem::offset_of!(bindings::rq, scx)
        + core::mem::offset_of!(bindings::scx_rq, deferred_irq_work);
    // SAFETY: by the caller's guarantee the work is embedded in an rq,
    // which lives forever.
    let rq = unsafe { Rq::from_raw((work as *mut u8).sub(off) as *mut bindings::rq) };
    let g = PreemptGuard::new();
    let mut l = rq.lock_irqsave();
    run_deferred(g.no_preempt(), &mut l);
}

/// `sched_class.task_woken`: the wakeup is over, so the rq lock may be
/// dropped for what it deferred.
pub(crate) fn task_woken(np: NoPreempt<'_>, rq: &mut RqLocked) {
    run_deferred(np, rq);
}

/// Carries out the direct dispatches to other CPUs' local DSQs that
/// `direct_dispatch()` parked on `rq`. May drop and retake the lock of
/// `rq`, hence `&mut`; returns with it held.
fn run_deferred(np: NoPreempt<'_>, rq: &mut RqLocked) {
    let home = rq.rq();
    // One at a time from the head: a move drops the lock.
    // SAFETY: `p` is used only in this iteration, while it is queued on
    // the rq we hold, or on the one `move_remote_task()` moved it to and
    // locked, until we switch back.
    while let Some(p) = unsafe { rq.pop_deferred_local() } {
        let ps = rq.task(p);
        let (dsq_id, flags) = (ps.ddsp_dsq_id(), ps.ddsp_enq_flags());
        ps.clear_ddsp();
        match dispatch_target(np, home, dsq_id, &ps) {
            Target::Local(dst) if core::ptr::eq(dst, home) => dispatch_enqueue_local(rq, ps, flags),
            Target::Local(dst) if !remote_ok(&ps, dst) => {
                dispatch_enqueue_shared(dsq::global_for(&ps), ps, flags)
            }
            Target::Local(dst) => {
                move_remote_task(rq, p, flags, dst);
                resched_if_above(rq, p);
                rq.switch(home);
            }
            Target::Shared(dsq) => {
                crate::warn!("deferred direct dispatch to a shared DSQ");
                dispatch_enqueue_shared(dsq, ps, flags);
            }
        }
    }
}

/// Decides where a task that became runnable on `rq` goes.
fn do_enqueue(rq: &RqLocked, p: TaskScx<'_>, enq_flags: u64, sticky_cpu: i32) {
    let o = ops::get(rq.no_preempt());
    enum To {
        Local,
        Global,
    }
    let to = if sticky_cpu == rq.cpu().id() {
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
        && !o.has_flag(bindings::SCX_OPS_ENQ_EXITING as u64)
    {
        // An exiting task may be beyond the BPF scheduler's reach (its
        // task storage is gone); run it here.
        To::Local
    } else if o.table().enqueue.is_none() {
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
        let pc = pcpu::this(rq.no_preempt());
        pc.ddsp.set(Ddsp::Task(p.as_ptr()));
        o.enqueue(&p, enq_flags);
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
    // A refilled slice ends the old one for the core-sched order too:
    // otherwise the longer `p` ran, the higher it would rank.
    touch_core_sched(rq, &p);
    p.set_slice(SLICE_DFL);
    p.clear_ddsp();
    match to {
        To::Local => dispatch_enqueue_local(rq, p, enq_flags),
        To::Global => dispatch_enqueue_shared(dsq::global_for(&p), p, enq_flags),
    }
}

/// `sched_class.enqueue_task`.
pub(crate) fn enqueue_task(rq: &RqLocked, p: &Task, core_flags: i32) {
    let p = rq.task(p);
    let o = ops::get(rq.no_preempt());
    let enq_flags = core_flags as u32 as u64 | rq.extra_enq_flags();
    let mut sticky = p.sticky_cpu();
    if core_flags as u32 & bindings::ENQUEUE_WAKEUP != 0 {
        rq.set_flags(RQ_IN_WAKEUP);
    }
    // A running task put back by a property change stays where it is.
    if core_flags as u32 & bindings::ENQUEUE_RESTORE != 0 && rq.is_curr(&p) {
        sticky = rq.cpu().id();
    }
    p.set_sticky_cpu(-1);
    if !p.scx_queued() {
        set_task_runnable(rq, p);
        p.set_scx_flag(TASK_QUEUED);
        rq.add_nr_running(1);
        if !p.on_rq_migrating() {
            o.runnable(&p, enq_flags);
        }
        if enq_flags & bindings::SCX_ENQ_WAKEUP as u64 != 0 {
            touch_core_sched(rq, &p);
        }
        do_enqueue(rq, p, enq_flags, sticky);
    }
    rq.clear_flags(RQ_IN_WAKEUP);
}

/// `sched_class.dequeue_task`.
pub(crate) fn dequeue_task(rq: &RqLocked, p: &Task, deq_flags: i32) -> bool {
    let p = rq.task(p);
    let o = ops::get(rq.no_preempt());
    if !p.scx_queued() {
        return true;
    }
    let deq_flags = deq_flags as u32 as u64;
    ops_dequeue(o, p, deq_flags);
    // Keep running/stopping nested inside runnable/quiescent: a running
    // task going off the rq stops now rather than at put_prev_task(). The
    // slice is brought up to date for ops.stopping() only, as in the C
    // core: without it, the update_curr() of balance() or put_prev_task(),
    // which follow, is the first to read the slice.
    if o.table().stopping.is_some() && rq.is_curr(&p) {
        update_curr(rq);
        o.stopping(&p, false);
    }
    if !p.on_rq_migrating() {
        o.quiescent(&p, deq_flags);
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
fn can_run_on(p: &Task, rq: &RqLocked) -> bool {
    !p.migration_disabled() && p.allowed_on(rq.cpu()) && rq.online()
}

/// Moves `p`, a task queued on the rq `rq` holds, to the local DSQ of
/// `dst`, another CPU's. The caller owns `p` there: it took `p` off a DSQ
/// or out of BPF custody with `holding_cpu` set and found it unchanged
/// once it held this lock, or it found `p` on a DSQ or its deferred list
/// under this lock. Returns with `rq` holding the lock of `dst`.
fn move_remote_task(rq: &mut RqLocked, p: &Task, enq_flags: u64, dst: &'static Rq) {
    // enqueue_task() on `dst` takes the hint and puts `p` on its local DSQ.
    // Set before set_task_cpu(), while `p` is still on the rq we hold (the
    // C core sets it after; nothing in between reads it).
    rq.task(p).set_sticky_cpu(dst.cpu().id());
    // SAFETY: we hold the lock of the rq `p` is queued on.
    unsafe {
        bindings::deactivate_task(rq.rq().as_ptr(), p.as_ptr(), 0);
        bindings::set_task_cpu(p.as_ptr(), dst.cpu().id() as u32);
    }
    // `p` is off every rq and marked migrating by deactivate_task(), so no
    // one else touches it until we activate it.
    rq.switch(dst);
    rq.set_extra_enq_flags(enq_flags);
    // SAFETY: we hold the `dst` lock; `p` is now a task of `dst`.
    unsafe { bindings::activate_task(dst.as_ptr(), p.as_ptr(), 0) };
    rq.set_extra_enq_flags(0);
}

/// Moves a task from `dsq` to the local DSQ of `rq`, if there is one `rq`
/// can run. Returns whether it did.
///
/// May drop and retake the lock of `rq`, which `&mut` makes the caller
/// account for; returns with the same rq locked.
pub(crate) fn consume(rq: &mut RqLocked, dsq: &Dsq) -> bool {
    let home = rq.rq();
    'retry: loop {
        if dsq.nr() == 0 {
            return false;
        }
        let q = dsq.lock();
        let mut cur = q.first();
        while let Some(p) = cur {
            if p.cpu() == home.cpu() {
                // Already on this rq: just move it between the queues.
                // SAFETY: `p` came from this queue, under its lock.
                unsafe { q.remove(p) };
                drop(q);
                let p = rq.task(p);
                p.set_dsq(core::ptr::null_mut());
                dispatch_enqueue_local(rq, p, 0);
                return true;
            }
            if can_run_on(p, rq) {
                let src = Rq::of_cpu(p.cpu());
                // The claim names the CPU running this code, not `home`: under
                // core scheduling a CPU also balances its SMT siblings, and a
                // sibling may claim for itself while we have dropped the
                // shared lock below.
                let me = Cpu::current(rq.no_preempt());
                // SAFETY: as above.
                unsafe { q.remove_for_move(p, me) };
                drop(q);
                // While we hold no rq lock, `p` stays allocated: it is queued
                // on `src`, and a dequeue there clears `holding_cpu`, which we
                // check before touching it again.
                rq.switch(src);
                // Still ours only if no dequeue reset `holding_cpu`; then `p`
                // is still queued on `src`, whose lock we hold, and cannot
                // have moved. Otherwise a waker may be migrating it right
                // now, so its CPU is not ours to check.
                if p.holding_cpu_racy() == me.id() && p.cpu() == src.cpu() {
                    move_remote_task(rq, p, 0, home);
                    return true;
                }
                // Lost `p` to a dequeue; it will be enqueued afresh.
                rq.switch(home);
                continue 'retry;
            }
            cur = q.next(p);
        }
        return false;
    }
}

/// Moves `p`, claimed from BPF custody (DISPATCHING), to the local DSQ of
/// `dst_rq`. Returns with the same rq locked as on entry.
fn dispatch_to_local_dsq(rq: &mut RqLocked, dst_rq: &'static Rq, p: Claimed<'_>, enq_flags: u64) {
    let home = rq.rq();
    let src = Rq::of_cpu(p.cpu());
    if core::ptr::eq(src, home) && core::ptr::eq(dst_rq, home) {
        dispatch_enqueue_local(rq, p, enq_flags | ENQ_CLEAR_OPSS);
        return;
    }
    // Checked without the lock of `dst_rq`, as the C core does: a CPU going
    // offline meanwhile is caught by the enqueue on it. `p` cannot move or
    // change its affinity while it is DISPATCHING.
    if !core::ptr::eq(src, dst_rq) && !remote_ok(&p, dst_rq) {
        dispatch_enqueue_shared(dsq::global_for(&p), p, enq_flags | ENQ_CLEAR_OPSS);
        return;
    }
    // We must drop DISPATCHING before taking another rq lock: the owner of
    // `src` may be spinning in ops_dequeue() waiting for it, with its lock
    // held. `holding_cpu` then tells us whether `p` was dequeued meanwhile.
    // The claim names the running CPU, as in consume().
    let task = p.task();
    let me = Cpu::current(rq.no_preempt());
    p.set_holding_cpu(me);
    p.release();
    rq.switch(src);
    // As in consume(): `holding_cpu` first, which tells whether `task`
    // is still queued on `src` and so on the rq we now hold.
    if task.holding_cpu_racy() == me.id() && task.cpu() == src.cpu() {
        if core::ptr::eq(src, dst_rq) {
            let p = rq.task(task);
            p.set_holding_cpu(-1);
            dispatch_enqueue_local(rq, p, enq_flags);
        } else {
            move_remote_task(rq, task, enq_flags, dst_rq);
        }
        // `rq` now holds the lock of `dst_rq`.
        resched_if_above(rq, task);
    }
    rq.switch(home);
}

/// `scx_bpf_dispatch_from_dsq()` and friends: moves `p`, which the
/// iterator `it` found on its DSQ, to the DSQ `dsq_id`, with the slice and
/// vtime recorded in `it`. Returns whether it did: `p` may have left the
/// DSQ, or been queued again, since the iterator returned it.
///
/// `rq` holds some rq lock: this CPU's when called from `ops.dispatch()`,
/// `p`'s when called unlocked. The move takes the lock of `p`'s rq, and of
/// the destination's to move `p` to another CPU; it returns with `rq`
/// holding whichever it ended with, and the caller goes back to what it
/// needs. `np` is the caller's, not `rq`'s: the lock changes hands.
pub(crate) fn move_from_dsq(
    np: NoPreempt<'_>,
    rq: &mut RqLocked,
    it: &DsqIter,
    p: &Task,
    dsq_id: u64,
    enq_flags: u64,
) -> bool {
    let Some(src_dsq) = it.dsq() else {
        // The verifier lets a program use an iterator whose start failed.
        return false;
    };
    let (slice, vtime) = it.take_updates();
    let this = Rq::this(np);
    let src = Rq::of_cpu(p.cpu());
    rq.switch(src);
    let q = src_dsq.lock();
    // Whether `p` is still where the iterator saw it: it may have been
    // consumed, dequeued, queued again, or taken by another mover, and a
    // waker may have moved it to another CPU (then it is on no DSQ).
    if p.cpu() != src.cpu() || !q.still_holds(p, it.seq()) {
        return false;
    }
    let task = p;
    let p = rq.task(task);
    if let Some(vtime) = vtime {
        p.set_dsq_vtime(vtime);
    }
    if let Some(slice) = slice {
        p.set_slice(slice);
    }
    let target = match dispatch_target(np, this, dsq_id, &p) {
        Target::Local(dst) if !core::ptr::eq(dst, src) && !remote_ok(&p, dst) => {
            Target::Shared(dsq::global_for(&p))
        }
        t => t,
    };
    match target {
        Target::Local(dst) if core::ptr::eq(dst, src) => {
            // SAFETY: `still_holds()` found `p` on this queue.
            unsafe { q.remove(&p) };
            drop(q);
            p.set_dsq(core::ptr::null_mut());
            // A local DSQ is FIFO; the C core ignores a vtime request on
            // this path (it raises the error only when `p` changes CPU).
            dispatch_enqueue_local(rq, p, enq_flags & !ENQ_DSQ_PRIQ);
        }
        Target::Local(dst) => {
            // The dequeue inside the move takes `p` off the DSQ.
            drop(q);
            move_remote_task(rq, task, enq_flags, dst);
        }
        Target::Shared(dst_dsq) => {
            // SAFETY: as above.
            unsafe { q.remove(&p) };
            drop(q);
            p.set_dsq(core::ptr::null_mut());
            dispatch_enqueue_shared(dst_dsq, p, enq_flags);
        }
    }
    true
}

/// After moving `p` to the local DSQ of `rq`, another CPU's: wakes that CPU
/// up if it runs a task of a lower class, its idle task say.
fn resched_if_above(rq: &RqLocked, p: &Task) {
    if class_above(p.sched_class(), rq.curr().sched_class()) {
        rq.resched_curr();
    }
}

/// Whether the BPF scheduler may move `p` to the local DSQ of `dst`, another
/// CPU's, as `task_can_run_on_remote_rq()` decides with `trigger_error`.
///
/// Moving a task out of its allowed CPUs, or one that has migration
/// disabled, is the scheduler's error, which ends it. An offline `dst` is
/// not: the CPU can go offline between the scheduler's choice and now.
/// Migration is tested first: while a task that disables migration is
/// switched out, its `cpus_ptr` may not have narrowed to its CPU yet, and
/// the affinity test would let the scheduler's mistake pass.
fn remote_ok(p: &Task, dst: &Rq) -> bool {
    let cpu = dst.cpu();
    if p.migration_disabled() {
        crate::scx_error!(
            "SCX_DSQ_LOCAL[_ON] cannot move migration disabled {}[{}] from CPU {} to {}",
            p.comm(),
            p.pid(),
            p.cpu().id(),
            cpu.id()
        );
        return false;
    }
    if !p.allowed_on(cpu) {
        crate::scx_error!(
            "SCX_DSQ_LOCAL[_ON] target CPU {} not allowed for {}[{}]",
            cpu.id(),
            p.comm(),
            p.pid()
        );
        return false;
    }
    dst.online_racy()
}

/// Where a dispatch goes: a CPU's local DSQ, or a shared one.
enum Target<'a> {
    /// The local DSQ of this rq.
    Local(&'static Rq),
    /// The global DSQ or a user DSQ.
    Shared(&'a Dsq),
}

/// The DSQ that `dsq_id` names for a dispatch of `p` from the CPU of `rq`.
///
/// A bad id is an error of the BPF scheduler; the task then goes to the
/// global DSQ so that it still runs while the scheduler is being disabled.
#[inline(always)]
fn dispatch_target<'a>(np: NoPreempt<'a>, rq: &'static Rq, dsq_id: u64, p: &Task) -> Target<'a> {
    if dsq_id == dsq::LOCAL {
        return Target::Local(rq);
    }
    if dsq_id & dsq::FLAG_LOCAL_ON == dsq::FLAG_LOCAL_ON {
        let target = (dsq_id & dsq::LOCAL_CPU_MASK) as i32;
        if let Some(cpu) = ops_cpu_valid(target, "in SCX_DSQ_LOCAL_ON dispatch verdict") {
            return Target::Local(Rq::of_cpu(cpu));
        }
        return Target::Shared(dsq::global_for(p));
    }
    if dsq_id == dsq::GLOBAL {
        return Target::Shared(dsq::global_for(p));
    }
    match dsq::find_user(dsq_id, np) {
        Some(d) => Target::Shared(d),
        None => no_such_dsq(dsq_id, p),
    }
}

/// Reports a dispatch to a DSQ that does not exist, which goes to the
/// global DSQ instead.
#[cold]
#[inline(never)]
fn no_such_dsq<'a>(dsq_id: u64, p: &Task) -> Target<'a> {
    crate::scx_error!(
        "non-existent DSQ {:#x} for {}[{}]",
        dsq_id,
        p.comm(),
        p.pid()
    );
    Target::Shared(dsq::global_for(p))
}

/// Carries out one buffered `scx_bpf_dispatch()`.
fn finish_dispatch(rq: &mut RqLocked, ent: DspEnt) {
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
    // SAFETY: we moved `p` from QUEUED to DISPATCHING just above.
    let p = unsafe { Claimed::new(p) };
    touch_core_sched_dispatch(rq, &p);
    // QUEUED with a matching qseq means it is still queued: the dequeue
    // path takes it out of QUEUED under its rq lock before it clears
    // SCX_TASK_QUEUED.
    if !p.scx_queued() {
        panic!(
            "sched_ext: dispatching {}[{}] which is not queued",
            p.comm(),
            p.pid()
        );
    }
    match dispatch_target(rq.no_preempt(), rq.rq(), ent.dsq_id, &p) {
        Target::Local(dst_rq) => dispatch_to_local_dsq(rq, dst_rq, p, ent.enq_flags),
        Target::Shared(dsq) => dispatch_enqueue_shared(dsq, p, ent.enq_flags | ENQ_CLEAR_OPSS),
    }
}

/// Carries out the dispatches buffered by `ops.dispatch()` so far.
///
/// `finish_dispatch()` may drop the rq lock, but `np` keeps this CPU's
/// buffer ours meanwhile. The entries are copied out one at a time.
pub(crate) fn flush_dispatch_buf(np: NoPreempt<'_>, rq: &mut RqLocked) {
    let pc = pcpu::this(np);
    let mut i = 0;
    while let Some(ent) = pc.dsp_get(i) {
        finish_dispatch(rq, ent);
        i += 1;
    }
    pc.dsp_nr_tasks.set(pc.dsp_nr_tasks.get() + i);
    pc.dsp_clear();
}

/// Fills the local DSQ of `rq` if it can; returns whether there is a task
/// to run (or `prev` to keep).
fn balance_one(np: NoPreempt<'_>, rq: &mut RqLocked, prev: &Task) -> bool {
    let o = ops::get(np);
    rq.set_flags(RQ_IN_BALANCE);
    rq.clear_flags(RQ_BAL_PENDING | RQ_BAL_KEEP);
    if rq.cpu_released() && cares_about_cpu_preemption(o) {
        // A higher class had the CPU and `switch_class()` told the BPF
        // scheduler; the CPU is its again.
        o.cpu_acquire(rq.cpu().id());
        rq.set_cpu_released(false);
    }
    let prev_on_scx = prev.on_ext_class();
    // Whether `prev` is still the task running on `rq`, and so still on it.
    // On the CPU that calls balance() it always is. For an SMT sibling
    // balanced under core scheduling it may have been switched out and
    // moved elsewhere while consume() or a dispatch dropped the lock.
    let prev_here = |rq: &RqLocked| prev_on_scx && rq.is_curr(prev);
    let keep_prev = |rq: &RqLocked| {
        prev_here(rq) && {
            let prev = rq.task(prev);
            prev.scx_queued() && prev.slice() > 0 && !rq.bypassing()
        }
    };
    let found = 'found: {
        if prev_on_scx {
            update_curr(rq);
            // `prev` still has slice left: let it run on.
            if keep_prev(rq) {
                rq.set_flags(RQ_BAL_KEEP);
                break 'found true;
            }
        }
        if rq.rq().local_dsq().nr() > 0 || consume(rq, dsq::global_of(rq.cpu())) {
            break 'found true;
        }
        if o.table().dispatch.is_none() || rq.bypassing() || rq.flags() & RQ_ONLINE == 0 {
            break 'found false;
        }
        let cpu = rq.cpu();
        let pc = pcpu::this(np);
        for _ in 0..bindings::SCX_DSP_MAX_LOOPS {
            pc.dsp_nr_tasks.set(0);
            pcpu::lend_rq(np, rq, || {
                o.dispatch(cpu.id(), if prev_on_scx { Some(prev) } else { None })
            });
            flush_dispatch_buf(np, rq);
            if keep_prev(rq) {
                rq.set_flags(RQ_BAL_KEEP);
                break 'found true;
            }
            if rq.rq().local_dsq().nr() > 0 || consume(rq, dsq::global_of(rq.cpu())) {
                break 'found true;
            }
            // ops.dispatch() made no progress: stop asking.
            if pc.dsp_nr_tasks.get() == 0 {
                break 'found false;
            }
        }
        // The BPF scheduler keeps dispatching tasks this CPU can't run.
        // Come back later rather than spin here with the rq locked.
        kick_cpu(np, cpu, Kick::RESCHED);
        false
    };
    let found = found || {
        // Nothing else to run: keep `prev` if it is still runnable, unless
        // the scheduler asked to see it again (SCX_OPS_ENQ_LAST).
        let keep = prev_here(rq)
            && rq.task(prev).scx_queued()
            && (!o.has_flag(bindings::SCX_OPS_ENQ_LAST as u64) || rq.bypassing());
        if keep {
            rq.set_flags(RQ_BAL_KEEP);
        }
        keep
    };
    rq.clear_flags(RQ_IN_BALANCE);
    found
}

/// With core scheduling on, `pick_task()` runs next on every SMT sibling
/// of this CPU too, under the core-wide rq lock we hold: fill their local
/// DSQs now as well, or the siblings would pick from what they happened
/// to have.
#[cfg(CONFIG_SCHED_CORE)]
fn balance_siblings(np: NoPreempt<'_>, rq: &mut RqLocked) {
    if !crate::rq::sched_core_enabled(rq) {
        return;
    }
    let me = rq.cpu();
    // SAFETY: a CPU's SMT mask is valid while it is online, and we run on
    // it with preemption disabled.
    for cpu in unsafe { crate::rq::cpus_in(bindings::scx_helper_cpu_smt_mask(me.id())) } {
        if cpu == me {
            continue;
        }
        let shared = rq.with_sibling(Rq::of_cpu(cpu), |srq| {
            // SAFETY: we hold the lock of `srq`.
            unsafe { bindings::update_rq_clock(srq.rq().as_ptr()) };
            // balance_one() may drop the lock, and the sibling may then
            // switch `curr` out; the reference keeps it allocated. It is
            // never the last one (a task's last reference is dropped from
            // an RCU callback after it is switched out for good), so
            // dropping it under the rq lock cannot free the task there.
            // SAFETY: `curr` runs on the sibling, so its count is not zero.
            let sprev = unsafe { TaskRef::get(srq.curr()) };
            balance_one(np, srq, &sprev);
        });
        if !shared {
            crate::warn!(
                "core scheduling without a shared rq lock on CPU {}",
                cpu.id()
            );
        }
    }
}

/// `sched_class.balance`.
///
/// The core calls it from `__schedule()`, with preemption disabled
/// throughout (`np`), also while balance_one() drops the rq lock.
pub(crate) fn balance(
    np: NoPreempt<'_>,
    rq: &mut RqLocked,
    prev: &Task,
    rf: *mut bindings::rq_flags,
) -> i32 {
    // balance_one() may drop the rq lock; the core pinned it.
    // SAFETY: `rf` is the core's pin cookie for the lock we hold.
    unsafe { rq.unpin(rf) };
    let home = rq.rq();
    let ret = balance_one(np, rq, prev);
    #[cfg(CONFIG_SCHED_CORE)]
    balance_siblings(np, rq);
    // The core expects the rq it called us with, locked. Every path of
    // balance_one() switches back; this is the one place that makes sure.
    if !core::ptr::eq(rq.rq(), home) {
        crate::warn!("balance() returning with another rq locked");
        rq.switch(home);
    }
    // SAFETY: as above; the lock is held again.
    unsafe { rq.repin(rf) };
    ret as i32
}

/// `sched_class.pick_task`.
pub(crate) fn pick_task(rq: &RqLocked) -> *mut bindings::task_struct {
    // The CPU is in a scheduling cycle; see `do_kicks()`.
    rq.advance_pnt_seq();
    let prev = rq.curr_scx();
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
    let q = rq.local_queue();
    match q.first() {
        Some(p) => {
            let p = rq.task(p);
            if p.slice() == 0 {
                // The BPF scheduler queued a task with no time to run,
                // most likely by mistake: say so once per scheduler. In
                // bypass mode the core zeroes slices itself.
                if !rq.bypassing() && !WARNED_ZERO_SLICE.swap(true, Ordering::Relaxed) {
                    let mut buf = [0u8; 96];
                    let mut w = crate::exit::FmtBuf::new(&mut buf);
                    // KERN_WARNING, then the message.
                    w.write_bytes(b"\x014sched_ext: ");
                    let _ = write!(
                        w,
                        "{}[{}] has zero slice in pick_task_scx()",
                        p.comm(),
                        p.pid()
                    );
                    // SAFETY: NUL-terminated by `FmtBuf`; printk_deferred()
                    // is the printk that is safe under an rq lock.
                    unsafe {
                        bindings::scx_helper_printk_deferred(
                            w.as_bytes_with_nul().as_ptr() as *const _
                        )
                    };
                }
                p.set_slice(SLICE_DFL);
            }
            p.as_ptr()
        }
        None => {
            if kick_idle {
                kick_cpu(rq.no_preempt(), rq.cpu(), Kick::IfIdle);
            }
            core::ptr::null_mut()
        }
    }
}

/// Whether the zero-slice warning of [`pick_task`] was given for the
/// loaded scheduler; reset when one is enabled.
pub(crate) static WARNED_ZERO_SLICE: AtomicBool = AtomicBool::new(false);

/// `sched_class.set_next_task`.
pub(crate) fn set_next_task(rq: &RqLocked, p: &Task) {
    let p = rq.task(p);
    let o = ops::get(rq.no_preempt());
    if p.scx_queued() {
        // Core scheduling may run `p` before it is dispatched.
        ops_dequeue(o, p, bindings::SCX_DEQ_CORE_SCHED_EXEC as u64);
        dispatch_dequeue(rq, p);
    }
    // SAFETY: we hold the rq lock that protects `se.exec_start`.
    unsafe { (*p.as_ptr()).se.exec_start = rq.clock_task() };
    if p.scx_queued() {
        o.running(&p);
    }
    clr_task_runnable(p, true);
    // A task with an infinite slice needs no tick to end it: let nohz_full
    // stop the tick while it runs. The BPF scheduler kicks the CPU when it
    // wants it back. Rechecked here, when a task starts or is kicked.
    let inf = p.slice() == SLICE_INF;
    if inf != (rq.flags() & RQ_CAN_STOP_TICK != 0) {
        if inf {
            rq.set_flags(RQ_CAN_STOP_TICK);
        } else {
            rq.clear_flags(RQ_CAN_STOP_TICK);
        }
        // SAFETY: we hold the rq lock.
        unsafe {
            bindings::scx_helper_sched_update_tick_dependency(rq.rq().as_ptr());
            // The other classes' load averages stop being updated with the
            // tick: refresh them on the way in and out.
            bindings::update_other_load_avgs(rq.rq().as_ptr());
        }
    }
}

/// `sched_class.put_prev_task`.
///
/// `next` is `None` when the core only takes `p` down for a property
/// change and puts it back right after: no scheduling cycle, no class
/// switch.
pub(crate) fn put_prev_task(rq: &RqLocked, p: &Task, next: Option<&Task>) {
    let p = rq.task(p);
    let o = ops::get(rq.no_preempt());
    update_curr(rq);
    if p.scx_queued() {
        put_prev_queued(rq, o, p, next);
    }
    if let Some(next) = next {
        // The CPU is in a scheduling cycle; see `do_kicks()`.
        rq.advance_pnt_seq();
        if !next.on_ext_class() {
            switch_class(rq, o, next);
        }
    }
}

/// Why a task of `class` took the CPU from the ext class.
fn preempt_reason(class: *const bindings::sched_class) -> bindings::scx_cpu_preempt_reason {
    if class == core::ptr::addr_of!(bindings::stop_sched_class) {
        bindings::SCX_CPU_PREEMPT_STOP
    } else if class == core::ptr::addr_of!(bindings::dl_sched_class) {
        bindings::SCX_CPU_PREEMPT_DL
    } else if class == core::ptr::addr_of!(bindings::rt_sched_class) {
        bindings::SCX_CPU_PREEMPT_RT
    } else {
        bindings::SCX_CPU_PREEMPT_UNKNOWN
    }
}

/// The CPU of `rq` goes from an ext task to `next`, of another class.
///
/// If a higher class takes the CPU, `ops.cpu_release()` tells the BPF
/// scheduler, once until `balance_one()` gives the CPU back with
/// `ops.cpu_acquire()`; meanwhile the scheduler may take back what it
/// queued here with `scx_bpf_reenqueue_local()`. Going idle is the
/// scheduler's own choice and says nothing.
fn switch_class(rq: &RqLocked, o: Ops<'_>, next: &Task) {
    if !cares_about_cpu_preemption(o) || class_below_ext(next.sched_class()) || rq.cpu_released() {
        return;
    }
    let mut args = bindings::scx_cpu_release_args {
        reason: preempt_reason(next.sched_class()),
        task: next.as_ptr() as *mut _,
    };
    pcpu::lend_rq_ref(rq.no_preempt(), rq, || {
        o.cpu_release(rq.cpu().id(), &mut args)
    });
    rq.set_cpu_released(true);
}

/// Whether the scheduler wants to hear about higher classes taking its
/// CPUs: `rq->scx.cpu_released` is kept only then, as in the C core.
fn cares_about_cpu_preemption(o: Ops<'_>) -> bool {
    let t = o.table();
    t.cpu_acquire.is_some() || t.cpu_release.is_some()
}

/// `scx_bpf_reenqueue_local()`: hands every task on the local DSQ of `rq`
/// back to the BPF scheduler with `SCX_ENQ_REENQ`. Returns how many.
///
/// Called from `ops.cpu_release()`, under the lock of `rq`.
pub(crate) fn reenqueue_local(rq: &RqLocked) -> u32 {
    // The scheduler may dispatch them straight back to this local DSQ:
    // take them all off first, so that none is handed over twice.
    dsq::with_detached(|tasks| {
        let q = rq.local_queue();
        let mut cur = q.first();
        while let Some(p) = cur {
            cur = q.next(p);
            // A task an affinity change is moving may be on a CPU it is
            // no longer allowed on, and the stopper re-enqueues it anyway.
            if p.migration_pending() {
                continue;
            }
            dispatch_dequeue(rq, rq.task(p));
            // SAFETY: `p` is on no DSQ now, and stays queued on this rq,
            // whose lock we hold until the list is empty again.
            unsafe { tasks.push(p) };
        }
        let mut nr = 0;
        while let Some(p) = tasks.pop() {
            do_enqueue(rq, rq.task(p), ENQ_REENQ, -1);
            nr += 1;
        }
        nr
    })
}

/// `put_prev_task` of a task that stays runnable.
fn put_prev_queued(rq: &RqLocked, o: Ops<'_>, p: TaskScx<'_>, next: Option<&Task>) {
    o.stopping(&p, true);
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
///
/// The core holds `p->pi_lock`, a raw spinlock, so preemption is off (`np`).
pub(crate) fn select_task_rq(np: NoPreempt<'_>, p: &Task, prev_cpu: Cpu, wake_flags: i32) -> i32 {
    // sched_exec() asks about the running, queued, task: keep it where it
    // is, and touch nothing of it.
    if wake_flags as u32 & bindings::WF_EXEC != 0 {
        return prev_cpu.id();
    }
    // SAFETY: any other caller is a wakeup (ttwu, wake_up_new_task), which
    // holds `p->pi_lock` with `p` not queued on any rq: the waker owns the
    // task's fields until it enqueues it.
    let p = unsafe { TaskScx::assume(p) };
    let bypassing = Rq::of_cpu(p.cpu()).bypassing();
    let o = ops::get(np);
    if o.table().select_cpu.is_some() && !bypassing {
        let pc = pcpu::this(np);
        pc.ddsp.set(Ddsp::Task(p.as_ptr()));
        let cpu = o.select_cpu(&p, prev_cpu.id(), wake_flags as u32 as u64);
        pc.ddsp.set(Ddsp::Idle);
        cpu.and_then(|cpu| ops_cpu_valid(cpu, "from ops.select_cpu()"))
            .unwrap_or(prev_cpu)
            .id()
    } else {
        let (cpu, idle) = idle::select_cpu_dfl(np, &p, prev_cpu, wake_flags as u32 as u64);
        if idle {
            // Found an idle CPU: skip ops.enqueue() and run there.
            p.set_slice(SLICE_DFL);
            p.set_ddsp_dsq_id(dsq::LOCAL);
        }
        cpu.id()
    }
}

/// `sched_class.task_tick`.
pub(crate) fn task_tick(rq: &RqLocked, curr: &Task) {
    let curr = rq.task(curr);
    update_curr(rq);
    if rq.bypassing() {
        curr.set_slice(0);
        touch_core_sched(rq, &curr);
    } else {
        ops::get(rq.no_preempt()).tick(&curr);
    }
    if curr.slice() == 0 {
        rq.resched_curr();
    }
}

/// `sched_class.yield_task`.
pub(crate) fn yield_task(rq: &RqLocked) {
    let p = rq.curr_scx();
    if ops::get(rq.no_preempt()).yield_(&p, None).is_none() {
        p.set_slice(0);
    }
}

/// `sched_class.yield_to_task`.
pub(crate) fn yield_to_task(rq: &RqLocked, to: &Task) -> bool {
    ops::get(rq.no_preempt())
        .yield_(rq.curr(), Some(to))
        .unwrap_or(false)
}

/// `sched_class.set_cpus_allowed`.
///
/// The core holds `p->pi_lock` and its rq lock, so preemption is off (`np`).
pub(crate) fn set_cpus_allowed(np: NoPreempt<'_>, p: &Task, ctx: *mut bindings::affinity_context) {
    // SAFETY: the core calls us with `p`'s locks held and a valid `ctx`.
    unsafe { bindings::set_cpus_allowed_common(p.as_ptr(), ctx) };
    // Always the effective mask, `cpus_ptr`, which may differ from the
    // configured one for a while; and also in bypass mode, or the scheduler
    // would keep a stale affinity once it ends.
    ops::get(np).set_cpumask(p, p.cpus_ptr());
}

/// `sched_class.reweight_task`.
pub(crate) fn reweight_task(o: Ops<'_>, p: TaskScx<'_>, weight: u32) {
    p.set_weight(weight);
    o.set_weight(&p, weight);
}

/// What a kick asks of a CPU.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kick {
    /// Reschedule. With `preempt`, also end the slice of the ext task
    /// running there; with `wait`, keep this CPU from scheduling until
    /// the target went through a scheduling cycle (`SCX_KICK_WAIT`).
    Resched { preempt: bool, wait: bool },
    /// Reschedule only if the CPU is idle or about to be.
    IfIdle,
}

impl Kick {
    /// A plain reschedule.
    pub(crate) const RESCHED: Kick = Kick::Resched {
        preempt: false,
        wait: false,
    };
}

/// Whether `rq` is sure to go through a scheduling cycle of its own before
/// it idles, so that a kick-if-idle has nothing to do. Running a task is
/// not enough: `balance()` may be about to fail to find one.
pub(crate) fn can_skip_idle_kick(rq: &RqLocked) -> bool {
    !rq.curr().is_idle() && rq.flags() & RQ_IN_BALANCE == 0
}

/// Records a kick of `cpu` on this CPU's rq and queues the irq_work that
/// carries it out; `np` keeps both on the same CPU.
///
/// The masks are updated with atomic bit operations: a kick may be
/// recorded from any context while the irq_work walks them. The caller
/// keeps interrupts off (an rq lock, or `IrqGuard` in the kfunc), so that
/// the irq_work never sees a kick half recorded.
pub(crate) fn kick_cpu(np: NoPreempt<'_>, cpu: Cpu, what: Kick) {
    let this = Rq::this(np);
    match what {
        Kick::IfIdle => this.kick_mask(KickMask::IfIdle).set(cpu),
        Kick::Resched { preempt, wait } => {
            if preempt {
                this.kick_mask(KickMask::Preempt).set(cpu);
            }
            if wait {
                this.kick_mask(KickMask::Wait).set(cpu);
            }
            this.kick_mask(KickMask::Kick).set(cpu);
        }
    }
    Rq::queue_kick_work(np);
}

/// `rq->scx.kick_cpus_irq_work`.
pub(crate) extern "C" fn kick_workfn(_work: *mut bindings::irq_work) {
    // Usually a hard interrupt already, but on PREEMPT_RT the work runs in
    // a per-CPU kthread that may be preempted.
    let g = PreemptGuard::new();
    do_kicks(g.no_preempt());
}

/// Carries out the kicks this CPU owes: `rq->scx.kick_cpus_irq_work`.
/// Runs from irq_work, without rq locks.
fn do_kicks(np: NoPreempt<'_>) {
    let this = Rq::this(np);
    let pc = pcpu::this(np);
    let kick = this.kick_mask(KickMask::Kick);
    let if_idle = this.kick_mask(KickMask::IfIdle);
    let preempt = this.kick_mask(KickMask::Preempt);
    let wait = this.kick_mask(KickMask::Wait);
    let mut should_wait = false;
    for cpu in kick.iter() {
        let l = Rq::of_cpu(cpu).lock_irqsave();
        // A CPU that went offline meanwhile has nothing to reschedule; this
        // CPU itself is always fine to kick.
        if cpu.online() || cpu == this.cpu() {
            if preempt.test_and_clear(cpu) && l.curr().on_ext_class() {
                l.curr_scx().set_slice(0);
            }
            if wait.test(cpu) {
                // Read under the target's lock: a cycle that starts after
                // the resched below is sure to advance it.
                pc.set_kick_pnt_seq(cpu, l.rq().pnt_seq());
                should_wait = true;
            }
            l.resched_curr();
        } else {
            preempt.clear(cpu);
            wait.clear(cpu);
        }
        drop(l);
        kick.clear(cpu);
        // A full kick covers an idle one.
        if_idle.clear(cpu);
    }
    for cpu in if_idle.iter() {
        let l = Rq::of_cpu(cpu).lock_irqsave();
        // Idle, or in balance() and possibly about to idle: make it look
        // at its queues again. Anything else is running and will.
        if !can_skip_idle_kick(&l) && (cpu.online() || cpu == this.cpu()) {
            l.resched_curr();
        }
        drop(l);
        if_idle.clear(cpu);
    }
    if should_wait {
        wait_for_kicked(np, wait);
    }
}

/// Waits until each CPU in `wait` went through a scheduling cycle since
/// `do_kicks()` kicked it (`SCX_KICK_WAIT`): this CPU schedules nothing
/// else meanwhile, which is the point.
///
/// A cycle is counted by `rq->scx.pnt_seq`, which the target advances in
/// `pick_task()` and when it puts an ext task. The C core of 6.12 advances
/// it only when the CPU leaves the ext class, so a waiter spins for as long
/// as the target goes from one ext task to the next, or stays idle; here
/// any pass through the scheduler ends the wait, which is what the flag
/// promises.
///
/// CPUs that kick each other with `SCX_KICK_WAIT` (two, or a ring) would
/// each wait in this irq_work, interrupts off, for a cycle that the next
/// cannot start: the C core would lock up there. Each CPU marks itself
/// waiting (`pcpu::kick_waiting`) and stops waiting for a CPU that waits
/// too. The flags are sequentially consistent, so in any such ring at
/// least one CPU sees its target's flag, returns, and goes through the
/// cycle the one before it waits for. Deliberately broad: the target may
/// wait for a third CPU, not for us, and we then go on before it
/// rescheduled; but it runs nothing while it waits, and reschedules as soon
/// as it returns from the interrupt, as our kick asked.
fn wait_for_kicked(np: NoPreempt<'_>, wait: crate::rq::CpuSet<'_>) {
    let this = Cpu::current(np);
    let pc = pcpu::this(np);
    let waiting = pcpu::kick_waiting(this);
    waiting.store(true, Ordering::SeqCst);
    for cpu in wait.iter() {
        if cpu != this {
            let target = Rq::of_cpu(cpu);
            let seq = pc.kick_pnt_seq(cpu);
            while target.pnt_seq() == seq && !pcpu::kick_waiting(cpu).load(Ordering::SeqCst) {
                // SAFETY: a pause instruction.
                unsafe { bindings::scx_helper_cpu_relax() };
            }
        }
        wait.clear(cpu);
    }
    waiting.store(false, Ordering::SeqCst);
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
    rq: &RqLocked,
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
            rq.task(p).set_slice(SLICE_DFL);
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
pub(crate) fn requeue_runnable(rq: &RqLocked) {
    requeue_runnable_if(rq, |_| true);
}

/// Requeues the runnable tasks of `rq` for which `pred` holds.
fn requeue_runnable_if(rq: &RqLocked, pred: impl Fn(TaskScx<'_>) -> bool) {
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
            if pred(rq.task(p)) {
                requeue_task(rq, p, None);
            }
            node = prev;
        }
    }
}

/// Marks `rq` online or offline for sched_ext.
pub(crate) fn set_online(rq: &RqLocked, online: bool) {
    if online {
        rq.set_flags(RQ_ONLINE);
        return;
    }
    rq.clear_flags(RQ_ONLINE);
    // Rebuilding the scheduling domains takes rqs offline and back online
    // while their CPUs stay up.
    if rq.cpu().active() {
        return;
    }
    // The CPU is going down and will not call ops.dispatch() again: a task
    // the BPF scheduler still holds for it would wait for good, and the
    // hotplug with it, as balance_push() only moves what is on the rq's
    // local DSQ. Enqueued again on an offline rq, each task lands there.
    // (set_rq_offline() updated the rq clock.)
    if crate::scx_enabled() {
        let local = rq.rq().local_dsq().as_ptr();
        requeue_runnable_if(rq, |p| p.dsq() != local);
    }
}
