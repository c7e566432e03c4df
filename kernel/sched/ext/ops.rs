// SPDX-License-Identifier: GPL-2.0

//! The loaded BPF scheduler's callbacks.
//!
//! `bpf_scx_reg()` hands the core the `struct sched_ext_ops` that the BPF
//! link built; the core copies it here while no scheduler is loaded, and
//! zeroes it again once the last callback has returned during disable (see
//! `enable::disable_workfn`). In between the table is read-only, so shared
//! references to it are sound.
//!
//! Each function below calls one callback inside the kfunc context the
//! callback runs in ([`kf::scoped`]), and returns `None` if the scheduler does
//! not implement it.

use crate::bindings;
use crate::kf::{self, KfMask};
use crate::task::Task;
use core::cell::UnsafeCell;
use core::mem::MaybeUninit;

/// The copy of the loaded `struct sched_ext_ops`.
///
/// # Invariants
///
/// Written only by `install()` and `clear()`, which run with the enable
/// mutex held while no callback can be running or start.
struct OpsTable(UnsafeCell<MaybeUninit<bindings::sched_ext_ops>>);

// SAFETY: see the invariants: the table is read-only while shared.
unsafe impl Sync for OpsTable {}

static OPS: OpsTable = OpsTable(UnsafeCell::new(MaybeUninit::zeroed()));

/// The loaded table. All-zero (no callbacks) when no scheduler is loaded.
pub(crate) fn table() -> &'static bindings::sched_ext_ops {
    // SAFETY: all-zero is a valid `sched_ext_ops` (every callback `None`),
    // and writers exclude readers by the type invariant.
    unsafe { (*OPS.0.get()).assume_init_ref() }
}

/// Installs the table of a scheduler being enabled.
///
/// # Safety
///
/// The enable mutex must be held and no scheduler loaded.
pub(crate) unsafe fn install(ops: &bindings::sched_ext_ops) {
    // SAFETY: no readers by the caller's guarantee.
    unsafe { (*OPS.0.get()).write(core::ptr::read(ops)) };
}

/// Clears the table after the scheduler is gone.
///
/// # Safety
///
/// The enable mutex must be held, and no callback may run or start.
pub(crate) unsafe fn clear() {
    // SAFETY: no readers by the caller's guarantee.
    unsafe { (*OPS.0.get()) = MaybeUninit::zeroed() };
}

/// The scheduler's name.
pub(crate) fn name() -> &'static kernel::str::CStr {
    // SAFETY: init_member() copied a NUL-terminated name, or the table is
    // zeroed, which reads as "".
    unsafe { kernel::str::CStr::from_char_ptr(table().name.as_ptr()) }
}

/// `sched_ext_ops.flags`.
pub(crate) fn flags() -> u64 {
    table().flags
}

/// Whether the scheduler set `flag` in `sched_ext_ops.flags`.
pub(crate) fn has_flag(flag: u64) -> bool {
    flags() & flag != 0
}

macro_rules! ops_call {
    ($(#[$doc:meta])* $name:ident => $field:ident, $mask:expr,
     ($($arg:ident: $ty:ty => $conv:expr),*) -> $ret:ty) => {
        $(#[$doc])*
        pub(crate) fn $name($($arg: $ty),*) -> Option<$ret> {
            let f = table().$field?;
            // SAFETY: the verifier checked the BPF program against this
            // callback's prototype, and every pointer passed is live for the
            // duration of the call.
            Some(kf::scoped($mask, || unsafe { f($($conv),*) }))
        }
    };
}

ops_call!(
    /// `ops.select_cpu()`: where to wake `p` up.
    select_cpu => select_cpu, KfMask::ENQUEUE.or(KfMask::SELECT_CPU),
    (p: &Task => p.as_ptr(), prev_cpu: i32 => prev_cpu, wake_flags: u64 => wake_flags) -> i32
);
ops_call!(
    /// `ops.enqueue()`: `p` became runnable or used up its slice.
    enqueue => enqueue, KfMask::ENQUEUE,
    (p: &Task => p.as_ptr(), enq_flags: u64 => enq_flags) -> ()
);
ops_call!(
    /// `ops.dequeue()`: `p` left the BPF scheduler's custody.
    dequeue => dequeue, KfMask::REST,
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
    tick => tick, KfMask::REST,
    (p: &Task => p.as_ptr()) -> ()
);
ops_call!(
    /// `ops.runnable()`.
    runnable => runnable, KfMask::REST,
    (p: &Task => p.as_ptr(), enq_flags: u64 => enq_flags) -> ()
);
ops_call!(
    /// `ops.running()`.
    running => running, KfMask::REST,
    (p: &Task => p.as_ptr()) -> ()
);
ops_call!(
    /// `ops.stopping()`.
    stopping => stopping, KfMask::REST,
    (p: &Task => p.as_ptr(), runnable: bool => runnable) -> ()
);
ops_call!(
    /// `ops.quiescent()`.
    quiescent => quiescent, KfMask::REST,
    (p: &Task => p.as_ptr(), deq_flags: u64 => deq_flags) -> ()
);
ops_call!(
    /// `ops.yield()`.
    yield_ => yield_, KfMask::REST,
    (
        from: &Task => from.as_ptr(),
        to: Option<&Task> => to.map_or(core::ptr::null_mut(), |p| p.as_ptr())
    ) -> bool
);
ops_call!(
    /// `ops.set_weight()`.
    set_weight => set_weight, KfMask::REST,
    (p: &Task => p.as_ptr(), weight: u32 => weight) -> ()
);
ops_call!(
    /// `ops.set_cpumask()`.
    set_cpumask => set_cpumask, KfMask::REST,
    (p: &Task => p.as_ptr(), mask: *const bindings::cpumask => mask) -> ()
);
ops_call!(
    /// `ops.update_idle()`.
    update_idle => update_idle, KfMask::REST,
    (cpu: i32 => cpu, idle: bool => idle) -> ()
);
ops_call!(
    /// `ops.init_task()`.
    init_task => init_task, KfMask::UNLOCKED,
    (p: &Task => p.as_ptr(), args: &mut bindings::scx_init_task_args => args) -> i32
);
ops_call!(
    /// `ops.exit_task()`.
    exit_task => exit_task, KfMask::REST,
    (p: &Task => p.as_ptr(), args: &mut bindings::scx_exit_task_args => args) -> ()
);
ops_call!(
    /// `ops.enable()`.
    enable => enable, KfMask::REST,
    (p: &Task => p.as_ptr()) -> ()
);
ops_call!(
    /// `ops.disable()`.
    disable => disable, KfMask::REST,
    (p: &Task => p.as_ptr()) -> ()
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
    /// `ops.init()`.
    init => init, KfMask::UNLOCKED,
    () -> i32
);
ops_call!(
    /// `ops.exit()`.
    exit => exit, KfMask::UNLOCKED,
    (ei: *mut bindings::scx_exit_info => ei) -> ()
);
