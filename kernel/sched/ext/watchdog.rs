// SPDX-License-Identifier: GPL-2.0

//! The watchdog: a BPF scheduler that leaves a runnable task unrun for
//! longer than `ops.timeout_ms` is ejected with `SCX_EXIT_ERROR_STALL`.
//!
//! It has two halves, because a broken scheduler can stop either one:
//!
//! - A delayed work item runs every half timeout and walks the runnable list
//!   of each online CPU for a task that became runnable more than a timeout
//!   ago. The list is in the order tasks became runnable, so only its head
//!   can be late, but the walk does not rely on that.
//! - The work runs on a kworker, which with `SCX_OPS_SWITCH_ALL` is itself
//!   scheduled by the BPF scheduler: a scheduler that stalls everything
//!   stalls the walk too. So every tick, which runs whatever the scheduler
//!   does, checks that the walk checked in within the timeout.
//!
//! Times are in jiffies, compared with wrap-around as `time_after()` does.

use crate::bindings;
use crate::exit;
use crate::rq::{self, Rq};
use core::sync::atomic::{AtomicUsize, Ordering};
use kernel::types::Opaque;

/// The watchdog's state.
///
/// # Invariants
///
/// `work` is initialised by [`init`] at boot, before a scheduler can load;
/// [`start`] and [`stop`] are called with the enable mutex held, so the work
/// is queued by one of them at a time and by itself.
struct Watchdog {
    /// How long a task may wait, in jiffies: `ops.timeout_ms`, or the
    /// maximum, `SCX_WATCHDOG_MAX_TIMEOUT`.
    timeout: AtomicUsize,
    /// When the walk last ran, in jiffies.
    timestamp: AtomicUsize,
    work: Opaque<bindings::delayed_work>,
}

// SAFETY: the atomics are atomic, and the delayed work does its own locking.
unsafe impl Sync for Watchdog {}

static WATCHDOG: Watchdog = Watchdog {
    timeout: AtomicUsize::new(bindings::SCX_WATCHDOG_MAX_TIMEOUT as usize),
    timestamp: AtomicUsize::new(0),
    work: Opaque::uninit(),
};

/// The current time in jiffies.
///
/// `jiffies` is a `volatile unsigned long` in C, which the timer tick
/// updates; read it the same way, inline, as C code does on every enqueue.
#[inline(always)]
pub(crate) fn jiffies() -> usize {
    // SAFETY: `jiffies` is a kernel-lifetime variable that is only ever
    // written whole; a volatile load of it is C's read.
    unsafe { core::ptr::read_volatile(core::ptr::addr_of!(bindings::jiffies)) as usize }
}

/// Whether `a` is after `b`, across a wrap of the jiffies counter.
pub(crate) fn time_after(a: usize, b: usize) -> bool {
    (b.wrapping_sub(a) as isize) < 0
}

/// `(seconds, milliseconds)` of a duration in jiffies, for messages.
fn secs_ms(j: usize) -> (u32, u32) {
    // SAFETY: pure arithmetic.
    let ms = unsafe { bindings::jiffies_to_msecs(j as _) };
    (ms / 1000, ms % 1000)
}

/// Sets up the work item. Called once at boot.
pub(crate) fn init() {
    // SAFETY: boot is single-threaded here; see the invariants.
    unsafe { bindings::scx_helper_init_delayed_work(WATCHDOG.work.get(), Some(workfn)) };
}

/// Arms the watchdog for a scheduler being enabled, with its
/// `ops.timeout_ms` (0 for the default).
///
/// Called before the first task can be switched to the scheduler, with the
/// enable mutex held.
pub(crate) fn start(timeout_ms: u32) {
    let timeout = if timeout_ms == 0 {
        bindings::SCX_WATCHDOG_MAX_TIMEOUT as usize
    } else {
        // bpf_scx_init_member() refused anything above the maximum.
        // SAFETY: pure arithmetic.
        unsafe { bindings::scx_helper_msecs_to_jiffies(timeout_ms) as usize }
    };
    WATCHDOG.timeout.store(timeout, Ordering::Relaxed);
    WATCHDOG.timestamp.store(jiffies(), Ordering::Relaxed);
    // SAFETY: initialised at boot; see the invariants.
    unsafe { bindings::scx_helper_queue_delayed_work(WATCHDOG.work.get(), timeout / 2) };
}

/// Disarms the watchdog and waits for a walk in progress. May sleep.
///
/// Called on the disable path, with the enable mutex held, once no task is
/// on the ext class any more.
pub(crate) fn stop() {
    // SAFETY: initialised at boot. The work requeues itself, which
    // cancel_delayed_work_sync() is made for.
    unsafe { bindings::cancel_delayed_work_sync(WATCHDOG.work.get()) };
}

/// Raises a stall if a task on `rq`'s runnable list has waited too long.
///
/// Returns whether it did.
fn check_rq(rq: &'static Rq, timeout: usize) -> bool {
    let mut l = rq.lock_irqsave();
    let now = jiffies();
    for p in l.runnable_tasks() {
        let since = p.runnable_at();
        if time_after(now, since.wrapping_add(timeout)) {
            let (s, ms) = secs_ms(now.wrapping_sub(since));
            exit::raise(
                exit::ERROR_STALL,
                0,
                format_args!(
                    "{}[{}] failed to run for {}.{:03}s",
                    p.comm(),
                    p.pid(),
                    s,
                    ms
                ),
            );
            return true;
        }
    }
    false
}

/// The periodic walk.
extern "C" fn workfn(_work: *mut bindings::work_struct) {
    WATCHDOG.timestamp.store(jiffies(), Ordering::Relaxed);
    let timeout = WATCHDOG.timeout.load(Ordering::Relaxed);
    for cpu in rq::online_cpus() {
        if check_rq(Rq::of_cpu(cpu), timeout) {
            break;
        }
        // SAFETY: a work item runs in process context with no locks held.
        unsafe { bindings::scx_helper_cond_resched() };
    }
    // SAFETY: the work is initialised; requeueing itself from its own
    // function is allowed, and stop() cancels it for good.
    unsafe { bindings::scx_helper_queue_delayed_work(WATCHDOG.work.get(), timeout / 2) };
}

/// The per-tick half, from `scx_tick()` on every CPU while a scheduler is
/// loaded: the walk must have run within the timeout.
pub(crate) fn tick() {
    let last = WATCHDOG.timestamp.load(Ordering::Relaxed);
    let timeout = WATCHDOG.timeout.load(Ordering::Relaxed);
    let now = jiffies();
    if time_after(now, last.wrapping_add(timeout)) {
        let (s, ms) = secs_ms(now.wrapping_sub(last));
        exit::raise(
            exit::ERROR_STALL,
            0,
            format_args!("watchdog failed to check in for {}.{:03}s", s, ms),
        );
    }
}
