// SPDX-License-Identifier: GPL-2.0

//! Per-CPU state of the core: the direct-dispatch slot, the dispatch buffer
//! of `ops.dispatch()`, and pending CPU kicks.
//!
//! Each CPU only touches its own entry, with preemption disabled (an rq
//! lock held or a BPF program running), so the fields need no lock; they are
//! `Cell`s because kfuncs called from inside a BPF callback re-enter the core
//! on the same CPU while the caller's frame is still live.

use crate::bindings;
use core::cell::{Cell, UnsafeCell};
use core::sync::atomic::{AtomicU8, Ordering};
use kernel::prelude::*;
use kernel::types::Opaque;

/// The direct-dispatch slot: which task a callback may dispatch directly.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ddsp {
    /// No `ops.select_cpu()` or `ops.enqueue()` is running.
    Idle,
    /// The callback runs for this task, which has not been dispatched yet.
    Task(*const bindings::task_struct),
    /// The callback already dispatched its task.
    Done,
}

/// One dispatch recorded by `scx_bpf_dispatch()` in `ops.dispatch()`.
#[derive(Clone, Copy)]
pub(crate) struct DspEnt {
    pub(crate) task: *const bindings::task_struct,
    pub(crate) qseq: usize,
    pub(crate) dsq_id: u64,
    pub(crate) enq_flags: u64,
}

/// Kick requests for a CPU.
pub(crate) const KICK_RESCHED: u8 = 1;
pub(crate) const KICK_PREEMPT: u8 = 2;
pub(crate) const KICK_IF_IDLE: u8 = 4;

/// The per-CPU state.
pub(crate) struct PerCpu {
    pub(crate) ddsp: Cell<Ddsp>,
    /// The dispatch buffer; its capacity is `dispatch_max_batch`.
    pub(crate) dsp_buf: UnsafeCell<KVec<DspEnt>>,
    /// Tasks dispatched so far in this `balance()`, flushed or consumed.
    pub(crate) dsp_nr_tasks: Cell<usize>,
    /// The rq `ops.dispatch()` is running for.
    pub(crate) dsp_rq: Cell<*mut bindings::rq>,
    /// Kicks this CPU owes to others, by target CPU.
    pub(crate) kicks: KVec<AtomicU8>,
    pub(crate) kick_work: Opaque<bindings::irq_work>,
}

/// The per-CPU entries, indexed by CPU.
///
/// # Invariants
///
/// Filled once by `init()` at boot; never resized afterwards.
struct AllCpus(UnsafeCell<KVec<PerCpu>>);

// SAFETY: each entry is only accessed by its own CPU, except `kicks`, which
// is atomic; see the module documentation.
unsafe impl Sync for AllCpus {}

static CPUS: AllCpus = AllCpus(UnsafeCell::new(KVec::new()));

/// The entry of `cpu`.
pub(crate) fn of(cpu: i32) -> &'static PerCpu {
    // SAFETY: filled at boot, never resized; `cpu` is a possible CPU.
    unsafe { &(&*CPUS.0.get())[cpu as usize] }
}

/// The entry of the current CPU. Preemption must be disabled.
pub(crate) fn this() -> &'static PerCpu {
    // SAFETY: callers run with preemption disabled.
    of(unsafe { bindings::scx_helper_smp_processor_id() })
}

/// The maximum number of dispatches per `ops.dispatch()` call.
pub(crate) fn max_batch() -> usize {
    match crate::ops::table().dispatch_max_batch {
        0 => bindings::SCX_DSP_DFL_MAX_BATCH as usize,
        n => n as usize,
    }
}

/// Sizes every CPU's dispatch buffer for the scheduler being enabled.
pub(crate) fn alloc_dispatch_bufs() -> Result {
    let batch = max_batch();
    // SAFETY: no scheduler is loaded, so no CPU uses its buffer.
    for pc in unsafe { (*CPUS.0.get()).iter_mut() } {
        let buf = pc.dsp_buf.get_mut();
        // SAFETY: shrinking; the entries are `Copy`.
        unsafe { buf.set_len(0) };
        buf.reserve(batch, GFP_KERNEL)?;
    }
    Ok(())
}

extern "C" fn kick_workfn(_work: *mut bindings::irq_work) {
    crate::class::do_kicks();
}

/// Allocates the per-CPU entries. Called once at boot.
pub(crate) fn init() -> Result {
    let nr = crate::rq::nr_cpu_ids() as usize;
    // SAFETY: single-threaded at boot; nothing reads `CPUS` yet.
    let cpus = unsafe { &mut *CPUS.0.get() };
    for _ in 0..nr {
        let mut kicks = KVec::with_capacity(nr, GFP_KERNEL)?;
        for _ in 0..nr {
            kicks.push(AtomicU8::new(0), GFP_KERNEL)?;
        }
        cpus.push(
            PerCpu {
                ddsp: Cell::new(Ddsp::Idle),
                dsp_buf: UnsafeCell::new(KVec::new()),
                dsp_nr_tasks: Cell::new(0),
                dsp_rq: Cell::new(core::ptr::null_mut()),
                kicks,
                kick_work: Opaque::uninit(),
            },
            GFP_KERNEL,
        )?;
    }
    for pc in cpus.iter() {
        // SAFETY: the entry is at its final address; nothing queues it yet.
        unsafe { bindings::scx_helper_init_irq_work(pc.kick_work.get(), Some(kick_workfn)) };
    }
    Ok(())
}

impl PerCpu {
    /// The dispatch buffer.
    ///
    /// # Safety
    ///
    /// Only the owning CPU, with preemption disabled, and no other reference
    /// to the buffer may be live.
    // The buffer belongs to one CPU and is never borrowed twice at a time:
    // see the `# Safety` section.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn dsp_buf(&self) -> &mut KVec<DspEnt> {
        // SAFETY: by the caller's guarantee.
        unsafe { &mut *self.dsp_buf.get() }
    }

    /// Records a kick of `cpu` and makes sure this CPU's kick work runs.
    pub(crate) fn request_kick(&self, cpu: i32, what: u8) {
        self.kicks[cpu as usize].fetch_or(what, Ordering::Relaxed);
        // SAFETY: initialised at boot; safe from any context.
        unsafe { bindings::irq_work_queue(self.kick_work.get()) };
    }
}
