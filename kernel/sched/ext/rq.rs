// SPDX-License-Identifier: GPL-2.0

//! Runqueues and their locks.
//!
//! Almost everything the core does to a CPU's sched_ext state happens under
//! that CPU's rq lock. Functions that need the lock take an [`RqLocked`],
//! which can only be obtained by locking ([`Rq::lock`]) or, in the class
//! callbacks the core calls with the lock held, by asserting it
//! ([`RqLocked::assume`]). Code that drops and retakes the lock in the middle
//! (moving a task between CPUs) consumes its [`RqLocked`] and gets a new one,
//! so nothing learnt under the old lock can be used after it without a
//! recheck.

use crate::bindings;
use crate::dsq::Dsq;
use crate::pcpu::NoPreempt;
use crate::task::{Task, TaskScx};
use core::marker::PhantomData;
use kernel::prelude::*;
use kernel::types::Opaque;

/// `nr_cpu_ids`: one more than the highest possible CPU number.
pub(crate) fn nr_cpu_ids() -> u32 {
    #[cfg(not(CONFIG_FORCE_NR_CPUS))]
    // SAFETY: `nr_cpu_ids` is set during boot, before the core starts, and
    // never changes after.
    unsafe {
        bindings::nr_cpu_ids
    }
    #[cfg(CONFIG_FORCE_NR_CPUS)]
    // SAFETY: a constant.
    unsafe {
        bindings::scx_helper_nr_cpu_ids()
    }
}

/// `cpu_possible_mask`, which is fixed after boot.
pub(crate) fn cpu_possible_mask() -> *const bindings::cpumask {
    // Only the address of the C global is taken.
    core::ptr::addr_of!(bindings::__cpu_possible_mask)
}

/// `cpu_online_mask`, changed with atomic bit operations as CPUs come and
/// go.
pub(crate) fn cpu_online_mask() -> *const bindings::cpumask {
    // Only the address of the C global is taken.
    core::ptr::addr_of!(bindings::__cpu_online_mask)
}

/// Whether core scheduling is off on every CPU: `sched_core_disabled()`,
/// the `__sched_core_enabled` static key.
#[cfg(CONFIG_SCHED_CORE)]
pub(crate) fn sched_core_disabled() -> bool {
    // SAFETY: a static key; only its address is taken.
    !unsafe {
        crate::arch::static_key_enabled(core::ptr::addr_of!(bindings::__sched_core_enabled.key))
    }
}

/// Whether core scheduling is on for the CPU of `rq`:
/// `sched_core_enabled()`.
#[cfg(CONFIG_SCHED_CORE)]
pub(crate) fn sched_core_enabled(rq: &RqLocked) -> bool {
    // SAFETY: `rq->core_enabled` changes under the rq lock, which we hold.
    !sched_core_disabled() && unsafe { (*rq.rq().as_ptr()).core_enabled != 0 }
}

/// A possible CPU.
///
/// # Invariants
///
/// The number is below `nr_cpu_ids` and set in `cpu_possible_mask`, neither
/// of which changes after boot, so every per-CPU lookup by a `Cpu` is in
/// bounds.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Cpu(i32);

impl Cpu {
    /// `id` as a CPU, if it is a possible one.
    pub(crate) fn new(id: i32) -> Option<Cpu> {
        let ok = id >= 0 && (id as u32) < nr_cpu_ids() && {
            // SAFETY: `id` is in range; the possible mask is a kernel global.
            unsafe { crate::arch::cpumask_test_cpu(id as u32, cpu_possible_mask()) }
        };
        // INVARIANT: checked above.
        ok.then_some(Cpu(id))
    }

    /// `id` as a CPU, without checking.
    ///
    /// # Safety
    ///
    /// `id` must be a possible CPU.
    pub(crate) unsafe fn new_unchecked(id: i32) -> Cpu {
        // INVARIANT: guaranteed by the caller.
        Cpu(id)
    }

    /// The CPU this code runs on, which `np` keeps from changing.
    pub(crate) fn current(np: NoPreempt<'_>) -> Cpu {
        // INVARIANT: the CPU we run on is possible.
        Cpu(crate::arch::smp_processor_id(np) as i32)
    }

    /// The CPU number.
    pub(crate) fn id(self) -> i32 {
        self.0
    }

    /// Whether the CPU is online.
    pub(crate) fn online(self) -> bool {
        // SAFETY: reading the online mask, in bounds by the type invariant.
        unsafe { crate::arch::cpumask_test_cpu(self.0 as u32, cpu_online_mask()) }
    }

    /// Whether the CPU is active (online and schedulable).
    pub(crate) fn active(self) -> bool {
        // SAFETY: reading the active mask, in bounds by the type invariant;
        // it is only the address of the C global that is taken.
        unsafe {
            crate::arch::cpumask_test_cpu(
                self.0 as u32,
                core::ptr::addr_of!(bindings::__cpu_active_mask),
            )
        }
    }
}

/// The CPUs set in `mask`, in increasing order, as they are when the walk
/// reaches them.
///
/// # Safety
///
/// `mask` must be a valid cpumask of possible CPUs for as long as the
/// iterator is used, changed (if at all) only with atomic bit operations.
pub(crate) unsafe fn cpus_in(mask: *const bindings::cpumask) -> impl Iterator<Item = Cpu> {
    let mut cpu = -1;
    core::iter::from_fn(move || {
        // SAFETY: by the caller's guarantee.
        cpu = unsafe { bindings::scx_helper_cpumask_next(cpu, mask) };
        // INVARIANT: a bit below `nr_cpu_ids` of a mask of possible CPUs.
        ((cpu as u32) < nr_cpu_ids()).then_some(Cpu(cpu))
    })
}

/// The possible CPUs, in increasing order.
pub(crate) fn possible_cpus() -> impl Iterator<Item = Cpu> {
    // SAFETY: the possible mask is a kernel global, fixed after boot.
    unsafe { cpus_in(cpu_possible_mask()) }
}

/// The online CPUs, in increasing order, as the walk finds them: a CPU
/// going on- or offline meanwhile may or may not be visited.
pub(crate) fn online_cpus() -> impl Iterator<Item = Cpu> {
    // SAFETY: the online mask is a kernel global of possible CPUs, changed
    // with atomic bit operations only.
    unsafe { cpus_in(cpu_online_mask()) }
}

/// The kick masks of an rq, `rq->scx.cpus_to_*`, as numbered by
/// `scx_helper_rq_kick_mask()`.
#[derive(Clone, Copy)]
#[repr(i32)]
pub(crate) enum KickMask {
    /// `cpus_to_kick`: reschedule.
    Kick = 0,
    /// `cpus_to_kick_if_idle`: reschedule if idle.
    IfIdle = 1,
    /// `cpus_to_preempt`: also end the running ext task's slice.
    Preempt = 2,
    /// `cpus_to_wait`: wait for a scheduling cycle (`SCX_KICK_WAIT`).
    Wait = 3,
}

/// A cpumask shared between CPUs and only changed with atomic bit
/// operations, borrowed from what holds it.
///
/// # Invariants
///
/// The pointer is to a valid cpumask for `'a`, which no one changes other
/// than with atomic bit operations.
#[derive(Clone, Copy)]
pub(crate) struct CpuSet<'a>(*mut bindings::cpumask, PhantomData<&'a ()>);

impl<'a> CpuSet<'a> {
    /// The mask at `mask`.
    ///
    /// # Safety
    ///
    /// `mask` must be a valid cpumask of possible CPUs for `'a`, which
    /// no one changes other than with atomic bit operations.
    pub(crate) unsafe fn from_raw(mask: *mut bindings::cpumask) -> Self {
        // INVARIANT: by the caller's guarantee.
        CpuSet(mask, PhantomData)
    }

    /// Adds `cpu`.
    pub(crate) fn set(self, cpu: Cpu) {
        // SAFETY: atomic bit operation on a valid mask; `cpu` is in range.
        unsafe { crate::arch::cpumask_set_cpu(cpu.id() as u32, self.0) }
    }

    /// Removes `cpu`.
    pub(crate) fn clear(self, cpu: Cpu) {
        // SAFETY: as in `set`.
        unsafe { crate::arch::cpumask_clear_cpu(cpu.id() as u32, self.0) }
    }

    /// Whether `cpu` is in the mask.
    pub(crate) fn test(self, cpu: Cpu) -> bool {
        // SAFETY: as in `set`.
        unsafe { crate::arch::cpumask_test_cpu(cpu.id() as u32, self.0) }
    }

    /// Removes `cpu`, returning whether it was there.
    pub(crate) fn test_and_clear(self, cpu: Cpu) -> bool {
        // SAFETY: as in `set`.
        unsafe { crate::arch::cpumask_test_and_clear_cpu(cpu.id() as u32, self.0) }
    }

    /// The C mask, for printing.
    pub(crate) fn as_ptr(self) -> *const bindings::cpumask {
        self.0
    }

    /// The CPUs in the mask, in increasing order, as they are when the walk
    /// reaches them.
    pub(crate) fn iter(self) -> impl Iterator<Item = Cpu> + 'a {
        // SAFETY: a valid mask of possible CPUs for `'a`, whose bits change
        // only atomically, by the type invariant.
        unsafe { cpus_in(self.0) }
    }
}

/// A CPU's `struct rq`.
#[repr(transparent)]
pub(crate) struct Rq(Opaque<bindings::rq>);

// SAFETY: rqs are per-CPU statics shared by all CPUs; their fields are only
// accessed under the rq lock through `RqLocked`.
unsafe impl Sync for Rq {}

impl Rq {
    /// The rq of `cpu`.
    pub(crate) fn of_cpu(cpu: Cpu) -> &'static Rq {
        // SAFETY: `runqueues` is a per-CPU variable and `cpu` is possible,
        // so this is `cpu_rq(cpu)`; runqueues live forever.
        unsafe {
            Rq::from_raw(crate::arch::per_cpu_ptr(
                core::ptr::addr_of_mut!(bindings::runqueues),
                cpu.id() as u32,
            ))
        }
    }

    /// The rq `ptr` points to.
    ///
    /// # Safety
    ///
    /// `ptr` must be a CPU's rq.
    pub(crate) unsafe fn from_raw(ptr: *mut bindings::rq) -> &'static Rq {
        // SAFETY: `Rq` is transparent; rqs live forever.
        unsafe { &*(ptr as *const Rq) }
    }

    /// The C pointer.
    pub(crate) fn as_ptr(&self) -> *mut bindings::rq {
        self.0.get()
    }

    /// The CPU this rq belongs to.
    pub(crate) fn cpu(&self) -> Cpu {
        // SAFETY: `cpu` is set at boot to the rq's own, possible, CPU and
        // never changes.
        unsafe { Cpu::new_unchecked((*self.as_ptr()).cpu) }
    }

    /// `rq->curr`, read once: the task running on this CPU. Stable only
    /// with the rq lock held; a racy read gives a task that ran here, which
    /// is still live only under RCU, so the callers say why they may use it.
    pub(crate) fn curr_ptr(&self) -> *mut bindings::task_struct {
        // SAFETY: field read of a valid rq; the core writes `curr` with the
        // lock held, and a volatile read sees the old or the new pointer.
        unsafe {
            core::ptr::read_volatile(core::ptr::addr_of!((*self.as_ptr()).__bindgen_anon_1.curr))
        }
    }

    /// Takes the rq lock with interrupts saved and disabled, for code that
    /// holds no rq lock yet (irq_work, the bypass switch).
    pub(crate) fn lock_irqsave(&'static self) -> RqIrqGuard {
        let mut flags = 0;
        // SAFETY: `self` is a valid rq; the caller holds no rq lock, so
        // there is no lock order to break.
        unsafe { bindings::scx_helper_rq_lock_irqsave(self.as_ptr(), &mut flags) };
        // INVARIANT: we just took the lock.
        RqIrqGuard {
            locked: RqLocked {
                rq: self,
                _not_send: PhantomData,
            },
            flags,
        }
    }

    /// Takes the rq lock as [`Self::lock_irqsave`] does, if it is free:
    /// for code that may already hold another rq lock.
    pub(crate) fn try_lock_irqsave(&'static self) -> Option<RqIrqGuard> {
        let mut flags = 0;
        // SAFETY: `self` is a valid rq; a trylock cannot deadlock.
        if !unsafe { bindings::scx_helper_rq_trylock_irqsave(self.as_ptr(), &mut flags) } {
            return None;
        }
        // INVARIANT: we just took the lock.
        Some(RqIrqGuard {
            locked: RqLocked {
                rq: self,
                _not_send: PhantomData,
            },
            flags,
        })
    }

    /// `rq->scx.pnt_seq`, which advances each time the CPU goes through a
    /// scheduling cycle. Read without the lock by a CPU waiting for that
    /// (`SCX_KICK_WAIT`); acquire pairs with [`RqLocked::advance_pnt_seq`].
    pub(crate) fn pnt_seq(&self) -> usize {
        #[cfg(CONFIG_X86_64)]
        // SAFETY: an aligned word of a valid rq, which lives forever.
        unsafe {
            crate::arch::load_acquire(core::ptr::addr_of!((*self.as_ptr()).scx.pnt_seq).cast())
        }
        #[cfg(not(CONFIG_X86_64))]
        // SAFETY: a valid rq; the helper is an `smp_load_acquire()`.
        unsafe {
            bindings::scx_helper_pnt_seq_acquire(self.as_ptr()) as usize
        }
    }

    /// Sets `rq->scx.cpuperf_target`, which schedutil reads without the rq
    /// lock (`scx_cpuperf_target()`, a `READ_ONCE()`).
    pub(crate) fn set_cpuperf_target(&self, perf: u32) {
        // SAFETY: an aligned u32 in an rq, which lives forever; the readers
        // expect racy updates, and a volatile store is not torn.
        unsafe {
            core::ptr::write_volatile(
                core::ptr::addr_of_mut!((*self.as_ptr()).scx.cpuperf_target),
                perf,
            )
        }
    }

    /// The local DSQ. Only the lock holder may touch its queue.
    pub(crate) fn local_dsq(&self) -> &Dsq {
        // SAFETY: the local DSQ is embedded in the rq, which lives forever.
        unsafe { Dsq::from_raw(core::ptr::addr_of_mut!((*self.as_ptr()).scx.local_dsq)) }
    }

    /// One of the rq's kick masks: the CPUs this CPU owes a kick.
    pub(crate) fn kick_mask(&self, which: KickMask) -> CpuSet<'_> {
        // SAFETY: the masks were allocated at boot (`init_kick`) and live as
        // long as the rq; they are only changed with atomic bit operations.
        CpuSet(
            unsafe { bindings::scx_helper_rq_kick_mask(self.as_ptr(), which as i32) },
            PhantomData,
        )
    }

    /// The rq of the CPU this code runs on, while `np` keeps it so.
    pub(crate) fn this(np: NoPreempt<'_>) -> &'static Rq {
        Rq::of_cpu(Cpu::current(np))
    }

    /// Queues the irq_work that carries out the kicks of this CPU's rq.
    ///
    /// The work runs on the CPU that queues it and walks that CPU's masks,
    /// hence `np` rather than an rq.
    pub(crate) fn queue_kick_work(np: NoPreempt<'_>) {
        let this = Rq::this(np);
        // SAFETY: initialised at boot by `init_kick`; safe from any context.
        unsafe {
            bindings::irq_work_queue(core::ptr::addr_of_mut!(
                (*this.as_ptr()).scx.kick_cpus_irq_work
            ))
        };
    }

    /// Allocates the kick masks and sets up the kick irq_work, as ext.c
    /// does in `init_sched_ext_class()`.
    ///
    /// # Safety
    ///
    /// Called once per rq, at boot, before any kick.
    pub(crate) unsafe fn init_kick(
        &self,
        func: unsafe extern "C" fn(*mut bindings::irq_work),
    ) -> Result {
        // SAFETY: by the caller's guarantee, nothing uses the fields yet.
        kernel::error::to_result(unsafe {
            bindings::scx_helper_init_rq_kick(self.as_ptr(), Some(func))
        })
    }

    /// Whether this rq is in bypass mode. May be read without the lock: a
    /// stale answer only delays the switch by one scheduling event.
    pub(crate) fn bypassing(&self) -> bool {
        self.flags_racy() & bindings::SCX_RQ_BYPASSING != 0
    }

    /// Whether the running ext task may go without the tick
    /// (`SCX_RQ_CAN_STOP_TICK`). Read without the lock by the nohz code,
    /// which checks again when the flag changes
    /// (`sched_update_tick_dependency()`).
    pub(crate) fn can_stop_tick_racy(&self) -> bool {
        self.flags_racy() & bindings::SCX_RQ_CAN_STOP_TICK != 0
    }

    /// Whether the rq is online for sched_ext (`scx_rq_online()`). May be
    /// read without the lock, by a dispatcher choosing it: a CPU that goes
    /// offline meanwhile is caught by the enqueue on it.
    pub(crate) fn online_racy(&self) -> bool {
        self.flags_racy() & bindings::SCX_RQ_ONLINE != 0
    }

    fn flags_racy(&self) -> u32 {
        // SAFETY: plain read of a word-sized field, as the C code does.
        unsafe { core::ptr::read_volatile(core::ptr::addr_of!((*self.as_ptr()).scx.flags)) }
    }
}

/// Evidence that the current CPU holds the lock of `rq`.
///
/// Functions that only work under the lock borrow it (`&RqLocked`);
/// anything they read through it, such as [`Self::curr`] or the local DSQ's
/// queue, is borrowed from it in turn. Functions that drop the lock on the
/// way take `&mut RqLocked` and switch it with [`Self::switch`], so the
/// borrow checker ends every such borrow before the lock is dropped.
///
/// # Invariants
///
/// The rq lock of `rq` is held for as long as this value exists.
pub(crate) struct RqLocked {
    rq: &'static Rq,
    _not_send: PhantomData<*mut ()>,
}

impl RqLocked {
    /// Asserts that the caller holds the lock of `rq`.
    ///
    /// # Safety
    ///
    /// The lock must be held for as long as the returned value exists; the
    /// core scheduler guarantees this for the duration of a class callback.
    pub(crate) unsafe fn assume(rq: *mut bindings::rq) -> RqLocked {
        // SAFETY: the caller passes a CPU's rq.
        let rq = unsafe { Rq::from_raw(rq) };
        // Without lockdep, `lockdep_assert_rq_held()` is empty: the call
        // would cost a context switch about nine calls into C for nothing.
        #[cfg(CONFIG_LOCKDEP)]
        // SAFETY: `rq` is valid; lockdep verifies the claim.
        unsafe {
            bindings::scx_helper_assert_rq_held(rq.as_ptr())
        };
        // INVARIANT: guaranteed by the caller.
        RqLocked {
            rq,
            _not_send: PhantomData,
        }
    }

    /// Drops the lock held and takes the lock of `to` instead; `self` then
    /// stands for `to`. Nothing is done if `to` is already the rq held. The
    /// lock must not be pinned (`rq_unpin_lock()`).
    ///
    /// While no rq lock is held, anything may happen to the tasks of both
    /// rqs: the caller rechecks what it relies on once it holds `to`. Taking
    /// `&mut self` makes sure nothing borrowed from the old lock survives.
    /// Callers that got `self` from the core must switch back to the rq they
    /// were called with before they return.
    pub(crate) fn switch(&mut self, to: &'static Rq) {
        if core::ptr::eq(self.rq, to) {
            return;
        }
        // SAFETY: we hold the lock of `self.rq`, by the type invariant, and
        // no other rq lock: the core nests rq locks only in
        // double_rq_lock(), which no caller of ours holds.
        unsafe {
            bindings::scx_helper_rq_unlock(self.rq.as_ptr());
            bindings::scx_helper_rq_lock(to.as_ptr());
        }
        // INVARIANT: we now hold the lock of `to`.
        self.rq = to;
    }

    /// Runs `f` with `sib` as the locked rq: an rq that shares the lock of
    /// this one, an SMT sibling's under core scheduling. Returns `false`,
    /// without running `f`, if the two do not share a lock.
    ///
    /// `f` may switch the lock like any holder; when it returns, the lock
    /// it holds is switched back to this rq's, and `&mut self` keeps
    /// anything borrowed from `self` from living across the call.
    #[cfg(CONFIG_SCHED_CORE)]
    pub(crate) fn with_sibling(&mut self, sib: &'static Rq, f: impl FnOnce(&mut RqLocked)) -> bool {
        let lockp = |rq: &Rq| {
            // SAFETY: `rq` is a CPU's rq; this reads which lock guards it,
            // which changes only with every rq lock of the core held.
            unsafe { bindings::scx_helper_rq_lockp(rq.as_ptr()) }
        };
        if lockp(sib) != lockp(self.rq) {
            return false;
        }
        // INVARIANT: we hold the lock of `self.rq`, which is `sib`'s.
        let mut s = RqLocked {
            rq: sib,
            _not_send: PhantomData,
        };
        f(&mut s);
        if lockp(s.rq) != lockp(self.rq) {
            s.switch(self.rq);
        }
        true
    }

    /// The locked rq.
    pub(crate) fn rq(&self) -> &'static Rq {
        self.rq
    }

    /// The rq-locked fields of `p`, a task on this rq, for as long as the
    /// lock is held.
    ///
    /// # Panics
    ///
    /// If `p` is not on this rq: a bug of the core, which would otherwise
    /// race with the holder of the right lock. A task on this rq stays on
    /// it while the lock is held, so for a correct caller the check cannot
    /// fail; a task that is not queued can be moved by a waker under its
    /// `pi_lock` alone, which is why callers that may hold a stale task
    /// (a mover that lost it) check `holding_cpu` first.
    pub(crate) fn task<'b>(&'b self, p: &'b Task) -> TaskScx<'b> {
        assert!(
            p.cpu() == self.cpu(),
            "sched_ext: task not on the locked rq"
        );
        // SAFETY: we hold the lock of `p`'s rq until the borrow of `self`
        // ends.
        unsafe { TaskScx::assume(p) }
    }

    /// The ext tasks queued on this rq, `rq->scx.runnable_list`, in the
    /// order they became runnable.
    ///
    /// The iterator borrows the lock mutably, so nothing can requeue a task,
    /// which would change the list under the walk, until it is dropped.
    pub(crate) fn runnable_tasks(&mut self) -> impl Iterator<Item = TaskScx<'_>> + '_ {
        let head = self.runnable_list();
        // SAFETY: we hold the lock that protects the list.
        let mut node = unsafe { (*head).next };
        core::iter::from_fn(move || {
            if node == head {
                return None;
            }
            let off = core::mem::offset_of!(bindings::task_struct, scx)
                + core::mem::offset_of!(bindings::sched_ext_entity, runnable_node);
            // SAFETY: every node on the list is the `scx.runnable_node` of a
            // queued task of this rq, which stays queued and linked while we
            // hold the lock; the exclusive borrow keeps us from unlinking it.
            let p = unsafe {
                let p = Task::from_raw((node as *mut u8).sub(off) as *const bindings::task_struct);
                node = (*node).next;
                p
            };
            // SAFETY: a task on this rq's list is on this rq, whose lock we
            // hold for as long as the iterator borrows `self`.
            Some(unsafe { TaskScx::assume(p) })
        })
    }

    /// The rq-locked fields of the task running on this CPU.
    pub(crate) fn curr_scx(&self) -> TaskScx<'_> {
        self.task(self.curr())
    }

    /// The CPU of the locked rq.
    pub(crate) fn cpu(&self) -> Cpu {
        self.rq.cpu()
    }

    /// Preemption is off while an rq lock is held.
    pub(crate) fn no_preempt(&self) -> NoPreempt<'_> {
        // SAFETY: rq locks are raw spinlocks, which disable preemption for
        // as long as they are held, and `self` proves this one is.
        unsafe { NoPreempt::assume() }
    }

    fn scx(&self) -> *mut bindings::scx_rq {
        // SAFETY: field address computation on a valid rq.
        unsafe { core::ptr::addr_of_mut!((*self.rq.as_ptr()).scx) }
    }

    /// `rq->scx.flags`.
    pub(crate) fn flags(&self) -> u32 {
        // SAFETY: we hold the rq lock, which protects the field.
        unsafe { (*self.scx()).flags }
    }

    /// Sets bits in `rq->scx.flags`.
    pub(crate) fn set_flags(&self, bits: u32) {
        // SAFETY: we hold the rq lock, which protects the field.
        unsafe { (*self.scx()).flags |= bits }
    }

    /// Clears bits in `rq->scx.flags`.
    pub(crate) fn clear_flags(&self, bits: u32) {
        // SAFETY: we hold the rq lock, which protects the field.
        unsafe { (*self.scx()).flags &= !bits }
    }

    /// Whether `ops.cpu_release()` told the BPF scheduler that it lost this
    /// CPU, and `ops.cpu_acquire()` has not yet told it that it is back.
    pub(crate) fn cpu_released(&self) -> bool {
        // SAFETY: we hold the rq lock, which protects the field.
        unsafe { (*self.scx()).cpu_released }
    }

    /// Sets [`Self::cpu_released`].
    pub(crate) fn set_cpu_released(&self, released: bool) {
        // SAFETY: we hold the rq lock, which protects the field.
        unsafe { (*self.scx()).cpu_released = released }
    }

    /// Records a scheduling cycle of this CPU for the CPUs that wait for
    /// one (`SCX_KICK_WAIT`, see `class::do_kicks()`).
    pub(crate) fn advance_pnt_seq(&self) {
        #[cfg(CONFIG_X86_64)]
        // SAFETY: we hold the rq lock, the only writer's, so the plain read
        // is the last value stored; the release store orders what this CPU
        // did before.
        unsafe {
            let seq = core::ptr::addr_of_mut!((*self.scx()).pnt_seq).cast::<usize>();
            crate::arch::store_release(seq, (*seq).wrapping_add(1));
        }
        #[cfg(not(CONFIG_X86_64))]
        // SAFETY: as above; the helper is that `smp_store_release()`.
        unsafe {
            bindings::scx_helper_pnt_seq_advance(self.rq.as_ptr())
        }
    }

    /// `rq->scx.nr_running`, and the rq's own count with it, as C's
    /// `add_nr_running()` and `sub_nr_running()` change it.
    pub(crate) fn add_nr_running(&self, delta: i32) {
        // SAFETY: we hold the rq lock, which protects both counters.
        unsafe {
            (*self.scx()).nr_running = (*self.scx()).nr_running.wrapping_add(delta as u32);
        }
        // The tracepoint and, with `CONFIG_NO_HZ_FULL`, the tick dependency
        // need C; so does every rq count change then.
        if cfg!(CONFIG_NO_HZ_FULL) || nr_running_traced() {
            // SAFETY: we hold the rq lock, as the helpers require.
            unsafe {
                if delta > 0 {
                    bindings::scx_helper_add_nr_running(self.rq.as_ptr(), delta as u32);
                } else {
                    bindings::scx_helper_sub_nr_running(self.rq.as_ptr(), (-delta) as u32);
                }
            }
            return;
        }
        // SAFETY: we hold the rq lock, which protects `rq->nr_running`.
        let prev = unsafe {
            let nr = core::ptr::addr_of_mut!((*self.rq.as_ptr()).nr_running);
            let prev = *nr;
            *nr = prev.wrapping_add(delta as u32);
            prev
        };
        // A second runnable task makes the CPU one that others may pull
        // from: C's `set_rd_overloaded()`. The flag is read and cleared
        // without the lock by the load balancer, so it is written whole,
        // and only when it changes, to keep its cache line shared.
        #[cfg(CONFIG_SMP)]
        if delta > 0 && prev < 2 && prev.wrapping_add(delta as u32) >= 2 {
            // SAFETY: `rq->rd` is valid while the rq lock is held, under
            // which it is replaced.
            unsafe {
                let flag = core::ptr::addr_of_mut!((*(*self.rq.as_ptr()).rd).overloaded);
                if !core::ptr::read_volatile(flag) {
                    core::ptr::write_volatile(flag, true);
                }
            }
        }
        #[cfg(not(CONFIG_SMP))]
        let _ = prev;
    }

    /// Enqueue flags that `activate_task()` cannot carry, set around it when
    /// a task is moved to this rq (`class::move_remote_task`).
    pub(crate) fn extra_enq_flags(&self) -> u64 {
        // SAFETY: we hold the rq lock, which protects the field.
        unsafe { (*self.scx()).extra_enq_flags }
    }

    /// Sets [`Self::extra_enq_flags`].
    pub(crate) fn set_extra_enq_flags(&self, flags: u64) {
        // SAFETY: we hold the rq lock, which protects the field.
        unsafe { (*self.scx()).extra_enq_flags = flags }
    }

    /// `rq->scx.runnable_list`.
    pub(crate) fn runnable_list(&self) -> *mut bindings::list_head {
        // SAFETY: field address computation.
        unsafe { core::ptr::addr_of_mut!((*self.scx()).runnable_list) }
    }

    /// The task running on this CPU, for as long as the lock is held.
    pub(crate) fn curr(&self) -> &Task {
        // SAFETY: `rq->curr` is always a live task while the lock is held.
        unsafe { Task::from_raw(self.rq().curr_ptr()) }
    }

    /// Whether `p` is the task running on this CPU: `task_current()`,
    /// which is `rq->curr == p` in 6.12, compared here without a call.
    pub(crate) fn is_curr(&self, p: &Task) -> bool {
        self.rq().curr_ptr() == p.as_ptr()
    }

    /// The task clock, in ns: `rq_clock_task()`, which with
    /// `CONFIG_SCHED_DEBUG` warns if the clock was not updated since the
    /// core pinned the rq lock.
    pub(crate) fn clock_task(&self) -> u64 {
        let rq = self.rq.as_ptr();
        #[cfg(CONFIG_SCHED_DEBUG)]
        // SAFETY: we hold the rq lock, which protects the flags.
        if unsafe { (*rq).clock_update_flags } < bindings::RQCF_ACT_SKIP {
            crate::warn!("rq clock read without an update, CPU {}", self.cpu().id());
        }
        // SAFETY: we hold the rq lock, which protects the clock.
        unsafe { (*rq).clock_task }
    }

    /// Unpins the rq lock that the core pinned in `rf`, before a callback
    /// that may drop it: `rq_unpin_lock()`. With `CONFIG_SCHED_DEBUG` it
    /// notes in `rf` whether the clock was updated in this pin context.
    ///
    /// # Safety
    ///
    /// `rf` must be the core's pin cookie for this rq lock, pinned.
    pub(crate) unsafe fn unpin(&self, rf: *mut bindings::rq_flags) {
        #[cfg(CONFIG_SCHED_DEBUG)]
        // SAFETY: we hold the rq lock; `rf` is valid by the caller's
        // guarantee.
        unsafe {
            if (*self.rq.as_ptr()).clock_update_flags > bindings::RQCF_ACT_SKIP {
                (*rf).clock_update_flags = bindings::RQCF_UPDATED;
            }
        }
        #[cfg(CONFIG_LOCKDEP)]
        // SAFETY: as above; lockdep's half of the unpin.
        unsafe {
            bindings::scx_helper_rq_lockdep_unpin(self.rq.as_ptr(), rf)
        };
        #[cfg(not(any(CONFIG_SCHED_DEBUG, CONFIG_LOCKDEP)))]
        let _ = rf;
    }

    /// Pins the rq lock again after [`Self::unpin`]: `rq_repin_lock()`.
    ///
    /// # Safety
    ///
    /// `rf` must be the cookie [`Self::unpin`] unpinned, and this rq lock
    /// held again.
    pub(crate) unsafe fn repin(&self, rf: *mut bindings::rq_flags) {
        #[cfg(CONFIG_LOCKDEP)]
        // SAFETY: by the caller's guarantee; lockdep's half of the repin.
        unsafe {
            bindings::scx_helper_rq_lockdep_repin(self.rq.as_ptr(), rf)
        };
        #[cfg(CONFIG_SCHED_DEBUG)]
        // SAFETY: we hold the rq lock; `rf` is valid. The flags of this pin
        // context come back.
        unsafe {
            (*self.rq.as_ptr()).clock_update_flags |= (*rf).clock_update_flags;
        }
        #[cfg(not(any(CONFIG_SCHED_DEBUG, CONFIG_LOCKDEP)))]
        let _ = rf;
    }

    /// Asks the CPU to reschedule.
    pub(crate) fn resched_curr(&self) {
        // SAFETY: we hold the rq lock, as resched_curr() requires.
        unsafe { bindings::resched_curr(self.rq.as_ptr()) }
    }

    /// Whether the CPU is online for sched_ext: both the rq and the CPU.
    pub(crate) fn online(&self) -> bool {
        self.flags() & bindings::SCX_RQ_ONLINE != 0 && self.cpu().active()
    }

    /// Whether the rq is in bypass mode.
    pub(crate) fn bypassing(&self) -> bool {
        self.flags() & bindings::SCX_RQ_BYPASSING != 0
    }
}

/// Whether the `sched_update_nr_running_tp` tracepoint is on, which C's
/// `add_nr_running()` and `sub_nr_running()` call.
fn nr_running_traced() -> bool {
    #[cfg(CONFIG_TRACEPOINTS)]
    // SAFETY: a tracepoint's static key; only its address is taken.
    unsafe {
        crate::arch::static_key_enabled(core::ptr::addr_of!(
            bindings::__tracepoint_sched_update_nr_running_tp.key
        ))
    }
    #[cfg(not(CONFIG_TRACEPOINTS))]
    false
}

/// An rq lock taken by [`Rq::lock_irqsave`], released on drop.
#[must_use = "the rq lock is released when the guard drops"]
pub(crate) struct RqIrqGuard {
    locked: RqLocked,
    flags: usize,
}

impl core::ops::Deref for RqIrqGuard {
    type Target = RqLocked;

    fn deref(&self) -> &RqLocked {
        &self.locked
    }
}

impl core::ops::DerefMut for RqIrqGuard {
    fn deref_mut(&mut self) -> &mut RqLocked {
        &mut self.locked
    }
}

impl Drop for RqIrqGuard {
    fn drop(&mut self) {
        // SAFETY: taken in `Rq::lock_irqsave` with these flags.
        unsafe {
            bindings::scx_helper_rq_unlock_irqrestore(self.locked.rq.as_ptr(), self.flags as _)
        }
    }
}

/// A task locked with `task_rq_lock()`: its `pi_lock` and its rq's lock.
#[must_use = "the locks are released when the guard drops"]
pub(crate) struct TaskRqGuard<'a> {
    p: &'a Task,
    locked: RqLocked,
    rf: bindings::rq_flags,
}

impl<'a> TaskRqGuard<'a> {
    /// Locks `p` and its rq, following the task if it migrates meanwhile.
    pub(crate) fn lock(p: &'a Task) -> Self {
        // SAFETY: `rq_flags` is plain data that task_rq_lock() fills in.
        let mut rf: bindings::rq_flags = unsafe { core::mem::zeroed() };
        // SAFETY: `p` is live; task_rq_lock() returns with both locks held.
        let rq = unsafe { bindings::task_rq_lock(p.as_ptr(), &mut rf) };
        // SAFETY: task_rq_lock() returned a locked rq.
        let rq = unsafe { Rq::from_raw(rq) };
        // INVARIANT: task_rq_lock() took the lock.
        TaskRqGuard {
            p,
            locked: RqLocked {
                rq,
                _not_send: PhantomData,
            },
            rf,
        }
    }
}

impl TaskRqGuard<'_> {
    /// The rq-locked fields of the locked task.
    pub(crate) fn task(&self) -> TaskScx<'_> {
        self.locked.task(self.p)
    }

    /// Sets the task's scheduling policy, which changes only under both of
    /// the locks we hold.
    pub(crate) fn set_policy(&self, policy: u32) {
        // SAFETY: we hold `p->pi_lock` and its rq lock.
        unsafe { (*self.p.as_ptr()).policy = policy as _ }
    }
}

impl<'a> core::ops::Deref for TaskRqGuard<'a> {
    type Target = RqLocked;

    fn deref(&self) -> &RqLocked {
        &self.locked
    }
}

impl Drop for TaskRqGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: `task_rq_lock()` took these locks with this `rf`.
        unsafe {
            bindings::scx_helper_task_rq_unlock(
                self.locked.rq.as_ptr(),
                self.p.as_ptr(),
                &mut self.rf,
            )
        }
    }
}
