// SPDX-License-Identifier: GPL-2.0

//! Per-CPU state of the core: the direct-dispatch slot and the dispatch
//! buffer of `ops.dispatch()`.
//!
//! The entries live in the kernel's per-CPU areas (`alloc_percpu()`), so
//! neighbouring CPUs share no cache line. Each CPU only touches its own
//! entry, with preemption disabled, which [`this`] makes the caller prove
//! with a [`NoPreempt`]; so the fields need no lock. They are `Cell`s
//! because kfuncs called from inside a BPF callback re-enter the core on the
//! same CPU while the caller's frame is still live, and the dispatch buffer
//! is only reached through methods that never hand out a reference into it.

use crate::bindings;
use crate::rq::{Cpu, RqLocked};
use core::cell::{Cell, UnsafeCell};
use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::prelude::*;

/// Evidence that preemption is disabled on this CPU for `'a`.
///
/// Per-CPU data of "this CPU" is only this CPU's while the task cannot
/// migrate, and the core keeps borrows of user DSQs, which are freed after
/// an RCU grace period, only while preemption is off (an RCU read-side
/// section since the RCU flavours were consolidated). Functions that need
/// either take a `NoPreempt`.
///
/// # Invariants
///
/// Preemption stays disabled on the CPU that made the value for all of `'a`;
/// the value is not `Send`, so it stays on that CPU.
#[derive(Clone, Copy)]
pub(crate) struct NoPreempt<'a>(PhantomData<(&'a (), *mut ())>);

impl NoPreempt<'_> {
    /// Asserts that preemption is disabled.
    ///
    /// # Safety
    ///
    /// Preemption must stay disabled for `'a`. Lockdep checks that it is now.
    pub(crate) unsafe fn assume<'a>() -> NoPreempt<'a> {
        // SAFETY: only an assertion.
        unsafe { bindings::scx_helper_assert_preemption_disabled() };
        // INVARIANT: guaranteed by the caller.
        NoPreempt(PhantomData)
    }

    /// The CPU this code runs on, which cannot change while `self` lives.
    pub(crate) fn cpu(&self) -> Cpu {
        // SAFETY: preemption is off, so smp_processor_id() is stable, and
        // it is a possible CPU.
        unsafe { Cpu::new_unchecked(bindings::scx_helper_smp_processor_id()) }
    }
}

/// Preemption disabled, for code that holds no lock that disables it.
#[must_use = "preemption is enabled again when the guard drops"]
pub(crate) struct PreemptGuard(PhantomData<*mut ()>);

impl PreemptGuard {
    /// Disables preemption until the guard drops.
    pub(crate) fn new() -> Self {
        // SAFETY: paired with the enable in `drop`.
        unsafe { bindings::scx_helper_preempt_disable() };
        PreemptGuard(PhantomData)
    }

    /// Evidence for as long as the guard is borrowed.
    pub(crate) fn no_preempt(&self) -> NoPreempt<'_> {
        // SAFETY: the guard keeps preemption disabled until it drops, which
        // the borrow outlasts.
        unsafe { NoPreempt::assume() }
    }
}

impl Drop for PreemptGuard {
    fn drop(&mut self) {
        // SAFETY: disabled in `new`.
        unsafe { bindings::scx_helper_preempt_enable() };
    }
}

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

/// The dispatch buffer is full (`dispatch_max_batch` entries).
pub(crate) struct BufFull;

/// The per-CPU state.
pub(crate) struct PerCpu {
    pub(crate) ddsp: Cell<Ddsp>,
    /// The dispatch buffer; its capacity is `dispatch_max_batch`. Only
    /// accessed by the `dsp_*` methods, none of which calls out while it
    /// holds a reference into it.
    dsp_buf: UnsafeCell<KVec<DspEnt>>,
    /// Tasks dispatched so far in this `balance()`, flushed or consumed.
    pub(crate) dsp_nr_tasks: Cell<usize>,
    /// The rq lock that `balance()` lends to the kfuncs of `ops.dispatch()`;
    /// see [`lend_rq`].
    dsp_rq: Cell<Option<NonNull<RqLocked>>>,
}

/// The `alloc_percpu()` area holding every CPU's [`PerCpu`].
///
/// # Invariants
///
/// Set once by [`init`] at boot, with every possible CPU's entry
/// initialised, and never freed.
struct Area(UnsafeCell<*mut PerCpu>);

// SAFETY: written once at boot, before any reader; see `PerCpu` for the
// entries themselves.
unsafe impl Sync for Area {}

static AREA: Area = Area(UnsafeCell::new(core::ptr::null_mut()));

/// The entry of `cpu`, as a raw pointer: for boot and for the enable path,
/// which own every entry while no scheduler is loaded.
fn entry(cpu: Cpu) -> *mut PerCpu {
    // SAFETY: `AREA` is set at boot and `cpu` is possible.
    unsafe { bindings::scx_helper_per_cpu_ptr((*AREA.0.get()).cast(), cpu.id()).cast() }
}

/// The entry of the CPU this code runs on.
pub(crate) fn this<'a>(np: NoPreempt<'a>) -> &'a PerCpu {
    // SAFETY: the entry was initialised at boot and is never freed; only
    // this CPU uses it, and it stays this CPU's while `np` lives.
    unsafe { &*entry(np.cpu()) }
}

impl PerCpu {
    /// The number of buffered dispatches.
    pub(crate) fn dsp_len(&self) -> usize {
        // SAFETY: see the `dsp_buf` field: no reference into the buffer is
        // live, and this one ends here.
        unsafe { (*self.dsp_buf.get()).len() }
    }

    /// Buffers a dispatch.
    pub(crate) fn dsp_push(&self, ent: DspEnt) -> core::result::Result<(), BufFull> {
        // SAFETY: as in `dsp_len`.
        let buf = unsafe { &mut *self.dsp_buf.get() };
        if buf.len() >= max_batch() {
            return Err(BufFull);
        }
        // Cannot fail: the capacity was reserved for max_batch() entries.
        buf.push(ent, GFP_ATOMIC).map_err(|_| BufFull)
    }

    /// Drops the last buffered dispatch.
    pub(crate) fn dsp_pop(&self) -> Option<DspEnt> {
        // SAFETY: as in `dsp_len`.
        let buf = unsafe { &mut *self.dsp_buf.get() };
        let last = buf.as_slice().last().copied()?;
        // SAFETY: shrinking by one; the entries are `Copy`.
        unsafe { buf.set_len(buf.len() - 1) };
        Some(last)
    }

    /// A copy of the buffered dispatch `i`.
    pub(crate) fn dsp_get(&self, i: usize) -> Option<DspEnt> {
        // SAFETY: as in `dsp_len`.
        unsafe { (*self.dsp_buf.get()).as_slice().get(i).copied() }
    }

    /// Empties the buffer, keeping its capacity.
    pub(crate) fn dsp_clear(&self) {
        // SAFETY: as in `dsp_len`; shrinking, and the entries are `Copy`.
        unsafe { (*self.dsp_buf.get()).set_len(0) }
    }
}

/// Lends `rq` to the kfuncs that `f`, a call of `ops.dispatch()`, makes on
/// this CPU ([`lent_rq`]); `scx_bpf_consume()` needs the lock that the
/// caller of `ops.dispatch()` holds.
pub(crate) fn lend_rq<R>(np: NoPreempt<'_>, rq: &mut RqLocked, f: impl FnOnce() -> R) -> R {
    let pc = this(np);
    let prev = pc.dsp_rq.replace(Some(NonNull::from(rq)));
    let r = f();
    pc.dsp_rq.set(prev);
    r
}

/// The rq lock lent by [`lend_rq`] on this CPU, if a lend is in progress.
///
/// # Safety
///
/// The caller must be a kfunc of the `ops.dispatch()` call that `lend_rq`
/// wraps, and must not keep the result past its return: the lender does not
/// use its `&mut RqLocked` until then.
pub(crate) unsafe fn lent_rq<'a>(np: NoPreempt<'a>) -> Option<&'a mut RqLocked> {
    // SAFETY: by the caller's guarantee, the lender's exclusive borrow is
    // ours until we return to it.
    this(np).dsp_rq.get().map(|mut p| unsafe { p.as_mut() })
}

/// The maximum number of dispatches per `ops.dispatch()` call.
pub(crate) fn max_batch() -> usize {
    match crate::ops::table().dispatch_max_batch {
        0 => bindings::SCX_DSP_DFL_MAX_BATCH as usize,
        n => n as usize,
    }
}

/// Sizes every CPU's dispatch buffer for the scheduler being enabled.
///
/// Called with the enable mutex held and no scheduler loaded, so no CPU
/// uses its buffer; each entry is reached on its own, never the whole area.
pub(crate) fn alloc_dispatch_bufs() -> Result {
    let batch = max_batch();
    for cpu in crate::rq::possible_cpus() {
        // SAFETY: no CPU uses its buffer (see above), and this reference
        // ends with the iteration.
        let buf = unsafe { &mut *(*entry(cpu)).dsp_buf.get() };
        // SAFETY: shrinking; the entries are `Copy`.
        unsafe { buf.set_len(0) };
        buf.reserve(batch, GFP_KERNEL)?;
    }
    Ok(())
}

/// Allocates and initialises the per-CPU entries. Called once at boot.
pub(crate) fn init() -> Result {
    // SAFETY: plain per-CPU allocation.
    let area = unsafe {
        bindings::scx_helper_alloc_percpu(
            core::mem::size_of::<PerCpu>(),
            core::mem::align_of::<PerCpu>(),
        )
    };
    if area.is_null() {
        return Err(ENOMEM);
    }
    // SAFETY: single-threaded at boot; nothing reads `AREA` yet.
    unsafe { *AREA.0.get() = area.cast() };
    for cpu in crate::rq::possible_cpus() {
        // SAFETY: the entry is fresh memory of the right size and alignment
        // that nothing else references.
        unsafe {
            entry(cpu).write(PerCpu {
                ddsp: Cell::new(Ddsp::Idle),
                dsp_buf: UnsafeCell::new(KVec::new()),
                dsp_nr_tasks: Cell::new(0),
                dsp_rq: Cell::new(None),
            })
        };
    }
    Ok(())
}
