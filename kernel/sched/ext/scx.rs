// SPDX-License-Identifier: GPL-2.0

//! sched_ext, the BPF extensible scheduler class, implemented in Rust.
//!
//! The BPF ABI is the C one: the types BPF programs see, the kfunc entry
//! points and the struct_ops glue are in kernel/sched/ext_abi.c, because
//! vmlinux BTF only describes C. Everything that decides anything is here.
//!
//! Layering, bottom up:
//!
//! - [`bindings`]: bindgen output for the scheduler's private headers, and
//!   the `scx_helper_*` wrappers of static inlines from `helpers.c`.
//! - Abstractions: [`rq`] (rq lock evidence), [`task`] (borrowed and counted
//!   tasks), [`ops_state`] (the enqueue/dispatch ownership word), [`kf`]
//!   (kfunc contexts), [`dsq`] (dispatch queues), [`ops`] (calling the BPF
//!   scheduler), [`exit`] (ending it), [`pcpu`] (per-CPU state).
//! - Logic: [`class`] (the scheduling class), [`idle`] (idle tracking and
//!   default CPU selection), [`enable`] (loading, unloading, task
//!   lifecycle), [`kfuncs`].
//! - [`abi`]: the `extern "C"` functions the C side calls.
//!
//! See Documentation/scheduler/sched-ext.rst for what sched_ext does.

// bindgen types the 64-bit SCX_* constants as `unsigned long` (usize in the
// kernel's ffi crate) on 64-bit targets and as `unsigned long long` (u64) on
// 32-bit ones; the `as u64` casts that convert them are needed on the first
// and redundant on the second, where clippy would flag them.
#![allow(clippy::unnecessary_cast)]

use kernel::prelude::*;

const __LOG_PREFIX: &[u8] = b"sched_ext\0";

mod abi;
mod arch;
mod bindings;
#[cfg(CONFIG_EXT_GROUP_SCHED)]
mod cgroup;
mod class;
mod dsq;
mod dump;
mod enable;
mod exit;
mod idle;
mod kf;
mod kfuncs;
mod layout;
mod list;
mod ops;
mod ops_state;
mod pcpu;
mod rq;
mod task;
#[cfg(CONFIG_SCHED_CLASS_EXT_RUST_KUNIT_TEST)]
mod tests;
mod watchdog;

/// Whether a BPF scheduler is loaded (the `__scx_ops_enabled` static key).
pub(crate) fn scx_enabled() -> bool {
    // SAFETY: a static key; only its address is taken.
    unsafe { crate::arch::static_key_enabled(core::ptr::addr_of!(bindings::__scx_ops_enabled.key)) }
}

/// Boot-time setup from `sched_init()`, before any task forks: every CPU's
/// local DSQ and lists, the global DSQ and the idle mask.
fn init_early() {
    // Everything below writes C memory through the bindings.
    if layout::check().is_err() {
        panic!("sched_ext: the Rust bindings disagree with C on struct layout");
    }
    // Every rq below and later is found inline.
    if !arch::cpu_rq_agrees() {
        panic!("sched_ext: the inline cpu_rq() disagrees with C's");
    }
    for cpu in rq::possible_cpus() {
        let rq = rq::Rq::of_cpu(cpu);
        // The C core cannot boot without them either (it BUG()s).
        // SAFETY: once per rq, at boot.
        if unsafe { rq.init_kick(class::kick_workfn) }.is_err() {
            panic!(
                "sched_ext: cannot allocate the kick masks of CPU {}",
                cpu.id()
            );
        }
        let rq = rq.as_ptr();
        // SAFETY: single-threaded boot; nothing uses rq->scx yet.
        unsafe {
            dsq::Dsq::init(core::ptr::addr_of_mut!((*rq).scx.local_dsq), dsq::LOCAL);
            crate::list::init(core::ptr::addr_of_mut!((*rq).scx.runnable_list));
            crate::list::init(core::ptr::addr_of_mut!((*rq).scx.ddsp_deferred_locals));
            // Hard: on PREEMPT_RT a threaded irq_work could wait behind
            // the RT tasks that the deferred dispatches are for.
            bindings::scx_helper_init_irq_work_hard(
                core::ptr::addr_of_mut!((*rq).scx.deferred_irq_work),
                Some(class::deferred_irq_workfn),
            );
            if cpu.online() {
                (*rq).scx.flags |= bindings::SCX_RQ_ONLINE;
            }
        }
    }
    dsq::init();
    idle::init();
    watchdog::init();
}

/// Setup from the initcall, once allocation and kthreads work.
fn init_late() -> Result {
    pcpu::init()?;
    exit::init()?;
    enable::init()?;
    Ok(())
}
