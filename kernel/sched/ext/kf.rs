// SPDX-License-Identifier: GPL-2.0

//! kfunc contexts: `current->scx.kf_mask`.
//!
//! The verifier lets every struct_ops program call every sched_ext kfunc, but
//! most kfuncs are only meaningful inside particular callbacks: dispatching
//! needs the dispatch buffer of `ops.dispatch()`, `scx_bpf_select_cpu_dfl()`
//! needs to run during a wakeup, and so on. Before calling a BPF callback the
//! core sets the bits for the callback's context in `current->scx.kf_mask`
//! ([`scoped`]), and each kfunc checks them ([`allowed`]).
//!
//! Callbacks nest: `ops.dispatch()` can make the core dequeue a task, which
//! calls `ops.dequeue()`. Nesting is only allowed towards higher bits, so a
//! kfunc can tell from the highest bit set which callback is innermost.

use crate::bindings;
use crate::task::Task;

/// A set of `SCX_KF_*` bits.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct KfMask(pub(crate) u32);

impl KfMask {
    /// Sleepable callbacks that hold no rq lock: `ops.init()` and friends.
    pub(crate) const UNLOCKED: KfMask = KfMask(bindings::SCX_KF_UNLOCKED);
    /// `ops.cpu_release()`.
    pub(crate) const CPU_RELEASE: KfMask = KfMask(bindings::SCX_KF_CPU_RELEASE);
    /// `ops.dispatch()`.
    pub(crate) const DISPATCH: KfMask = KfMask(bindings::SCX_KF_DISPATCH);
    /// `ops.enqueue()`, and `ops.select_cpu()` with [`Self::SELECT_CPU`].
    pub(crate) const ENQUEUE: KfMask = KfMask(bindings::SCX_KF_ENQUEUE);
    /// `ops.select_cpu()`.
    pub(crate) const SELECT_CPU: KfMask = KfMask(bindings::SCX_KF_SELECT_CPU);
    /// Every other callback that runs under an rq lock.
    pub(crate) const REST: KfMask = KfMask(bindings::SCX_KF_REST);
    /// Any callback that runs under an rq lock.
    #[cfg(CONFIG_EXT_GROUP_SCHED)]
    pub(crate) const RQ_LOCKED: KfMask = KfMask(bindings::__SCX_KF_RQ_LOCKED);

    /// The union of two masks.
    pub(crate) const fn or(self, other: KfMask) -> KfMask {
        KfMask(self.0 | other.0)
    }

    /// The bits above the highest bit of `self`.
    fn higher_bits(self) -> u32 {
        match self.0 {
            0 => u32::MAX,
            m => {
                let top = 31 - m.leading_zeros();
                if top == 31 {
                    0
                } else {
                    !((1u32 << (top + 1)) - 1)
                }
            }
        }
    }

    /// The highest bit of `self`, or 0.
    fn highest_bit(self) -> u32 {
        match self.0 {
            0 => 0,
            m => 1 << (31 - m.leading_zeros()),
        }
    }

    /// Whether a callback with mask `inner` may run while `self` is set.
    ///
    /// Only callbacks of a higher context may nest: none of the bits of
    /// `inner` nor any bit above them may already be set.
    pub(crate) fn can_nest(self, inner: KfMask) -> bool {
        (inner.0 | inner.higher_bits()) & self.0 == 0
    }

    /// Whether a kfunc that needs one of the bits of `required` may run in
    /// the context `self`.
    pub(crate) fn check(self, required: KfMask) -> Result<(), KfDenied> {
        if self.0 & required.0 == 0 {
            return Err(KfDenied::Context);
        }
        // A kfunc of an outer context must not run from a callback nested in
        // it: e.g. scx_bpf_consume() from ops.dequeue() called by the core in
        // the middle of ops.dispatch().
        let top = required.highest_bit();
        if top == Self::CPU_RELEASE.0 && self.0 & Self::CPU_RELEASE.higher_bits() != 0 {
            return Err(KfDenied::NestedCpuRelease);
        }
        if top == Self::DISPATCH.0 && self.0 & Self::DISPATCH.higher_bits() != 0 {
            return Err(KfDenied::NestedDispatch);
        }
        Ok(())
    }
}

/// Why [`KfMask::check`] refused a kfunc.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum KfDenied {
    /// None of the required bits is set.
    Context,
    /// A `ops.cpu_release()` kfunc from a callback nested in it.
    NestedCpuRelease,
    /// A `ops.dispatch()` kfunc from a callback nested in it.
    NestedDispatch,
}

/// The calling task's context.
pub(crate) fn current_mask() -> KfMask {
    KfMask(Task::current().kf_mask())
}

/// Checks that the calling BPF program may use a kfunc that needs `required`.
///
/// On failure the scheduler is ejected with the reason, as for any other
/// error of the BPF scheduler, and the kfunc must do nothing.
///
/// Every kfunc that needs a context starts here, so the check is inline
/// and the error path is not.
#[inline(always)]
pub(crate) fn allowed(required: KfMask) -> bool {
    let cur = current_mask();
    match cur.check(required) {
        Ok(()) => true,
        Err(why) => denied(required, cur, why),
    }
}

/// Ejects the scheduler for a kfunc that [`allowed`] refused.
#[cold]
#[inline(never)]
fn denied(required: KfMask, cur: KfMask, why: KfDenied) -> bool {
    match why {
        KfDenied::Context => {
            crate::scx_error!(
                "kfunc with mask {:#x} called from an operation only allowing {:#x}",
                required.0,
                cur.0
            );
            false
        }
        KfDenied::NestedCpuRelease => {
            crate::scx_error!("cpu_release kfunc called from a nested operation");
            false
        }
        KfDenied::NestedDispatch => {
            crate::scx_error!("dispatch kfunc called from a nested operation");
            false
        }
    }
}

/// Checks, as [`allowed`], that the calling BPF program may use a kfunc that
/// needs `required`, and also that `p` is one of the tasks the running
/// callback was called on ([`scoped_on`]).
///
/// Such a kfunc relies on the lock the core holds for the callback's task
/// (its rq lock), which says nothing about any other task.
#[cfg(CONFIG_EXT_GROUP_SCHED)]
pub(crate) fn allowed_on_arg_tasks(required: KfMask, p: &Task) -> bool {
    if !allowed(required) {
        return false;
    }
    let tasks = Task::current().kf_tasks();
    if p.as_ptr() != tasks[0] && p.as_ptr() != tasks[1] {
        crate::scx_error!("called on a task not being operated on");
        return false;
    }
    true
}

/// Runs `f`, a call into the BPF scheduler about `tasks`, in the kfunc
/// context `mask`: as [`scoped`], and with the tasks recorded in
/// `current->scx.kf_tasks` for [`allowed_on_arg_tasks`].
///
/// A callback nested in another one (`ops.dequeue()` inside
/// `ops.dispatch()`) records its own tasks, and the outer callback's are
/// back once it returns.
pub(crate) fn scoped_on<R>(
    mask: KfMask,
    tasks: [*mut bindings::task_struct; 2],
    f: impl FnOnce() -> R,
) -> R {
    let cur = Task::current();
    let old = cur.kf_tasks();
    cur.set_kf_tasks(tasks);
    let r = scoped(mask, f);
    cur.set_kf_tasks(old);
    r
}

/// Runs `f`, a call into the BPF scheduler, in the kfunc context `mask`.
///
/// The bits are set in `current->scx.kf_mask` before `f` and cleared after
/// it. A closure rather than a guard the caller keeps:
/// a guard bound to `_` would drop, and clear the mask, before the call it
/// was meant to cover. `mask` 0 ([`KfMask::UNLOCKED`]) sets nothing.
///
/// It wraps every call into the BPF scheduler, several times a context
/// switch, so it is inline, as C's `scx_kf_allow()` is.
#[inline(always)]
pub(crate) fn scoped<R>(mask: KfMask, f: impl FnOnce() -> R) -> R {
    let _scope = KfScope::enter(mask);
    f()
}

/// The bits of one [`scoped`] call, cleared on drop.
#[must_use]
struct KfScope {
    mask: KfMask,
}

impl KfScope {
    #[inline(always)]
    fn enter(mask: KfMask) -> Self {
        let cur = Task::current();
        let old = KfMask(cur.kf_mask());
        if !old.can_nest(mask) {
            Self::bad_nesting(mask, old);
        }
        cur.set_kf_mask(old.0 | mask.0);
        // The mask is read by kfuncs called from the BPF program, on this
        // CPU; only the compiler could reorder the accesses.
        core::sync::atomic::compiler_fence(core::sync::atomic::Ordering::SeqCst);
        KfScope { mask }
    }

    /// Warns of a callback called in a context it may not nest in.
    #[cold]
    #[inline(never)]
    fn bad_nesting(mask: KfMask, old: KfMask) {
        crate::warn!(
            "invalid nesting of kf_mask {:#x} inside {:#x}",
            mask.0,
            old.0
        );
    }
}

impl Drop for KfScope {
    #[inline(always)]
    fn drop(&mut self) {
        core::sync::atomic::compiler_fence(core::sync::atomic::Ordering::SeqCst);
        let cur = Task::current();
        cur.set_kf_mask(cur.kf_mask() & !self.mask.0);
    }
}
