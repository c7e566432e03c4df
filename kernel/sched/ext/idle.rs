// SPDX-License-Identifier: GPL-2.0

//! Built-in idle CPU tracking and the default `select_cpu`.
//!
//! The core keeps a mask of idle CPUs, updated as CPUs enter and leave the
//! idle task, so that BPF schedulers which don't track idleness themselves
//! can still wake tasks on idle CPUs. Picking a CPU claims it: the bit is
//! cleared with an atomic test-and-clear, so two wakers never pick the same
//! idle CPU.
//!
//! SMT-aware picking (whole idle cores first) is not implemented yet; the
//! tracking behaves as the C core does when SMT is inactive.

use crate::bindings;
use crate::ops::{self, Ops};
use crate::pcpu::NoPreempt;
use crate::rq::{Cpu, RqLocked};
use crate::task::Task;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::types::Opaque;

struct IdleMask(Opaque<bindings::cpumask>);

// SAFETY: the cpumask is only accessed with atomic bit operations.
unsafe impl Sync for IdleMask {}

static IDLE_CPUS: IdleMask = IdleMask(Opaque::uninit());

/// Whether the core tracks idle CPUs for the current scheduler.
static BUILTIN_ENABLED: AtomicBool = AtomicBool::new(false);

/// The mask of idle CPUs, as BPF sees it through `scx_bpf_get_idle_cpumask()`.
pub(crate) fn mask() -> *const bindings::cpumask {
    IDLE_CPUS.0.get()
}

/// Whether built-in idle tracking is on.
pub(crate) fn builtin_enabled() -> bool {
    BUILTIN_ENABLED.load(Ordering::Relaxed)
}

/// Sets up tracking for a scheduler being enabled.
///
/// Tracking is on unless the scheduler tracks idleness itself
/// (`ops.update_idle()`) and did not ask to keep it (`KEEP_BUILTIN_IDLE`).
pub(crate) fn reset_for_enable(o: Ops<'_>) {
    let on =
        o.table().update_idle.is_none() || o.has_flag(bindings::SCX_OPS_KEEP_BUILTIN_IDLE as u64);
    // Every online CPU starts as idle; the first scheduling event on each
    // corrects it.
    // SAFETY: the masks are valid; cpumask_copy() is a plain bitmap copy
    // and concurrent updaters only run once the scheduler is enabled.
    unsafe {
        bindings::scx_helper_cpumask_copy(IDLE_CPUS.0.get(), bindings::scx_helper_cpu_online_mask())
    };
    BUILTIN_ENABLED.store(on, Ordering::Relaxed);
}

/// Turns tracking off when the scheduler goes.
pub(crate) fn disable() {
    BUILTIN_ENABLED.store(false, Ordering::Relaxed);
}

/// Claims `cpu` if it is idle.
pub(crate) fn test_and_clear(cpu: Cpu) -> bool {
    // SAFETY: atomic bit operation on a valid mask; `cpu` is in range.
    unsafe { bindings::scx_helper_cpumask_test_and_clear_cpu(cpu.id(), IDLE_CPUS.0.get()) }
}

/// Claims an idle CPU in `allowed`, or returns `None`.
pub(crate) fn pick(allowed: *const bindings::cpumask) -> Option<Cpu> {
    loop {
        // SAFETY: both masks are valid.
        let cpu =
            unsafe { bindings::scx_helper_cpumask_any_and_distribute(IDLE_CPUS.0.get(), allowed) };
        // Past `nr_cpu_ids`: none. The idle mask only has possible CPUs.
        let cpu = Cpu::new(cpu)?;
        // Another waker may have claimed it since we looked; try again.
        if test_and_clear(cpu) {
            return Some(cpu);
        }
    }
}

/// Records that the CPU of `rq` goes idle or stops being idle.
pub(crate) fn update(rq: &RqLocked, idle: bool, do_notify: bool) {
    let cpu = rq.cpu();
    if do_notify && !rq.bypassing() {
        ops::get(rq.no_preempt()).update_idle(cpu.id(), idle);
    }
    if builtin_enabled() && (do_notify || rq.curr().is_idle()) {
        // SAFETY: atomic bit operations on a valid mask; `cpu` is in range.
        unsafe {
            if idle {
                bindings::scx_helper_cpumask_set_cpu(cpu.id(), IDLE_CPUS.0.get());
            } else {
                bindings::scx_helper_cpumask_clear_cpu(cpu.id(), IDLE_CPUS.0.get());
            }
        }
    }
}

/// The default CPU selection: the CPU to wake `p` on, and whether it was
/// idle (and is now claimed for `p`).
///
/// The waker holds `p->pi_lock`, so it stays on its CPU (`np`).
pub(crate) fn select_cpu_dfl(
    np: NoPreempt<'_>,
    p: &Task,
    prev_cpu: Cpu,
    wake_flags: u64,
) -> (Cpu, bool) {
    // A synchronous wakeup: the waker is about to sleep, so its CPU is a
    // good place if nothing else is queued there.
    if wake_flags & bindings::SCX_WAKE_SYNC as u64 != 0 {
        // SAFETY: the mask is valid.
        let some_idle = unsafe { !bindings::scx_helper_cpumask_empty(IDLE_CPUS.0.get()) };
        let waker = Task::current();
        let cpu = Cpu::current(np);
        if some_idle
            && waker.pf_flags() & bindings::PF_EXITING == 0
            && p.allowed_on(cpu)
            && crate::rq::Rq::of_cpu(cpu).local_dsq().nr() == 0
        {
            return (cpu, true);
        }
    }
    if p.allowed_on(prev_cpu) && test_and_clear(prev_cpu) {
        return (prev_cpu, true);
    }
    match pick(p.cpus_ptr()) {
        Some(cpu) => (cpu, true),
        None => (prev_cpu, false),
    }
}

/// Sets up the mask. Called once at boot.
pub(crate) fn init() {
    // SAFETY: boot is single-threaded here; clear the static mask.
    unsafe { core::ptr::write_bytes(IDLE_CPUS.0.get(), 0, 1) };
}
