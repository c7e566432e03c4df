// SPDX-License-Identifier: GPL-2.0

//! Built-in idle CPU tracking and the default `select_cpu`.
//!
//! The core keeps a mask of idle CPUs, updated as CPUs enter and leave the
//! idle task, so that BPF schedulers which don't track idleness themselves
//! can still wake tasks on idle CPUs. Picking a CPU claims it: the bit is
//! cleared with an atomic test-and-clear, so two wakers never pick the same
//! idle CPU.
//!
//! With SMT, a second mask holds the CPUs whose every sibling is idle:
//! whole idle cores, which the default `select_cpu` and
//! `SCX_PICK_IDLE_CORE` prefer, since a task there shares no core's
//! execution units with another. That mask is kept racily, as in the C
//! core: it is an optimisation, and corrects itself at the next idle
//! transition.

use crate::bindings;
use crate::ops::{self, Ops};
use crate::pcpu::NoPreempt;
use crate::rq::{Cpu, CpuSet, RqLocked};
use crate::task::Task;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::types::Opaque;

struct IdleMask(Opaque<bindings::cpumask>);

// SAFETY: the cpumask is only accessed with atomic bit operations.
unsafe impl Sync for IdleMask {}

/// The idle CPUs, for their bit operations.
///
/// `IDLE_SMT` has none: the whole-core updates change it racily with
/// whole-mask operations, so it is not a `CpuSet`.
fn idle_cpus() -> CpuSet<'static> {
    // SAFETY: a static mask of possible CPUs. Whole-mask writes (`init()`
    // at boot, the copy in `reset_for_enable()`) happen before any CPU
    // tracks idleness in it; after them, only atomic bit operations
    // change it.
    unsafe { CpuSet::from_raw(IDLE_CPUS.0.get()) }
}

static IDLE_CPUS: IdleMask = IdleMask(Opaque::uninit());
/// The CPUs whose whole core is idle; used only while SMT is active.
static IDLE_SMT: IdleMask = IdleMask(Opaque::uninit());

const PICK_IDLE_CORE: u64 = bindings::SCX_PICK_IDLE_CORE as u64;

/// Whether some core has more than one CPU online.
pub(crate) fn smt_active() -> bool {
    #[cfg(CONFIG_SCHED_SMT)]
    // SAFETY: `sched_smt_present` is a static key; only its address is
    // taken.
    unsafe {
        crate::arch::static_key_enabled(core::ptr::addr_of!(bindings::sched_smt_present.key))
    }
    #[cfg(not(CONFIG_SCHED_SMT))]
    false
}

/// The SMT siblings of `cpu`, itself included.
fn smt_mask(cpu: Cpu) -> *const bindings::cpumask {
    // SAFETY: `cpu` is possible; the topology masks live forever.
    unsafe { bindings::scx_helper_cpu_smt_mask(cpu.id()) }
}

/// Whether the core tracks idle CPUs for the current scheduler.
static BUILTIN_ENABLED: AtomicBool = AtomicBool::new(false);

/// The mask of idle CPUs, as BPF sees it through `scx_bpf_get_idle_cpumask()`.
pub(crate) fn mask() -> *const bindings::cpumask {
    IDLE_CPUS.0.get()
}

/// The mask of CPUs whose whole core is idle, as BPF sees it through
/// `scx_bpf_get_idle_smtmask()`: without SMT, every core is one CPU.
pub(crate) fn smt_mask_of_idle() -> *const bindings::cpumask {
    if smt_active() {
        IDLE_SMT.0.get()
    } else {
        IDLE_CPUS.0.get()
    }
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
        let online = crate::rq::cpu_online_mask();
        bindings::scx_helper_cpumask_copy(IDLE_CPUS.0.get(), online);
        bindings::scx_helper_cpumask_copy(IDLE_SMT.0.get(), online);
    };
    BUILTIN_ENABLED.store(on, Ordering::Relaxed);
}

/// Turns tracking off when the scheduler goes.
pub(crate) fn disable() {
    BUILTIN_ENABLED.store(false, Ordering::Relaxed);
}

/// Claims `cpu` if it is idle.
pub(crate) fn test_and_clear(cpu: Cpu) -> bool {
    if smt_active() {
        // Whether or not we get `cpu`, its core is not wholly idle any
        // more. An offline CPU is not in its own sibling mask: clear it by
        // itself, or `pick()` could find it for ever.
        let smt = smt_mask(cpu);
        // SAFETY: valid masks; the updates race with `update()` as in C,
        // which only costs a missed or extra whole-core pick.
        unsafe {
            if bindings::scx_helper_cpumask_intersects(smt, IDLE_SMT.0.get()) {
                bindings::scx_helper_cpumask_andnot(IDLE_SMT.0.get(), IDLE_SMT.0.get(), smt);
            } else {
                bindings::scx_helper_cpumask_clear_cpu(cpu.id(), IDLE_SMT.0.get());
            }
        }
    }
    idle_cpus().test_and_clear(cpu)
}

/// Claims an idle CPU in `allowed`: one of a wholly idle core if there is
/// one, and only such a CPU with `SCX_PICK_IDLE_CORE`. `None` if none.
pub(crate) fn pick(allowed: *const bindings::cpumask, flags: u64) -> Option<Cpu> {
    loop {
        let mut cpu = None;
        if smt_active() {
            // SAFETY: both masks are valid.
            cpu = Cpu::new(unsafe {
                bindings::scx_helper_cpumask_any_and_distribute(IDLE_SMT.0.get(), allowed)
            });
            if cpu.is_none() && flags & PICK_IDLE_CORE != 0 {
                return None;
            }
        }
        // Past `nr_cpu_ids`: none. The idle masks only have possible CPUs.
        let cpu = cpu.or_else(|| {
            // SAFETY: both masks are valid.
            Cpu::new(unsafe {
                bindings::scx_helper_cpumask_any_and_distribute(IDLE_CPUS.0.get(), allowed)
            })
        })?;
        // Another waker may have claimed it since we looked; try again.
        // Each failed try clears `cpu` from the whole-core mask, so the
        // loop ends.
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
        update_builtin(cpu, idle);
    }
}

fn update_builtin(cpu: Cpu, idle: bool) {
    if idle {
        idle_cpus().set(cpu);
    } else {
        idle_cpus().clear(cpu);
    }
    if !smt_active() {
        return;
    }
    let smt = smt_mask(cpu);
    // SAFETY: valid masks, updated racily as in the C core (see the module
    // documentation); siblings are possible CPUs.
    unsafe {
        if !idle {
            bindings::scx_helper_cpumask_andnot(IDLE_SMT.0.get(), IDLE_SMT.0.get(), smt);
        } else if crate::rq::cpus_in(smt).all(|c| idle_cpus().test(c)) {
            // The last sibling to go idle makes the core idle.
            bindings::scx_helper_cpumask_or(IDLE_SMT.0.get(), IDLE_SMT.0.get(), smt);
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
    if smt_active() {
        // A whole idle core: `prev_cpu`'s first, for its warm caches.
        // SAFETY: the mask is valid; `prev_cpu` is in range.
        let prev_core_idle =
            unsafe { crate::arch::cpumask_test_cpu(prev_cpu.id() as u32, IDLE_SMT.0.get()) };
        if prev_core_idle && p.allowed_on(prev_cpu) && test_and_clear(prev_cpu) {
            return (prev_cpu, true);
        }
        if let Some(cpu) = pick(p.cpus_ptr(), PICK_IDLE_CORE) {
            return (cpu, true);
        }
    }
    if p.allowed_on(prev_cpu) && test_and_clear(prev_cpu) {
        return (prev_cpu, true);
    }
    match pick(p.cpus_ptr(), 0) {
        Some(cpu) => (cpu, true),
        None => (prev_cpu, false),
    }
}

/// Sets up the mask. Called once at boot.
pub(crate) fn init() {
    // SAFETY: boot is single-threaded here; clear the static mask.
    unsafe {
        core::ptr::write_bytes(IDLE_CPUS.0.get(), 0, 1);
        core::ptr::write_bytes(IDLE_SMT.0.get(), 0, 1);
    }
}
