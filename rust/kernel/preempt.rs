// SPDX-License-Identifier: GPL-2.0

//! Preemption.
//!
//! While preemption is disabled, the current task stays on its CPU, so
//! per-CPU data of "this CPU" stays this CPU's, and an RCU grace period
//! cannot end (disabling preemption is an RCU read-side critical section),
//! as long as nothing in the section sleeps: like C, these types cannot
//! stop code inside the section from calling something that sleeps, which
//! would be a bug (and a "scheduling while atomic" report). [`NoPreempt`]
//! is the evidence that preemption is disabled, for code that relies on
//! it, and [`Guard`] disables preemption for code that holds nothing that
//! does.
//!
//! C header: [`include/linux/preempt.h`](srctree/include/linux/preempt.h)

use crate::bindings;
use core::marker::PhantomData;

/// Evidence that preemption is disabled on the current CPU for `'a`.
///
/// It can be copied and handed down to the functions that need it; none of
/// the copies can outlive `'a`, or leave the CPU it was made on.
///
/// # Invariants
///
/// Preemption stays disabled on the CPU that made the value for all of `'a`.
/// The value is not `Send`.
///
/// # Examples
///
/// ```
/// use kernel::preempt;
///
/// let guard = preempt::Guard::new();
/// let np = guard.no_preempt();
/// // The CPU cannot change while `np` lives.
/// assert_eq!(np.cpu(), np.cpu());
/// ```
#[derive(Clone, Copy)]
pub struct NoPreempt<'a>(PhantomData<(&'a (), *mut ())>);

impl<'a> NoPreempt<'a> {
    /// Asserts that preemption is disabled, for code that the kernel calls
    /// with preemption disabled: a raw spinlock held, interrupts off, or an
    /// explicit `preempt_disable()`. (A `spinlock_t` does not disable
    /// preemption on PREEMPT_RT.)
    ///
    /// With `CONFIG_PROVE_LOCKING`, lockdep checks that it is disabled now.
    ///
    /// # Safety
    ///
    /// Preemption must stay disabled on this CPU for all of `'a`.
    #[inline]
    pub unsafe fn assume() -> Self {
        // The assertion is empty without `CONFIG_PROVE_LOCKING`: skip the
        // call into C then, as C code does not make one either.
        #[cfg(CONFIG_PROVE_LOCKING)]
        // SAFETY: only an assertion.
        unsafe {
            bindings::lockdep_assert_preemption_disabled()
        };
        // INVARIANT: guaranteed by the caller.
        NoPreempt(PhantomData)
    }

    /// The CPU this code runs on, which cannot change while `self` lives.
    /// With `CONFIG_DEBUG_PREEMPT`, `smp_processor_id()` checks that.
    #[inline]
    pub fn cpu(self) -> u32 {
        // SAFETY: preemption is disabled, by the type invariant, so the CPU
        // number is stable.
        unsafe { bindings::smp_processor_id() }
    }
}

/// Preemption disabled from [`Guard::new`] until the guard is dropped.
///
/// # Invariants
///
/// The guard was made by [`Guard::new`], whose `preempt_disable()` is
/// undone on drop. It is not `Send`: it must be dropped on its own CPU.
#[must_use = "preemption is enabled again when the guard is dropped"]
pub struct Guard(PhantomData<*mut ()>);

impl Guard {
    /// Disables preemption.
    #[inline]
    pub fn new() -> Self {
        // SAFETY: paired with the `preempt_enable()` in `drop`.
        unsafe { bindings::preempt_disable() };
        // INVARIANT: preemption disabled just above.
        Guard(PhantomData)
    }

    /// Evidence that preemption is disabled, for as long as the guard is
    /// borrowed.
    #[inline]
    pub fn no_preempt(&self) -> NoPreempt<'_> {
        // SAFETY: the guard keeps preemption disabled until it is dropped,
        // which the borrow of `self` prevents for the lifetime returned.
        unsafe { NoPreempt::assume() }
    }
}

impl Default for Guard {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Guard {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: disabled in `new`, by the type invariant.
        unsafe { bindings::preempt_enable() };
    }
}
