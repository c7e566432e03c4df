// SPDX-License-Identifier: GPL-2.0

//! Per-CPU state of the core: the direct-dispatch slot, the dispatch
//! buffer of `ops.dispatch()`, and what `SCX_KICK_WAIT` waits for.
//!
//! The entries live in the kernel's per-CPU areas (`alloc_percpu()`), so
//! neighbouring CPUs share no cache line. Each CPU only touches its own
//! entry, with preemption disabled, which [`this`] makes the caller prove
//! with a [`NoPreempt`]; so the fields need no lock. Another task on the
//! same CPU can reach the entry too, so it must not hold anything bound to
//! one task (a `Current`, say). They are `Cell`s
//! because kfuncs called from inside a BPF callback re-enter the core on the
//! same CPU while the caller's frame is still live, and the dispatch buffer
//! is only reached through methods that never hand out a reference into it.

use crate::bindings;
use crate::ops::Ops;
use crate::rq::{Cpu, RqLocked};
use core::cell::{Cell, UnsafeCell};
use core::ptr::NonNull;
use core::sync::atomic::AtomicBool;
use kernel::prelude::*;

/// Evidence that preemption is off, which [`this`] needs; see
/// [`kernel::preempt`].
pub(crate) use kernel::preempt::{Guard as PreemptGuard, NoPreempt};

/// Interrupts disabled on this CPU, as `local_irq_save()` does, until the
/// guard drops; so preemption is disabled too.
///
/// # Invariants
///
/// Interrupts are disabled from `new()` until `drop()`, which restores the
/// state `new()` found, on the same CPU (the type is not `Send`).
#[must_use = "interrupts are enabled again when the guard drops"]
pub(crate) struct IrqGuard {
    flags: usize,
    _not_send: core::marker::PhantomData<*mut ()>,
}

impl IrqGuard {
    /// Disables interrupts.
    pub(crate) fn new() -> Self {
        let mut flags = 0;
        // SAFETY: always allowed; `drop` restores the state.
        unsafe { bindings::scx_helper_local_irq_save(&mut flags) };
        let flags = flags as usize;
        // INVARIANT: interrupts are off from here.
        IrqGuard {
            flags,
            _not_send: core::marker::PhantomData,
        }
    }

    /// Evidence that preemption is off while the guard lives.
    pub(crate) fn no_preempt(&self) -> NoPreempt<'_> {
        // SAFETY: interrupts, and with them preemption, stay off until the
        // guard drops, which the borrow of `self` prevents meanwhile.
        unsafe { NoPreempt::assume() }
    }
}

impl Drop for IrqGuard {
    fn drop(&mut self) {
        // SAFETY: the state saved by `new()` on this CPU.
        unsafe { bindings::scx_helper_local_irq_restore(self.flags as _) };
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
    /// The scheduler's `dispatch_max_batch`, set with the buffer's capacity.
    dsp_max: Cell<usize>,
    /// Tasks dispatched so far in this `balance()`, flushed or consumed.
    pub(crate) dsp_nr_tasks: Cell<usize>,
    /// The rq lock that `balance()` lends to the kfuncs of `ops.dispatch()`;
    /// see [`lend_rq`]. Not `Send` or thread-bound: another task on this
    /// CPU only finds it while the lender is suspended in `ops.dispatch()`.
    dsp_rq: Cell<Option<NonNull<RqLocked>>>,
    /// The rq lock that `class::switch_class()` lends, shared, to the
    /// kfuncs of `ops.cpu_release()`; see [`lend_rq_ref`].
    rel_rq: Cell<Option<NonNull<RqLocked>>>,
    /// For each CPU this one kicked with `SCX_KICK_WAIT`, its `pnt_seq`
    /// at the kick (`class::do_kicks()`); `nr_cpu_ids` entries.
    kick_pnt_seqs: KVec<Cell<usize>>,
    /// Set while this CPU waits for the CPUs it kicked with
    /// `SCX_KICK_WAIT`. The one field other CPUs read, atomically.
    kick_waiting: AtomicBool,
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

/// The `alloc_percpu()` cookie of the area, for the helpers that turn it
/// into an entry's address.
fn area() -> *mut core::ffi::c_void {
    // SAFETY: `AREA` is written once at boot, before any reader, and never
    // again; reading the pointer races with nothing.
    unsafe { *AREA.0.get() }.cast()
}

/// The entry of `cpu`, as a raw pointer: for boot and for the enable path,
/// which own every entry while no scheduler is loaded.
fn entry(cpu: Cpu) -> *mut PerCpu {
    // SAFETY: `area()` is what `alloc_percpu()` returned at boot, and `cpu`
    // is possible.
    unsafe { crate::arch::per_cpu_ptr(area(), cpu.id() as u32).cast() }
}

/// The entry of the CPU this code runs on.
pub(crate) fn this<'a>(_np: NoPreempt<'a>) -> &'a PerCpu {
    // SAFETY: `area()` is what `alloc_percpu()` returned at boot, and
    // preemption is disabled for `'a` (`_np`), which `this_cpu_ptr()`
    // needs. The entry was initialised at boot and is never freed; only
    // this CPU uses it, and it stays this CPU's while preemption is
    // disabled.
    unsafe { &*crate::arch::this_cpu_ptr(area()).cast::<PerCpu>() }
}

impl PerCpu {
    /// How many more dispatches the buffer takes.
    pub(crate) fn dsp_slots(&self) -> usize {
        self.dsp_max.get() - self.dsp_len()
    }

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
        if buf.len() >= self.dsp_max.get() {
            return Err(BufFull);
        }
        // Cannot fail: the capacity was reserved for `dsp_max` entries.
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

impl PerCpu {
    /// Records `seq`, the `pnt_seq` of `cpu` when this CPU kicked it.
    pub(crate) fn set_kick_pnt_seq(&self, cpu: Cpu, seq: usize) {
        if let Some(slot) = self.kick_pnt_seqs.get(cpu.id() as usize) {
            slot.set(seq);
        }
    }

    /// What [`Self::set_kick_pnt_seq`] recorded for `cpu`.
    pub(crate) fn kick_pnt_seq(&self, cpu: Cpu) -> usize {
        self.kick_pnt_seqs
            .get(cpu.id() as usize)
            .map_or(0, Cell::get)
    }
}

/// Whether `cpu` is waiting for CPUs it kicked with `SCX_KICK_WAIT`.
pub(crate) fn kick_waiting(cpu: Cpu) -> &'static AtomicBool {
    // SAFETY: the entry was initialised at boot and is never freed; the
    // field is atomic, so any CPU may read and its owner write it.
    unsafe { &(*entry(cpu)).kick_waiting }
}

/// Lends `rq` to the kfuncs that `f`, a call of `ops.dispatch()`, makes on
/// this CPU ([`with_lent_rq`]); `scx_bpf_consume()` needs the lock that the
/// caller of `ops.dispatch()` holds.
///
/// Returns with the same rq locked: a kfunc that switched and did not
/// switch back is a bug of the core, reported and repaired here.
pub(crate) fn lend_rq<R>(np: NoPreempt<'_>, rq: &mut RqLocked, f: impl FnOnce() -> R) -> R {
    let home = rq.rq();
    let pc = this(np);
    let prev = pc.dsp_rq.replace(Some(NonNull::from(&mut *rq)));
    let r = f();
    pc.dsp_rq.set(prev);
    if !core::ptr::eq(rq.rq(), home) {
        crate::warn!("a kfunc returned with another rq locked");
        rq.switch(home);
    }
    r
}

/// Runs `f` with the rq lock lent by [`lend_rq`] on this CPU; `None` if no
/// lend is in progress, or if the lent lock is already in use by an outer
/// call.
///
/// # Safety
///
/// The caller must be a kfunc of the `ops.dispatch()` call that `lend_rq`
/// wraps: the lender does not use its `&mut RqLocked` until that call
/// returns.
pub(crate) unsafe fn with_lent_rq<R>(
    np: NoPreempt<'_>,
    f: impl FnOnce(&mut RqLocked) -> R,
) -> Option<R> {
    let pc = this(np);
    // Taken out while `f` runs, so that a nested call finds nothing and
    // two `&mut` to the lent lock never exist at once.
    let mut lent = pc.dsp_rq.take()?;
    // SAFETY: by the caller's guarantee the lender's exclusive borrow is
    // ours until we return, and we took the only copy of the pointer.
    let r = f(unsafe { lent.as_mut() });
    pc.dsp_rq.set(Some(lent));
    Some(r)
}

/// Lends `rq`, shared, to the kfuncs that `f`, a call of
/// `ops.cpu_release()`, makes on this CPU ([`with_lent_rq_ref`]):
/// `scx_bpf_reenqueue_local()` works under the lock the caller holds.
pub(crate) fn lend_rq_ref<R>(np: NoPreempt<'_>, rq: &RqLocked, f: impl FnOnce() -> R) -> R {
    let pc = this(np);
    let prev = pc.rel_rq.replace(Some(NonNull::from(rq)));
    let r = f();
    pc.rel_rq.set(prev);
    r
}

/// Runs `f` with the rq lock lent by [`lend_rq_ref`] on this CPU; `None`
/// if no lend is in progress.
///
/// # Safety
///
/// The caller must be a kfunc of the `ops.cpu_release()` call that
/// `lend_rq_ref` wraps, whose borrow of the lock lasts until it returns.
pub(crate) unsafe fn with_lent_rq_ref<R>(
    np: NoPreempt<'_>,
    f: impl FnOnce(&RqLocked) -> R,
) -> Option<R> {
    let lent = this(np).rel_rq.get()?;
    // SAFETY: by the caller's guarantee the lender's shared borrow outlives
    // this call.
    Some(f(unsafe { lent.as_ref() }))
}

/// Sizes every CPU's dispatch buffer for the scheduler being enabled.
///
/// Called with the enable mutex held and no scheduler loaded, so no CPU
/// uses its buffer; each entry is reached on its own, never the whole area.
pub(crate) fn alloc_dispatch_bufs(o: Ops<'_>) -> Result {
    let batch = match o.table().dispatch_max_batch {
        0 => bindings::SCX_DSP_DFL_MAX_BATCH as usize,
        n => n as usize,
    };
    for cpu in crate::rq::possible_cpus() {
        // SAFETY: no CPU uses its buffer (see above), and this reference
        // ends with the iteration.
        let buf = unsafe { &mut *(*entry(cpu)).dsp_buf.get() };
        // SAFETY: shrinking; the entries are `Copy`.
        unsafe { buf.set_len(0) };
        buf.reserve(batch, GFP_KERNEL)?;
        // SAFETY: as above.
        unsafe { (*entry(cpu)).dsp_max.set(batch) };
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
    // The entries are written below, and every later lookup of one, and of
    // the current task, is inline: the reads must agree with C's first.
    let guard = PreemptGuard::new();
    let ok = crate::arch::check(guard.no_preempt(), area);
    drop(guard);
    if !ok {
        pr_err!("the inline per-CPU reads disagree with C's\n");
        return Err(EINVAL);
    }
    // SAFETY: single-threaded at boot; nothing reads `AREA` yet.
    unsafe { *AREA.0.get() = area.cast() };
    let nr_cpus = crate::rq::nr_cpu_ids() as usize;
    for cpu in crate::rq::possible_cpus() {
        let seqs = KVec::from_elem(Cell::new(0), nr_cpus, GFP_KERNEL)?;
        // SAFETY: the entry is fresh memory of the right size and alignment
        // that nothing else references.
        unsafe {
            entry(cpu).write(PerCpu {
                ddsp: Cell::new(Ddsp::Idle),
                dsp_buf: UnsafeCell::new(KVec::new()),
                dsp_max: Cell::new(0),
                dsp_nr_tasks: Cell::new(0),
                dsp_rq: Cell::new(None),
                rel_rq: Cell::new(None),
                kick_pnt_seqs: seqs,
                kick_waiting: AtomicBool::new(false),
            })
        };
    }
    Ok(())
}
