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
use crate::task::Task;
use core::marker::PhantomData;
use kernel::types::Opaque;

/// `nr_cpu_ids`: one more than the highest possible CPU number.
pub(crate) fn nr_cpu_ids() -> u32 {
    // SAFETY: `nr_cpu_ids` is fixed after boot.
    unsafe { bindings::scx_helper_nr_cpu_ids() }
}

/// The possible CPUs, in increasing order.
pub(crate) fn possible_cpus() -> impl Iterator<Item = i32> {
    let mut cpu = -1;
    core::iter::from_fn(move || {
        // SAFETY: walking the possible mask has no preconditions.
        cpu = unsafe { bindings::scx_helper_next_possible_cpu(cpu) };
        ((cpu as u32) < nr_cpu_ids()).then_some(cpu)
    })
}

/// A CPU's `struct rq`.
#[repr(transparent)]
pub(crate) struct Rq(Opaque<bindings::rq>);

// SAFETY: rqs are per-CPU statics shared by all CPUs; their fields are only
// accessed under the rq lock through `RqLocked`.
unsafe impl Sync for Rq {}

impl Rq {
    /// The rq of `cpu`.
    ///
    /// `cpu` must be a possible CPU.
    pub(crate) fn of_cpu(cpu: i32) -> &'static Rq {
        // SAFETY: runqueues are per-CPU statics that live forever.
        unsafe { Rq::from_raw(bindings::scx_helper_cpu_rq(cpu)) }
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
    pub(crate) fn cpu(&self) -> i32 {
        // SAFETY: `cpu` is set at boot and never changes.
        unsafe { (*self.as_ptr()).cpu }
    }

    /// Takes the rq lock with interrupts saved and disabled, for code that
    /// holds no rq lock yet (irq_work, the bypass switch).
    pub(crate) fn lock_irqsave(&self) -> RqIrqGuard<'_> {
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

    /// The local DSQ. Only the lock holder may touch its queue.
    pub(crate) fn local_dsq(&self) -> &Dsq {
        // SAFETY: the local DSQ is embedded in the rq, which lives forever.
        unsafe { Dsq::from_raw(core::ptr::addr_of_mut!((*self.as_ptr()).scx.local_dsq)) }
    }

    /// Whether this rq is in bypass mode. May be read without the lock: a
    /// stale answer only delays the switch by one scheduling event.
    pub(crate) fn bypassing(&self) -> bool {
        // SAFETY: plain read of a word-sized field, as the C code does.
        let flags =
            unsafe { core::ptr::read_volatile(core::ptr::addr_of!((*self.as_ptr()).scx.flags)) };
        flags & bindings::SCX_RQ_BYPASSING != 0
    }
}

/// Evidence that the current CPU holds the lock of `rq`.
///
/// # Invariants
///
/// The rq lock of `rq` is held for as long as this value exists.
pub(crate) struct RqLocked<'a> {
    rq: &'a Rq,
    _not_send: PhantomData<*mut ()>,
}

impl<'a> RqLocked<'a> {
    /// Asserts that the caller holds the lock of `rq`.
    ///
    /// # Safety
    ///
    /// The lock must be held for the lifetime of the returned value; the core
    /// scheduler guarantees this for the duration of a class callback.
    pub(crate) unsafe fn assume(rq: *mut bindings::rq) -> RqLocked<'static> {
        // SAFETY: the caller passes a CPU's rq.
        let rq = unsafe { Rq::from_raw(rq) };
        // SAFETY: `rq` is valid; lockdep verifies the claim.
        unsafe { bindings::scx_helper_assert_rq_held(rq.as_ptr()) };
        // INVARIANT: guaranteed by the caller.
        RqLocked {
            rq,
            _not_send: PhantomData,
        }
    }

    /// The locked rq.
    pub(crate) fn rq(&self) -> &'a Rq {
        self.rq
    }

    /// The CPU of the locked rq.
    pub(crate) fn cpu(&self) -> i32 {
        self.rq.cpu()
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

    /// `rq->scx.nr_running`.
    pub(crate) fn add_nr_running(&self, delta: i32) {
        // SAFETY: we hold the rq lock, which protects both counters.
        unsafe {
            (*self.scx()).nr_running = (*self.scx()).nr_running.wrapping_add(delta as u32);
            if delta > 0 {
                bindings::scx_helper_add_nr_running(self.rq.as_ptr(), delta as u32);
            } else {
                bindings::scx_helper_sub_nr_running(self.rq.as_ptr(), (-delta) as u32);
            }
        }
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

    /// The task running on this CPU.
    pub(crate) fn curr(&self) -> &'a Task {
        // SAFETY: `rq->curr` is always a live task while the lock is held.
        unsafe { Task::from_raw(bindings::scx_helper_rq_curr(self.rq.as_ptr())) }
    }

    /// Whether `p` is the task running on this CPU.
    pub(crate) fn is_curr(&self, p: &Task) -> bool {
        // SAFETY: both pointers are valid.
        unsafe { bindings::scx_helper_task_current(self.rq.as_ptr(), p.as_ptr()) }
    }

    /// The task clock, in ns.
    pub(crate) fn clock_task(&self) -> u64 {
        // SAFETY: we hold the rq lock.
        unsafe { bindings::scx_helper_rq_clock_task(self.rq.as_ptr()) }
    }

    /// Asks the CPU to reschedule.
    pub(crate) fn resched_curr(&self) {
        // SAFETY: we hold the rq lock, as resched_curr() requires.
        unsafe { bindings::resched_curr(self.rq.as_ptr()) }
    }

    /// Whether the CPU is online for sched_ext: both the rq and the CPU.
    pub(crate) fn online(&self) -> bool {
        // SAFETY: `cpu_active()` only reads a cpumask.
        self.flags() & bindings::SCX_RQ_ONLINE != 0
            && unsafe { bindings::scx_helper_cpu_active(self.cpu()) }
    }

    /// Whether the rq is in bypass mode.
    pub(crate) fn bypassing(&self) -> bool {
        self.flags() & bindings::SCX_RQ_BYPASSING != 0
    }
}

/// An rq lock taken by [`Rq::lock_irqsave`], released on drop.
#[must_use = "the rq lock is released when the guard drops"]
pub(crate) struct RqIrqGuard<'a> {
    locked: RqLocked<'a>,
    flags: usize,
}

impl<'a> core::ops::Deref for RqIrqGuard<'a> {
    type Target = RqLocked<'a>;

    fn deref(&self) -> &RqLocked<'a> {
        &self.locked
    }
}

impl Drop for RqIrqGuard<'_> {
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
    locked: RqLocked<'a>,
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

impl<'a> core::ops::Deref for TaskRqGuard<'a> {
    type Target = RqLocked<'a>;

    fn deref(&self) -> &RqLocked<'a> {
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
