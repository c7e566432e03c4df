// SPDX-License-Identifier: GPL-2.0

//! The kfuncs: what BPF schedulers call, through the one-line C entry points
//! in ext_abi.c.
//!
//! The verifier has checked the argument types; everything else is checked
//! here: the calling context ([`kf::allowed`]), CPU numbers, DSQ ids and
//! flags. A bad argument is an error of the BPF scheduler, which ends it
//! with a message saying what was wrong.

use crate::bindings;
use crate::class::{self, ops_cpu_valid, Kick, ENQ_INTERNAL_MASK};
use crate::dsq::{self, DsqIter};
use crate::exit;
use crate::idle;
use crate::kf::{self, KfMask};
use crate::pcpu::{self, Ddsp, DspEnt, IrqGuard, NoPreempt, PreemptGuard};
use crate::rq::{Cpu, Rq, RqLocked};
use crate::task::{Task, TaskScx};
use kernel::prelude::*;

/// Checks the context and the common arguments of the dispatch kfuncs.
///
/// # Safety
///
/// `p` must be NULL or a task the verifier trusts (KF_RCU), live for `'a`.
#[inline(always)]
unsafe fn dispatch_preamble<'a>(
    p: *mut bindings::task_struct,
    enq_flags: u64,
) -> Option<(NoPreempt<'a>, &'a Task)> {
    if !kf::allowed(KfMask::ENQUEUE.or(KfMask::DISPATCH)) {
        return None;
    }
    // SAFETY: the context just checked means we run inside
    // ops.select_cpu(), ops.enqueue() or ops.dispatch(), which the core
    // calls under `p->pi_lock` or an rq lock, both raw spinlocks, until the
    // kfunc returns.
    let np = unsafe { NoPreempt::assume() };
    if p.is_null() {
        crate::scx_error!("called with NULL task");
        return None;
    }
    if enq_flags & ENQ_INTERNAL_MASK != 0 {
        crate::scx_error!("invalid enq_flags {:#x}", enq_flags);
        return None;
    }
    // SAFETY: by the caller's guarantee.
    Some((np, unsafe { Task::from_raw(p) }))
}

/// Records a dispatch: directly, from `ops.select_cpu()`/`ops.enqueue()`, or
/// into the buffer of `ops.dispatch()`.
#[inline(always)]
fn dispatch_commit(np: NoPreempt<'_>, p: &Task, dsq_id: u64, enq_flags: u64) {
    let pc = pcpu::this(np);
    if pc.ddsp.get() != Ddsp::Idle {
        class::mark_direct_dispatch(np, p, dsq_id, enq_flags);
        return;
    }
    let ent = DspEnt {
        task: p.as_ptr(),
        qseq: p.ops_state().read().qseq(),
        dsq_id,
        enq_flags,
    };
    if pc.dsp_push(ent).is_err() {
        crate::scx_error!("dispatch buffer overflow");
    }
}

/// Sets the slice of the task a dispatch kfunc was given, as the C core
/// does: the task is the one `ops.select_cpu()`/`ops.enqueue()` runs for
/// (its waker or rq lock holder is our caller), or one BPF holds (QUEUED),
/// whose rq lock holder does not write the slice; the write is not
/// otherwise synchronised, in C either.
fn set_slice(p: TaskScx<'_>, slice: u64) {
    if slice != 0 {
        p.set_slice(slice);
    } else if p.slice() == 0 {
        // Keep the task's slice, but it must not be zero.
        p.set_slice(1);
    }
}

/// # Safety
///
/// `p` is NULL or a task the verifier trusts (KF_RCU).
#[no_mangle]
unsafe extern "C" fn scx_rs_bpf_dispatch(
    p: *mut bindings::task_struct,
    dsq_id: u64,
    slice: u64,
    enq_flags: u64,
) {
    // SAFETY: the verifier passes NULL or a trusted task, live until the
    // BPF program returns.
    if let Some((np, p)) = unsafe { dispatch_preamble(p, enq_flags) } {
        // SAFETY: see `set_slice`.
        set_slice(unsafe { TaskScx::assume(p) }, slice);
        dispatch_commit(np, p, dsq_id, enq_flags);
    }
}

/// # Safety
///
/// `p` is NULL or a task the verifier trusts (KF_RCU).
#[no_mangle]
unsafe extern "C" fn scx_rs_bpf_dispatch_vtime(
    p: *mut bindings::task_struct,
    dsq_id: u64,
    slice: u64,
    vtime: u64,
    enq_flags: u64,
) {
    // SAFETY: as in `scx_rs_bpf_dispatch`.
    if let Some((np, p)) = unsafe { dispatch_preamble(p, enq_flags) } {
        // SAFETY: see `set_slice`; the vtime is in the same position (it
        // only matters once the dispatch queues the task).
        let ps = unsafe { TaskScx::assume(p) };
        set_slice(ps, slice);
        ps.set_dsq_vtime(vtime);
        dispatch_commit(np, p, dsq_id, enq_flags | bindings::SCX_ENQ_DSQ_PRIQ as u64);
    }
}

/// Evidence for the kfuncs that only `ops.dispatch()` may call.
///
/// # Safety
///
/// `kf::allowed(KfMask::DISPATCH)` must have returned true in this kfunc.
unsafe fn dispatch_np<'a>() -> NoPreempt<'a> {
    // SAFETY: by the caller's guarantee we run inside ops.dispatch(), which
    // balance() calls under the rq lock, until the kfunc returns.
    unsafe { NoPreempt::assume() }
}

#[no_mangle]
extern "C" fn scx_rs_bpf_dispatch_nr_slots() -> u32 {
    if !kf::allowed(KfMask::DISPATCH) {
        return 0;
    }
    // SAFETY: checked just above.
    let np = unsafe { dispatch_np() };
    pcpu::this(np).dsp_slots() as u32
}

#[no_mangle]
extern "C" fn scx_rs_bpf_dispatch_cancel() {
    if !kf::allowed(KfMask::DISPATCH) {
        return;
    }
    // SAFETY: checked just above.
    let np = unsafe { dispatch_np() };
    if pcpu::this(np).dsp_pop().is_none() {
        crate::scx_error!("dispatch buffer underflow");
    }
}

/// `scx_bpf_consume()` with the rq lock that `ops.dispatch()` runs under.
fn consume_lent(np: NoPreempt<'_>, rq: &mut RqLocked, dsq_id: u64) -> bool {
    // What was dispatched before must reach its DSQs first, to keep the
    // order the scheduler asked for.
    class::flush_dispatch_buf(np, rq);
    // User DSQs only: as in the C core, the global DSQs are consumed by
    // the core itself, each CPU from its node's, before ops.dispatch().
    let Some(dsq) = dsq::find_user(dsq_id, np) else {
        crate::scx_error!("invalid DSQ ID {:#018x}", dsq_id);
        return false;
    };
    class::consume(rq, dsq)
}

#[no_mangle]
extern "C" fn scx_rs_bpf_consume(dsq_id: u64) -> bool {
    if !kf::allowed(KfMask::DISPATCH) {
        return false;
    }
    // SAFETY: checked just above.
    let np = unsafe { dispatch_np() };
    // SAFETY: we are a kfunc of the ops.dispatch() call that balance() lent
    // its rq lock to.
    let consumed = unsafe { pcpu::with_lent_rq(np, |rq| consume_lent(np, rq, dsq_id)) };
    if consumed == Some(true) {
        let pc = pcpu::this(np);
        pc.dsp_nr_tasks.set(pc.dsp_nr_tasks.get() + 1);
        true
    } else {
        false
    }
}

/// `scx_bpf_dispatch_from_dsq()` and `scx_bpf_dispatch_vtime_from_dsq()`,
/// from `ops.dispatch()` or from a context that holds no rq lock.
///
/// # Safety
///
/// `it` is an iterator and `p` a task the verifier trusts (KF_RCU).
unsafe fn dispatch_from_dsq(
    it: *mut bindings::bpf_iter_scx_dsq,
    p: *mut bindings::task_struct,
    dsq_id: u64,
    enq_flags: u64,
) -> bool {
    // SAFETY: by the caller's guarantee.
    let (it, p) = unsafe { (DsqIter::from_raw(it), Task::from_raw(p)) };
    if kf::current_mask() == KfMask::UNLOCKED {
        // No rq lock held: take `p`'s, which the move needs first anyway.
        let g = PreemptGuard::new();
        let mut rq = Rq::of_cpu(p.cpu()).lock_irqsave();
        // `rq` unlocks whichever rq the move ended on.
        return class::move_from_dsq(g.no_preempt(), &mut rq, it, p, dsq_id, enq_flags);
    }
    if !kf::allowed(KfMask::DISPATCH) {
        return false;
    }
    // SAFETY: checked just above.
    let np = unsafe { dispatch_np() };
    // SAFETY: we are a kfunc of the ops.dispatch() call that balance() lent
    // its rq lock to.
    let moved = unsafe {
        pcpu::with_lent_rq(np, |rq| {
            let home = rq.rq();
            let moved = class::move_from_dsq(np, rq, it, p, dsq_id, enq_flags);
            rq.switch(home);
            moved
        })
    };
    moved == Some(true)
}

/// # Safety
///
/// `it` is an iterator and `p` a task the verifier trusts (KF_RCU).
#[no_mangle]
unsafe extern "C" fn scx_rs_bpf_dispatch_from_dsq(
    it: *mut bindings::bpf_iter_scx_dsq,
    p: *mut bindings::task_struct,
    dsq_id: u64,
    enq_flags: u64,
) -> bool {
    // SAFETY: as our caller guarantees.
    unsafe { dispatch_from_dsq(it, p, dsq_id, enq_flags) }
}

/// # Safety
///
/// `it` is an iterator and `p` a task the verifier trusts (KF_RCU).
#[no_mangle]
unsafe extern "C" fn scx_rs_bpf_dispatch_vtime_from_dsq(
    it: *mut bindings::bpf_iter_scx_dsq,
    p: *mut bindings::task_struct,
    dsq_id: u64,
    enq_flags: u64,
) -> bool {
    let flags = enq_flags | bindings::SCX_ENQ_DSQ_PRIQ as u64;
    // SAFETY: as our caller guarantees.
    unsafe { dispatch_from_dsq(it, p, dsq_id, flags) }
}

/// # Safety
///
/// `it` is an iterator the verifier trusts.
#[no_mangle]
unsafe extern "C" fn scx_rs_bpf_dispatch_from_dsq_set_slice(
    it: *mut bindings::bpf_iter_scx_dsq,
    slice: u64,
) {
    // SAFETY: by the caller's guarantee.
    unsafe { DsqIter::from_raw(it) }.set_slice(slice);
}

/// # Safety
///
/// `it` is an iterator the verifier trusts.
#[no_mangle]
unsafe extern "C" fn scx_rs_bpf_dispatch_from_dsq_set_vtime(
    it: *mut bindings::bpf_iter_scx_dsq,
    vtime: u64,
) {
    // SAFETY: by the caller's guarantee.
    unsafe { DsqIter::from_raw(it) }.set_vtime(vtime);
}

/// `bpf_iter_scx_dsq_new()`.
///
/// # Safety
///
/// `it` is an uninitialised iterator slot of the calling BPF program.
#[no_mangle]
unsafe extern "C" fn scx_rs_bpf_iter_scx_dsq_new(
    it: *mut bindings::bpf_iter_scx_dsq,
    dsq_id: u64,
    flags: u64,
) -> i32 {
    let g = PreemptGuard::new();
    // SAFETY: by the caller's guarantee; `start` initialises it.
    match unsafe { DsqIter::from_raw(it) }.start(g.no_preempt(), dsq_id, flags) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// `bpf_iter_scx_dsq_next()`.
///
/// # Safety
///
/// `it` is an iterator that `bpf_iter_scx_dsq_new()` initialised, in the
/// same RCU read-side section (KF_RCU_PROTECTED).
#[no_mangle]
unsafe extern "C" fn scx_rs_bpf_iter_scx_dsq_next(
    it: *mut bindings::bpf_iter_scx_dsq,
) -> *mut bindings::task_struct {
    // SAFETY: by the caller's guarantee.
    unsafe { DsqIter::from_raw(it) }
        .next()
        .map_or(core::ptr::null_mut(), Task::as_ptr)
}

/// `bpf_iter_scx_dsq_destroy()`.
///
/// # Safety
///
/// As for `scx_rs_bpf_iter_scx_dsq_next`.
#[no_mangle]
unsafe extern "C" fn scx_rs_bpf_iter_scx_dsq_destroy(it: *mut bindings::bpf_iter_scx_dsq) {
    // SAFETY: by the caller's guarantee.
    unsafe { DsqIter::from_raw(it) }.destroy();
}

/// `scx_bpf_reenqueue_local()`.
#[no_mangle]
extern "C" fn scx_rs_bpf_reenqueue_local() -> u32 {
    if !kf::allowed(KfMask::CPU_RELEASE) {
        return 0;
    }
    // SAFETY: the context just checked means we run inside
    // ops.cpu_release(), which `class::switch_class()` calls with this
    // CPU's rq locked, and lent, until it returns.
    unsafe { pcpu::with_lent_rq_ref(NoPreempt::assume(), class::reenqueue_local) }.unwrap_or(0)
}

#[no_mangle]
extern "C" fn scx_rs_bpf_create_dsq(dsq_id: u64, node: i32) -> i32 {
    // SAFETY: `nr_node_ids` is fixed after boot.
    let nr_nodes = unsafe { bindings::scx_helper_nr_node_ids() } as i32;
    // NUMA_NO_NODE, or a node that exists.
    if node != -1 && !(0..nr_nodes).contains(&node) {
        return EINVAL.to_errno();
    }
    match dsq::create(dsq_id) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

#[no_mangle]
extern "C" fn scx_rs_bpf_destroy_dsq(dsq_id: u64) {
    if let Err(dsq::DestroyError::Busy(nr)) = dsq::destroy(dsq_id) {
        crate::scx_error!(
            "attempting to destroy in-use dsq {:#018x} (nr={})",
            dsq_id,
            nr
        );
    }
}

#[no_mangle]
extern "C" fn scx_rs_bpf_dsq_nr_queued(dsq_id: u64) -> i32 {
    // Keeps the CPU and the user DSQ found.
    let g = PreemptGuard::new();
    let np = g.no_preempt();
    if dsq_id == dsq::LOCAL {
        Rq::this(np).local_dsq().nr() as i32
    } else if dsq_id & dsq::FLAG_LOCAL_ON == dsq::FLAG_LOCAL_ON {
        let cpu = (dsq_id & dsq::LOCAL_CPU_MASK) as i32;
        match ops_cpu_valid(cpu, "") {
            Some(cpu) => Rq::of_cpu(cpu).local_dsq().nr() as i32,
            None => ENOENT.to_errno(),
        }
    } else {
        match dsq::find_user(dsq_id, np) {
            Some(d) => d.nr() as i32,
            None => ENOENT.to_errno(),
        }
    }
}

#[no_mangle]
extern "C" fn scx_rs_bpf_kick_cpu(cpu: i32, flags: u64) {
    let Some(cpu) = ops_cpu_valid(cpu, "") else {
        return;
    };
    let idle = bindings::SCX_KICK_IDLE as u64;
    let preempt = bindings::SCX_KICK_PREEMPT as u64;
    let wait = bindings::SCX_KICK_WAIT as u64;
    // The kick is recorded on this CPU's rq, whose irq_work carries it out.
    // Interrupts off, not just preemption: a kick from an interrupt in the
    // middle of this one would run the irq_work, and wait on, or clear, the
    // half-recorded bits of ours.
    let g = IrqGuard::new();
    let np = g.no_preempt();
    // While this CPU bypasses (PM operations), interrupt handling may be
    // down and irq_work could spin: no kicks, as in the C core.
    if Rq::this(np).bypassing() {
        return;
    }
    let what = if flags & idle != 0 {
        if flags & (preempt | wait) != 0 {
            crate::scx_error!("PREEMPT/WAIT cannot be used with SCX_KICK_IDLE");
        }
        // Skip the irq_work if the target is sure to look at its queues
        // anyway. Only a try: we may hold another rq lock, or the target's.
        if let Some(target) = Rq::of_cpu(cpu).try_lock_irqsave() {
            if class::can_skip_idle_kick(&target) {
                return;
            }
        }
        Kick::IfIdle
    } else {
        Kick::Resched {
            preempt: flags & preempt != 0,
            wait: flags & wait != 0,
        }
    };
    class::kick_cpu(np, cpu, what);
}

/// Formats a BPF `bstr` message into `out`, like bpf_trace_printk().
pub(crate) fn bstr_format(
    out: &mut exit::FmtBuf<'_>,
    fmt: *const u8,
    data: *const u64,
    data_sz: u32,
) -> core::result::Result<(), i32> {
    const MAX_ARGS: usize = bindings::MAX_BPRINTF_VARARGS as usize;
    if data_sz % 8 != 0 || data_sz as usize > MAX_ARGS * 8 || (data_sz != 0 && data.is_null()) {
        return Err(EINVAL.to_errno());
    }
    let mut args = [0u64; MAX_ARGS];
    if data_sz != 0 {
        // SAFETY: `args` has room for `data_sz` bytes; the copy tolerates
        // faults in `data`.
        let r = unsafe {
            bindings::copy_from_kernel_nofault(
                args.as_mut_ptr() as *mut _,
                data as *const _,
                data_sz as _,
            )
        };
        if r != 0 {
            return Err(r as i32);
        }
    }
    // SAFETY: zeroed is the initial value bpf_bprintf_prepare() expects.
    let mut bd: bindings::bpf_bprintf_data = unsafe { core::mem::zeroed() };
    bd.get_bin_args = true;
    // SAFETY: `fmt` is a verified, NUL-terminated BPF string (the kfunc is
    // KF_TRUSTED_ARGS); `args` holds `data_sz / 8` values.
    let r = unsafe {
        bindings::bpf_bprintf_prepare(fmt as *mut _, u32::MAX, args.as_ptr(), data_sz / 8, &mut bd)
    };
    if r < 0 {
        return Err(r);
    }
    out.fill_with(|buf| {
        // SAFETY: `buf` is writable for its length; `bd.bin_args` was
        // prepared for `fmt` above.
        unsafe {
            bindings::bstr_printf(
                buf.as_mut_ptr() as *mut _,
                buf.len() as _,
                fmt as *const _,
                bd.bin_args,
            )
        }
    });
    // SAFETY: releases what bpf_bprintf_prepare() took.
    unsafe { bindings::bpf_bprintf_cleanup(&mut bd) };
    Ok(())
}

fn bstr_exit(kind: exit::ExitKind, code: i64, fmt: *const u8, data: *const u64, data_sz: u32) {
    exit::raise_with(kind, code, |w| {
        if let Err(e) = bstr_format(w, fmt, data, data_sz) {
            let _ = core::fmt::Write::write_fmt(
                w,
                format_args!("invalid format string or arguments ({})", e),
            );
        }
    });
}

#[no_mangle]
extern "C" fn scx_rs_bpf_exit_bstr(exit_code: i64, fmt: *const u8, data: *const u64, data_sz: u32) {
    bstr_exit(exit::UNREG_BPF, exit_code, fmt, data, data_sz);
}

#[no_mangle]
extern "C" fn scx_rs_bpf_error_bstr(fmt: *const u8, data: *const u64, data_sz: u32) {
    bstr_exit(exit::ERROR_BPF, 0, fmt, data, data_sz);
}

/// `scx_bpf_dump_bstr()`: a line of the scheduler's part of a debug dump.
#[no_mangle]
extern "C" fn scx_rs_bpf_dump_bstr(fmt: *const u8, data: *const u64, data_sz: u32) {
    crate::dump::bpf_dump_bstr(fmt, data, data_sz);
}

#[no_mangle]
extern "C" fn scx_rs_bpf_nr_cpu_ids() -> u32 {
    crate::rq::nr_cpu_ids()
}

#[no_mangle]
extern "C" fn scx_rs_bpf_get_possible_cpumask() -> *const bindings::cpumask {
    crate::rq::cpu_possible_mask()
}

#[no_mangle]
extern "C" fn scx_rs_bpf_get_online_cpumask() -> *const bindings::cpumask {
    crate::rq::cpu_online_mask()
}

/// The masks handed out are global and never freed; releasing is a no-op,
/// which the verifier still requires BPF to do.
#[no_mangle]
extern "C" fn scx_rs_bpf_put_cpumask(_mask: *const bindings::cpumask) {}

/// What BPF gets instead of the idle mask when idle tracking is off.
struct EmptyMask(core::cell::UnsafeCell<core::mem::MaybeUninit<bindings::cpumask>>);
// SAFETY: never written.
unsafe impl Sync for EmptyMask {}
static EMPTY_MASK: EmptyMask =
    EmptyMask(core::cell::UnsafeCell::new(core::mem::MaybeUninit::zeroed()));

fn builtin_idle_check() -> bool {
    if !idle::builtin_enabled() {
        crate::scx_error!("built-in idle tracking is disabled");
        return false;
    }
    true
}

#[no_mangle]
extern "C" fn scx_rs_bpf_get_idle_cpumask() -> *const bindings::cpumask {
    if !builtin_idle_check() {
        return EMPTY_MASK.0.get() as *const _;
    }
    idle::mask()
}

#[no_mangle]
extern "C" fn scx_rs_bpf_get_idle_smtmask() -> *const bindings::cpumask {
    if !builtin_idle_check() {
        return EMPTY_MASK.0.get() as *const _;
    }
    idle::smt_mask_of_idle()
}

/// `scx_bpf_cpuperf_cap()`: the CPU's capacity, `SCX_CPUPERF_ONE` for the
/// fastest CPU of the system.
#[no_mangle]
extern "C" fn scx_rs_bpf_cpuperf_cap(cpu: i32) -> u32 {
    match ops_cpu_valid(cpu, "") {
        // SAFETY: `cpu` is possible.
        Some(cpu) => unsafe { bindings::scx_helper_cpu_capacity(cpu.id()) },
        None => bindings::SCX_CPUPERF_ONE,
    }
}

/// `scx_bpf_cpuperf_cur()`: the CPU's current frequency, relative to its
/// maximum, as the frequency-invariance code last measured it.
#[no_mangle]
extern "C" fn scx_rs_bpf_cpuperf_cur(cpu: i32) -> u32 {
    match ops_cpu_valid(cpu, "") {
        // SAFETY: `cpu` is possible.
        Some(cpu) => unsafe { bindings::scx_helper_freq_capacity(cpu.id()) },
        None => bindings::SCX_CPUPERF_ONE,
    }
}

/// `scx_bpf_cpuperf_set()`: the performance target schedutil gives the
/// CPU while ext tasks run on it, on the `SCX_CPUPERF_ONE` scale.
#[no_mangle]
extern "C" fn scx_rs_bpf_cpuperf_set(cpu: i32, perf: u32) {
    if perf > bindings::SCX_CPUPERF_ONE {
        crate::scx_error!("Invalid cpuperf target {} for CPU {}", perf, cpu);
        return;
    }
    if let Some(cpu) = ops_cpu_valid(cpu, "") {
        let rq = Rq::of_cpu(cpu);
        rq.set_cpuperf_target(perf);
        // Schedutil reads the target when the scheduler pokes it; a
        // remote CPU's governor may ignore the poke until its own next
        // update, as in the C core.
        // SAFETY: `rq` is a valid rq; the helper takes the RCU-sched lock
        // that cpufreq_update_util() needs.
        unsafe { bindings::scx_helper_cpufreq_update_util(rq.as_ptr()) };
    }
}

#[no_mangle]
extern "C" fn scx_rs_bpf_test_and_clear_cpu_idle(cpu: i32) -> bool {
    if !builtin_idle_check() {
        return false;
    }
    ops_cpu_valid(cpu, "").is_some_and(idle::test_and_clear)
}

#[no_mangle]
extern "C" fn scx_rs_bpf_pick_idle_cpu(allowed: *const bindings::cpumask, flags: u64) -> i32 {
    if !builtin_idle_check() {
        return EBUSY.to_errno();
    }
    idle::pick(allowed, flags).map_or(EBUSY.to_errno(), Cpu::id)
}

#[no_mangle]
extern "C" fn scx_rs_bpf_pick_any_cpu(allowed: *const bindings::cpumask, flags: u64) -> i32 {
    if idle::builtin_enabled() {
        if let Some(cpu) = idle::pick(allowed, flags) {
            return cpu.id();
        }
    }
    // SAFETY: both masks are valid.
    let cpu = unsafe {
        bindings::scx_helper_cpumask_any_and_distribute(allowed, crate::rq::cpu_possible_mask())
    };
    Cpu::new(cpu).map_or(EBUSY.to_errno(), Cpu::id)
}

/// # Safety
///
/// `p` is a task the verifier trusts (KF_RCU).
#[no_mangle]
unsafe extern "C" fn scx_rs_bpf_task_running(p: *const bindings::task_struct) -> bool {
    // SAFETY: a trusted task (KF_RCU).
    let p = unsafe { Task::from_raw(p) };
    // `curr` of an rq is read racily, as in the C core.
    core::ptr::eq(Rq::of_cpu(p.cpu()).curr_ptr(), p.as_ptr())
}

/// # Safety
///
/// `p` is a task the verifier trusts (KF_RCU).
#[no_mangle]
unsafe extern "C" fn scx_rs_bpf_task_cpu(p: *const bindings::task_struct) -> i32 {
    // SAFETY: a trusted task (KF_RCU).
    unsafe { Task::from_raw(p) }.cpu().id()
}

#[no_mangle]
extern "C" fn scx_rs_bpf_cpu_rq(cpu: i32) -> *mut bindings::rq {
    ops_cpu_valid(cpu, "").map_or(core::ptr::null_mut(), |cpu| Rq::of_cpu(cpu).as_ptr())
}

/// # Safety
///
/// `p` is a task the verifier trusts (KF_RCU).
#[no_mangle]
unsafe extern "C" fn scx_rs_bpf_select_cpu_dfl(
    p: *mut bindings::task_struct,
    prev_cpu: i32,
    wake_flags: u64,
    is_idle: *mut bool,
) -> i32 {
    let mut cpu = prev_cpu;
    let mut found = false;
    if let Some(prev) = ops_cpu_valid(prev_cpu, "") {
        if builtin_idle_check() && kf::allowed(KfMask::SELECT_CPU) {
            // SAFETY: ops.select_cpu() runs under `p->pi_lock`, a raw
            // spinlock, until we return; `p` is a trusted task (KF_RCU).
            let (np, t) = unsafe { (NoPreempt::assume(), Task::from_raw(p)) };
            let (c, f) = idle::select_cpu_dfl(np, t, prev, wake_flags);
            (cpu, found) = (c.id(), f);
        }
    }
    // SAFETY: the verifier checked `is_idle` points to a writable bool.
    unsafe { *is_idle = found };
    cpu
}

crate::bindings::check_prototypes! {
    scx_rs_bpf_dispatch,
    scx_rs_bpf_dispatch_vtime,
    scx_rs_bpf_dispatch_nr_slots,
    scx_rs_bpf_dispatch_cancel,
    scx_rs_bpf_consume,
    scx_rs_bpf_reenqueue_local,
    scx_rs_bpf_dispatch_from_dsq,
    scx_rs_bpf_dispatch_vtime_from_dsq,
    scx_rs_bpf_dispatch_from_dsq_set_slice,
    scx_rs_bpf_dispatch_from_dsq_set_vtime,
    scx_rs_bpf_iter_scx_dsq_new,
    scx_rs_bpf_iter_scx_dsq_next,
    scx_rs_bpf_iter_scx_dsq_destroy,
    scx_rs_bpf_create_dsq,
    scx_rs_bpf_destroy_dsq,
    scx_rs_bpf_dsq_nr_queued,
    scx_rs_bpf_kick_cpu,
    scx_rs_bpf_exit_bstr,
    scx_rs_bpf_error_bstr,
    scx_rs_bpf_dump_bstr,
    scx_rs_bpf_nr_cpu_ids,
    scx_rs_bpf_get_possible_cpumask,
    scx_rs_bpf_get_online_cpumask,
    scx_rs_bpf_put_cpumask,
    scx_rs_bpf_get_idle_cpumask,
    scx_rs_bpf_get_idle_smtmask,
    scx_rs_bpf_cpuperf_cap,
    scx_rs_bpf_cpuperf_cur,
    scx_rs_bpf_cpuperf_set,
    scx_rs_bpf_test_and_clear_cpu_idle,
    scx_rs_bpf_pick_idle_cpu,
    scx_rs_bpf_pick_any_cpu,
    scx_rs_bpf_task_running,
    scx_rs_bpf_task_cpu,
    scx_rs_bpf_cpu_rq,
    scx_rs_bpf_select_cpu_dfl,
}
