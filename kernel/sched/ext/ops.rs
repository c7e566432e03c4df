// SPDX-License-Identifier: GPL-2.0

//! The loaded BPF scheduler's callbacks.
//!
//! `bpf_scx_reg()` hands the core the `struct sched_ext_ops` that the BPF
//! link built. The core copies it and publishes the copy with RCU
//! ([`install`]); during disable it publishes the empty table again and
//! frees the copy after a grace period ([`clear`]). Readers borrow the
//! table for as long as they can prove it stays: preemption disabled (an
//! RCU read-side section, [`get`]), the enable mutex held ([`get_enabling`],
//! as `clear` runs under it), or, with [`get_unchecked`], a reason of their
//! own that they state.
//!
//! Each function below calls one callback inside the kfunc context the
//! callback runs in ([`kf::scoped`]), and returns `None` if the scheduler does
//! not implement it.

use crate::bindings;
use crate::enable::EnableLocked;
use crate::kf::{self, KfMask};
use crate::pcpu::NoPreempt;
use crate::task::Task;
use core::cell::UnsafeCell;
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::prelude::*;

/// The table of no scheduler: every callback `None`.
struct Empty(UnsafeCell<MaybeUninit<bindings::sched_ext_ops>>);

// SAFETY: never written.
unsafe impl Sync for Empty {}

static EMPTY: Empty = Empty(UnsafeCell::new(MaybeUninit::zeroed()));

/// The published table.
///
/// # Invariants
///
/// Points to `EMPTY` or to the table of an [`Installed`] that [`install`]
/// allocated and that only [`clear`] frees: it publishes `EMPTY` again
/// with the enable mutex held, waits for the CPU hotplug callbacks, and
/// frees the table an RCU grace period later.
static CURRENT: AtomicPtr<bindings::sched_ext_ops> = AtomicPtr::new(EMPTY.0.get().cast());

/// A borrow of the published table, valid for `'a`.
#[derive(Clone, Copy)]
pub(crate) struct Ops<'a>(&'a bindings::sched_ext_ops);

/// The table, for as long as preemption stays disabled.
pub(crate) fn get(_np: NoPreempt<'_>) -> Ops<'_> {
    // SAFETY: `clear` frees a table only an RCU grace period after it
    // unpublished it, and a grace period cannot end while `_np` lives.
    unsafe { get_unchecked() }
}

/// The table, for the holder of the enable mutex, which `clear` needs.
pub(crate) fn get_enabling(_g: &EnableLocked) -> Ops<'_> {
    // SAFETY: `clear` runs with the enable mutex held, which `_g` holds.
    unsafe { get_unchecked() }
}

/// The table, for a reader that can show in its own terms that `clear`
/// does not free it during `'a`.
///
/// # Safety
///
/// `clear` must not run during `'a`.
pub(crate) unsafe fn get_unchecked<'a>() -> Ops<'a> {
    // Pairs with the release in `install`: the copy is complete.
    let p = CURRENT.load(Ordering::Acquire);
    // SAFETY: `p` is `EMPTY`, all-zero and never written, which is a valid
    // table, or a table from `install` that the caller keeps from being
    // freed.
    Ops(unsafe { &*p })
}

/// A table that [`install`] allocated, with what frees it after a grace
/// period.
#[repr(C)]
struct Installed {
    /// The copy. First, so that the address [`CURRENT`] holds is also the
    /// allocation's.
    ops: bindings::sched_ext_ops,
    /// For `call_rcu()` in [`clear`].
    rcu: bindings::callback_head,
}

/// Publishes a copy of `ops`, the table of a scheduler being enabled.
pub(crate) fn install(_g: &mut EnableLocked, ops: &bindings::sched_ext_ops) -> Result {
    let copy = KBox::new(
        Installed {
            // SAFETY: `ops` is a valid table; a bitwise copy of plain data.
            ops: unsafe { core::ptr::read(ops) },
            // SAFETY: an `rcu_head` is plain data that `call_rcu()`
            // initialises; all-zero is a valid value of it.
            rcu: unsafe { core::mem::zeroed() },
        },
        GFP_KERNEL,
    )?;
    let table = KBox::into_raw(copy).cast::<bindings::sched_ext_ops>();
    let old = CURRENT.swap(table, Ordering::AcqRel);
    // Only `clear`, under the mutex we hold, publishes `EMPTY` again.
    if old != EMPTY.0.get().cast() {
        crate::warn!("a scheduler table was already installed");
    }
    Ok(())
}

/// Frees a table that [`clear`] unpublished, a grace period later.
///
/// # Safety
///
/// `head` must be the `rcu` member of an [`Installed`] that [`install`]
/// allocated and [`clear`] unpublished.
unsafe extern "C" fn free_installed(head: *mut bindings::callback_head) {
    let off = core::mem::offset_of!(Installed, rcu);
    // SAFETY: `head` is the `rcu` member of an `Installed` from
    // `KBox::into_raw` in `install`; after the grace period no reader holds
    // it (see `clear`).
    drop(unsafe { KBox::from_raw(head.cast::<u8>().sub(off).cast::<Installed>()) });
}

/// Publishes the empty table, and frees the scheduler's once no reader can
/// hold it any more.
///
/// `&mut` ends every [`Ops`] that [`get_enabling`] handed out under the
/// same guard before the table can be freed.
///
/// The free waits for readers with preemption disabled: one grace period.
/// It does not wait here: `call_rcu()` frees the table after it, so that
/// the next scheduler can attach at once. C's `scx_ops` is a static that
/// the disable path clears in place, without a grace period; a copy that
/// readers may still hold is freed after one, which costs the disable path
/// a grace period it would otherwise sleep through (40-50 ms per detach in
/// the reload_loop selftest, under TCG).
pub(crate) fn clear(_g: &mut EnableLocked) {
    let old = CURRENT.swap(EMPTY.0.get().cast(), Ordering::AcqRel);
    if old == EMPTY.0.get().cast() {
        return;
    }
    // Hotplug callbacks (`get_unchecked` in `enable::hotplug`) run with
    // the hotplug lock held for writing, and may sleep, so no grace period
    // covers them: taking the lock for reading waits for those in flight,
    // and later ones see `EMPTY`.
    // SAFETY: process context, no lock that the hotplug lock could wait on
    // is held.
    unsafe {
        bindings::cpus_read_lock();
        bindings::cpus_read_unlock();
    }
    let installed = old.cast::<Installed>();
    // SAFETY: `old` is not `EMPTY`, so it came from `install`, which
    // allocated it as an `Installed`; nothing else queues its `rcu`, as
    // only this call unpublished it. Readers that loaded it with
    // preemption disabled finish within the grace period.
    unsafe {
        bindings::call_rcu(
            core::ptr::addr_of_mut!((*installed).rcu),
            Some(free_installed),
        )
    };
}

impl<'a> Ops<'a> {
    /// The table.
    pub(crate) fn table(self) -> &'a bindings::sched_ext_ops {
        self.0
    }

    /// The scheduler's name.
    pub(crate) fn name(self) -> &'a kernel::str::CStr {
        // SAFETY: init_member() copied a NUL-terminated name, or the table
        // is zeroed, which reads as "".
        unsafe { kernel::str::CStr::from_char_ptr(self.0.name.as_ptr()) }
    }

    /// Whether the scheduler set `flag` in `sched_ext_ops.flags`.
    pub(crate) fn has_flag(self, flag: u64) -> bool {
        self.0.flags & flag != 0
    }
}

macro_rules! ops_call {
    // A callback about one or two tasks, which the kfuncs that may only
    // touch those tasks check against (`kf::allowed_on_arg_tasks`).
    ($(#[$doc:meta])* $name:ident => $field:ident, $mask:expr, on [$t0:expr, $t1:expr],
     ($($arg:ident: $ty:ty => $conv:expr),*) -> $ret:ty) => {
        $(#[$doc])*
        pub(crate) fn $name(self, $($arg: $ty),*) -> Option<$ret> {
            let f = self.0.$field?;
            let tasks: [*mut bindings::task_struct; 2] = [$t0, $t1];
            // SAFETY: the verifier checked the BPF program against this
            // callback's prototype, and every pointer passed is live for the
            // duration of the call.
            Some(kf::scoped_on($mask, tasks, || unsafe { f($($conv,)*) }))
        }
    };
    ($(#[$doc:meta])* $name:ident => $field:ident, $mask:expr,
     ($($arg:ident: $ty:ty => $conv:expr),* $(; $extra:expr)?) -> $ret:ty) => {
        $(#[$doc])*
        pub(crate) fn $name(self, $($arg: $ty),*) -> Option<$ret> {
            let f = self.0.$field?;
            // SAFETY: the verifier checked the BPF program against this
            // callback's prototype, and every pointer passed is live for the
            // duration of the call.
            Some(kf::scoped($mask, || unsafe { f($($conv,)* $($extra)?) }))
        }
    };
}

/// The callbacks, each called in its kfunc context; `None` if the
/// scheduler does not implement it.
impl Ops<'_> {
    ops_call!(
        /// `ops.select_cpu()`: where to wake `p` up.
        select_cpu => select_cpu, KfMask::ENQUEUE.or(KfMask::SELECT_CPU),
        on [p.as_ptr(), core::ptr::null_mut()],
        (p: &Task => p.as_ptr(), prev_cpu: i32 => prev_cpu, wake_flags: u64 => wake_flags) -> i32
    );
    ops_call!(
        /// `ops.enqueue()`: `p` became runnable or used up its slice.
        enqueue => enqueue, KfMask::ENQUEUE, on [p.as_ptr(), core::ptr::null_mut()],
        (p: &Task => p.as_ptr(), enq_flags: u64 => enq_flags) -> ()
    );
    ops_call!(
        /// `ops.dequeue()`: `p` left the BPF scheduler's custody.
        dequeue => dequeue, KfMask::REST, on [p.as_ptr(), core::ptr::null_mut()],
        (p: &Task => p.as_ptr(), deq_flags: u64 => deq_flags) -> ()
    );
    ops_call!(
        /// `ops.dispatch()`: `cpu` ran out of tasks.
        dispatch => dispatch, KfMask::DISPATCH,
        (
            cpu: i32 => cpu,
            prev: Option<&Task> => prev.map_or(core::ptr::null_mut(), |p| p.as_ptr())
        ) -> ()
    );
    ops_call!(
        /// `ops.tick()`: a tick hit `p`.
        tick => tick, KfMask::REST, on [p.as_ptr(), core::ptr::null_mut()],
        (p: &Task => p.as_ptr()) -> ()
    );
    ops_call!(
        /// `ops.runnable()`.
        runnable => runnable, KfMask::REST, on [p.as_ptr(), core::ptr::null_mut()],
        (p: &Task => p.as_ptr(), enq_flags: u64 => enq_flags) -> ()
    );
    ops_call!(
        /// `ops.running()`.
        running => running, KfMask::REST, on [p.as_ptr(), core::ptr::null_mut()],
        (p: &Task => p.as_ptr()) -> ()
    );
    ops_call!(
        /// `ops.stopping()`.
        stopping => stopping, KfMask::REST, on [p.as_ptr(), core::ptr::null_mut()],
        (p: &Task => p.as_ptr(), runnable: bool => runnable) -> ()
    );
    ops_call!(
        /// `ops.quiescent()`.
        quiescent => quiescent, KfMask::REST, on [p.as_ptr(), core::ptr::null_mut()],
        (p: &Task => p.as_ptr(), deq_flags: u64 => deq_flags) -> ()
    );
    ops_call!(
        /// `ops.yield()`.
        yield_ => yield_, KfMask::REST,
        on [from.as_ptr(), to.map_or(core::ptr::null_mut(), |p| p.as_ptr())],
        (
            from: &Task => from.as_ptr(),
            to: Option<&Task> => to.map_or(core::ptr::null_mut(), |p| p.as_ptr())
        ) -> bool
    );
    ops_call!(
        /// `ops.set_weight()`.
        set_weight => set_weight, KfMask::REST, on [p.as_ptr(), core::ptr::null_mut()],
        (p: &Task => p.as_ptr(), weight: u32 => weight) -> ()
    );
    ops_call!(
        /// `ops.set_cpumask()`.
        set_cpumask => set_cpumask, KfMask::REST, on [p.as_ptr(), core::ptr::null_mut()],
        (p: &Task => p.as_ptr(), mask: *const bindings::cpumask => mask) -> ()
    );
    ops_call!(
        /// `ops.update_idle()`.
        update_idle => update_idle, KfMask::REST,
        (cpu: i32 => cpu, idle: bool => idle) -> ()
    );
    ops_call!(
        /// `ops.cpu_acquire()`: `cpu` is back from a higher class. The
        /// argument struct is empty; C passes NULL, and so do we.
        cpu_acquire => cpu_acquire, KfMask::REST,
        (cpu: i32 => cpu; core::ptr::null_mut()) -> ()
    );
    ops_call!(
        /// `ops.cpu_release()`: a higher class took `cpu`.
        cpu_release => cpu_release, KfMask::CPU_RELEASE,
        (cpu: i32 => cpu, args: &mut bindings::scx_cpu_release_args => args) -> ()
    );
    ops_call!(
        /// `ops.init_task()`.
        init_task => init_task, KfMask::UNLOCKED,
        (p: &Task => p.as_ptr(), args: &mut bindings::scx_init_task_args => args) -> i32
    );
    ops_call!(
        /// `ops.exit_task()`.
        exit_task => exit_task, KfMask::REST, on [p.as_ptr(), core::ptr::null_mut()],
        (p: &Task => p.as_ptr(), args: &mut bindings::scx_exit_task_args => args) -> ()
    );
    ops_call!(
        /// `ops.enable()`.
        enable => enable, KfMask::REST, on [p.as_ptr(), core::ptr::null_mut()],
        (p: &Task => p.as_ptr()) -> ()
    );
    ops_call!(
        /// `ops.disable()`.
        disable => disable, KfMask::REST, on [p.as_ptr(), core::ptr::null_mut()],
        (p: &Task => p.as_ptr()) -> ()
    );
    ops_call!(
        /// `ops.dump()`: the scheduler's part of a debug dump.
        dump => dump, KfMask::UNLOCKED,
        (ctx: *mut bindings::scx_dump_ctx => ctx) -> ()
    );
    ops_call!(
        /// `ops.dump_cpu()`: its part of the dump of `cpu`.
        dump_cpu => dump_cpu, KfMask::REST,
        (ctx: *mut bindings::scx_dump_ctx => ctx, cpu: i32 => cpu, idle: bool => idle) -> ()
    );
    ops_call!(
        /// `ops.dump_task()`: its part of the dump of `p`.
        dump_task => dump_task, KfMask::REST,
        (ctx: *mut bindings::scx_dump_ctx => ctx, p: &Task => p.as_ptr()) -> ()
    );
    ops_call!(
        /// `ops.cpu_online()`.
        cpu_online => cpu_online, KfMask::UNLOCKED,
        (cpu: i32 => cpu) -> ()
    );
    ops_call!(
        /// `ops.cpu_offline()`.
        cpu_offline => cpu_offline, KfMask::UNLOCKED,
        (cpu: i32 => cpu) -> ()
    );
    ops_call!(
        #[cfg(CONFIG_SCHED_CORE)]
        /// `ops.core_sched_before()`: whether `a` should run before `b`
        /// under core scheduling.
        core_sched_before => core_sched_before, KfMask::REST, on [a.as_ptr(), b.as_ptr()],
        (a: &Task => a.as_ptr(), b: &Task => b.as_ptr()) -> bool
    );
    ops_call!(
        #[cfg(CONFIG_EXT_GROUP_SCHED)]
        /// `ops.cgroup_init()`: `cgrp` came online, or the scheduler is
        /// being loaded. May sleep.
        cgroup_init => cgroup_init, KfMask::UNLOCKED,
        (
            cgrp: *mut bindings::cgroup => cgrp,
            args: &mut bindings::scx_cgroup_init_args => args
        ) -> i32
    );
    ops_call!(
        #[cfg(CONFIG_EXT_GROUP_SCHED)]
        /// `ops.cgroup_exit()`.
        cgroup_exit => cgroup_exit, KfMask::UNLOCKED,
        (cgrp: *mut bindings::cgroup => cgrp) -> ()
    );
    ops_call!(
        #[cfg(CONFIG_EXT_GROUP_SCHED)]
        /// `ops.cgroup_prep_move()`: `p` is about to move from `from` to
        /// `to`; an error fails the migration.
        cgroup_prep_move => cgroup_prep_move, KfMask::UNLOCKED,
        (
            p: &Task => p.as_ptr(),
            from: *mut bindings::cgroup => from,
            to: *mut bindings::cgroup => to
        ) -> i32
    );
    ops_call!(
        #[cfg(CONFIG_EXT_GROUP_SCHED)]
        /// `ops.cgroup_move()`: `p` moved, with its rq locked.
        cgroup_move => cgroup_move, KfMask::UNLOCKED, on [p.as_ptr(), core::ptr::null_mut()],
        (
            p: &Task => p.as_ptr(),
            from: *mut bindings::cgroup => from,
            to: *mut bindings::cgroup => to
        ) -> ()
    );
    ops_call!(
        #[cfg(CONFIG_EXT_GROUP_SCHED)]
        /// `ops.cgroup_cancel_move()`: a prepared move did not happen.
        cgroup_cancel_move => cgroup_cancel_move, KfMask::UNLOCKED,
        (
            p: &Task => p.as_ptr(),
            from: *mut bindings::cgroup => from,
            to: *mut bindings::cgroup => to
        ) -> ()
    );
    ops_call!(
        #[cfg(CONFIG_EXT_GROUP_SCHED)]
        /// `ops.cgroup_set_weight()`.
        cgroup_set_weight => cgroup_set_weight, KfMask::UNLOCKED,
        (cgrp: *mut bindings::cgroup => cgrp, weight: u32 => weight) -> ()
    );
    ops_call!(
        /// `ops.init()`.
        init => init, KfMask::UNLOCKED,
        () -> i32
    );
    ops_call!(
        /// `ops.exit()`.
        exit => exit, KfMask::UNLOCKED,
        (ei: *mut bindings::scx_exit_info => ei) -> ()
    );
}
