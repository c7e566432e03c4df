// SPDX-License-Identifier: GPL-2.0

//! Ending a BPF scheduler: exit kinds, the exit info, and the disable trigger.
//!
//! Anything can end a scheduler: user space closing the link, the BPF program
//! calling `scx_bpf_exit()` or `scx_bpf_error()`, or the core finding a bad
//! verdict. The first one wins: [`claim`] moves the exit kind from NONE to
//! the new kind once, and the winner fills in `scx_exit_info` for
//! `ops.exit()`. Errors are raised from any context, including with rq
//! locks held, so the disable itself is deferred: an irq_work (safe to queue
//! anywhere) queues the disable work on an RT kthread, which the failing BPF
//! scheduler therefore cannot starve.

use crate::bindings;
use crate::pcpu::{NoPreempt, PreemptGuard};
use core::cell::UnsafeCell;
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicI32, Ordering};
use kernel::alloc::KVVec;
use kernel::prelude::*;
use kernel::types::Opaque;

/// `SCX_EXIT_*`.
pub(crate) type ExitKind = i32;

pub(crate) const NONE: ExitKind = bindings::SCX_EXIT_NONE as i32;
pub(crate) const DONE: ExitKind = bindings::SCX_EXIT_DONE as i32;
pub(crate) const UNREG: ExitKind = bindings::SCX_EXIT_UNREG as i32;
pub(crate) const UNREG_BPF: ExitKind = bindings::SCX_EXIT_UNREG_BPF as i32;
pub(crate) const UNREG_KERN: ExitKind = bindings::SCX_EXIT_UNREG_KERN as i32;
pub(crate) const ERROR: ExitKind = bindings::SCX_EXIT_ERROR as i32;
pub(crate) const ERROR_BPF: ExitKind = bindings::SCX_EXIT_ERROR_BPF as i32;
pub(crate) const ERROR_STALL: ExitKind = bindings::SCX_EXIT_ERROR_STALL as i32;
pub(crate) const SYSRQ: ExitKind = bindings::SCX_EXIT_SYSRQ as i32;

/// What `scx_exit_info.reason` says for `kind`.
pub(crate) fn reason(kind: ExitKind) -> &'static kernel::str::CStr {
    use kernel::c_str;
    match kind as u32 {
        bindings::SCX_EXIT_UNREG => c_str!("unregistered from user space"),
        bindings::SCX_EXIT_UNREG_BPF => c_str!("unregistered from BPF"),
        bindings::SCX_EXIT_UNREG_KERN => c_str!("unregistered from the main kernel"),
        bindings::SCX_EXIT_SYSRQ => c_str!("disabled by sysrq-S"),
        bindings::SCX_EXIT_ERROR => c_str!("runtime error"),
        bindings::SCX_EXIT_ERROR_BPF => c_str!("scx_bpf_error"),
        bindings::SCX_EXIT_ERROR_STALL => c_str!("runnable task stall"),
        _ => c_str!("<UNKNOWN>"),
    }
}

/// The exit kind claimed for the current scheduler: NONE while one can be
/// claimed, DONE when there is nothing to end. DONE from boot to the first
/// enable, so that an error raised with no scheduler loaded (a tracing or
/// syscall BPF program can call `scx_bpf_error()` at any time) claims
/// nothing.
static EXIT_KIND: AtomicI32 = AtomicI32::new(DONE);

/// Resets the claim for a scheduler being enabled.
///
/// The caller has set the enable state to ENABLING first, so that a claim
/// made from here on finds a scheduler to disable.
pub(crate) fn reset() {
    // SAFETY: no exit can be claimed (the kind is DONE), so nothing writes
    // or reads the info.
    unsafe {
        let ei = &mut *INFO.ei.get();
        ei.kind = NONE as _;
        ei.exit_code = 0;
        ei.reason = kernel::c_str!("").as_char_ptr();
        ei.msg = INFO.msg.get() as *mut _;
        ei.bt = INFO.bt.get() as *mut _;
        ei.bt_len = 0;
        (*INFO.msg.get())[0] = 0;
    }
    EXIT_KIND.store(NONE, Ordering::Release);
}

/// Claims the exit of the current scheduler for `kind`.
///
/// Returns false if another exit was claimed first.
///
/// Once the claim is made, no other exit can queue the disable, so the
/// winner must queue it before it can be preempted: preempted, it would be
/// scheduled again by the very scheduler being ejected, which may never do
/// it. `_np` proves preemption stays off until the winner has queued it.
fn claim(kind: ExitKind, _np: NoPreempt<'_>) -> bool {
    EXIT_KIND
        .compare_exchange(NONE, kind, Ordering::AcqRel, Ordering::Acquire)
        .is_ok()
}

/// Marks the claimed exit as being handled, returning its kind; NONE or DONE
/// if there is nothing to do, leaving NONE and DONE unchanged.
///
/// NONE must stay NONE: it means a scheduler is being enabled or runs and
/// nothing asked for its end. Were a disable ever to run then (one queued
/// for the previous scheduler and run late), turning NONE into DONE would
/// make every later claim fail, and that scheduler could never be
/// unloaded.
pub(crate) fn take() -> ExitKind {
    match EXIT_KIND.fetch_update(Ordering::AcqRel, Ordering::Acquire, |k| {
        (k != NONE && k != DONE).then_some(DONE)
    }) {
        Ok(k) | Err(k) => k,
    }
}

/// The kind claimed so far.
pub(crate) fn claimed() -> ExitKind {
    EXIT_KIND.load(Ordering::Acquire)
}

const MSG_LEN: usize = bindings::SCX_EXIT_MSG_LEN as usize;
const BT_LEN: usize = bindings::SCX_EXIT_BT_LEN as usize;

/// The exit info handed to `ops.exit()`, and its buffers.
///
/// # Invariants
///
/// Written only by the winner of [`claim`] (once per scheduler) and by
/// [`reset`] while no scheduler is loaded; read by the disable work, which
/// runs after the winner queued it.
struct ExitInfo {
    ei: UnsafeCell<bindings::scx_exit_info>,
    msg: UnsafeCell<[u8; MSG_LEN]>,
    bt: UnsafeCell<[usize; BT_LEN]>,
}

// SAFETY: see the invariants.
unsafe impl Sync for ExitInfo {}

static INFO: ExitInfo = ExitInfo {
    // SAFETY: all-zero is a valid `scx_exit_info`.
    ei: UnsafeCell::new(unsafe { core::mem::MaybeUninit::zeroed().assume_init() }),
    msg: UnsafeCell::new([0; MSG_LEN]),
    bt: UnsafeCell::new([0; BT_LEN]),
};

/// What `ops.exit()` sees as the dump when there is no buffer.
static EMPTY_DUMP: [u8; 1] = [0];

/// The dump buffer of the loaded scheduler, `ops.exit_dump_len` bytes.
///
/// # Invariants
///
/// Replaced only by [`alloc_dump`] and [`free_dump`], with the enable mutex
/// held, while no exit can be claimed or once the claimed one was handled:
/// before [`reset`] at enable, after `ops.exit()` at disable. In between,
/// the bytes are written only by the exit's irq_work, once, for the claim's
/// winner (see [`irq_workfn`]), and read by the disable work it queues.
struct DumpBuf(UnsafeCell<KVVec<u8>>);

// SAFETY: see the invariants.
unsafe impl Sync for DumpBuf {}

static DUMP: DumpBuf = DumpBuf(UnsafeCell::new(KVVec::new()));

/// Allocates the dump buffer of a scheduler being enabled.
pub(crate) fn alloc_dump(_g: &crate::enable::EnableLocked, len: usize) -> Result {
    let buf = KVVec::from_elem(0u8, len, GFP_KERNEL)?;
    // SAFETY: see `DumpBuf`: the mutex is held and no exit can be claimed.
    unsafe { *DUMP.0.get() = buf };
    Ok(())
}

/// Frees the dump buffer once `ops.exit()` has read it.
pub(crate) fn free_dump(_g: &crate::enable::EnableLocked) {
    // SAFETY: see `DumpBuf`: the exit was handled, nothing reads it.
    drop(core::mem::replace(
        unsafe { &mut *DUMP.0.get() },
        KVVec::new(),
    ));
}

/// The exit info, with its pointers set up, for `ops.exit()`.
pub(crate) fn info() -> *mut bindings::scx_exit_info {
    let ei = INFO.ei.get();
    // SAFETY: only the disable work calls this, after the claim's writes and
    // the dump, which the irq_work made before it queued the work. `msg`
    // and `bt` point to their buffers since `reset()`.
    unsafe {
        let dump = &mut *DUMP.0.get();
        (*ei).dump = if dump.is_empty() {
            EMPTY_DUMP.as_ptr() as *mut _
        } else {
            dump.as_mut_ptr() as *mut _
        };
    }
    ei
}

/// Prints the backtrace of an error exit, as the C core does.
pub(crate) fn print_backtrace() {
    // SAFETY: only the disable work calls this, after the claim's writes.
    unsafe {
        let ei = &*INFO.ei.get();
        if ei.kind as i32 >= ERROR {
            bindings::stack_trace_print((*INFO.bt.get()).as_ptr() as *const _, ei.bt_len, 2);
        }
    }
}

/// The message of the current exit.
pub(crate) fn msg() -> &'static kernel::str::CStr {
    // SAFETY: the buffer is always NUL-terminated by `FmtBuf`.
    unsafe { kernel::str::CStr::from_char_ptr(INFO.msg.get() as *const _) }
}

/// A `fmt::Write` into a fixed buffer that truncates and stays
/// NUL-terminated.
pub(crate) struct FmtBuf<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> FmtBuf<'a> {
    /// Writes into `buf`, which must not be empty.
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        buf[0] = 0;
        FmtBuf { buf, len: 0 }
    }

    /// Lets `f` write a NUL-terminated string into the buffer directly;
    /// `f` returns the length it wrote.
    pub(crate) fn fill_with(&mut self, f: impl FnOnce(&mut [u8]) -> i32) {
        let n = f(&mut self.buf[self.len..]);
        let room = self.buf.len() - 1 - self.len;
        self.len += (n.max(0) as usize).min(room);
        self.buf[self.len] = 0;
    }

    /// Appends `bytes`, which need not be UTF-8, truncating as
    /// [`Write::write_str`] does.
    pub(crate) fn write_bytes(&mut self, bytes: &[u8]) {
        let room = self.buf.len() - 1 - self.len;
        let n = bytes.len().min(room);
        self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
        self.len += n;
        self.buf[self.len] = 0;
    }

    /// The text written so far, NUL included.
    pub(crate) fn as_bytes_with_nul(&self) -> &[u8] {
        &self.buf[..=self.len]
    }
}

impl Write for FmtBuf<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.write_bytes(s.as_bytes());
        Ok(())
    }
}

/// Ends the current scheduler with `kind`, `code` and a message.
///
/// Callable from any context. Does nothing if an exit was already claimed:
/// the first reason is the one user space sees.
pub(crate) fn raise(kind: ExitKind, code: i64, args: fmt::Arguments<'_>) {
    raise_with(kind, code, |w| {
        let _ = w.write_fmt(args);
    })
}

/// Like [`raise`], with the message written by `f`.
pub(crate) fn raise_with(kind: ExitKind, code: i64, f: impl FnOnce(&mut FmtBuf<'_>)) {
    let guard = PreemptGuard::new();
    if !claim(kind, guard.no_preempt()) {
        return;
    }
    // SAFETY: we won the claim, so we are the only writer; see `ExitInfo`.
    unsafe {
        let ei = &mut *INFO.ei.get();
        ei.exit_code = code;
        ei.bt_len = if kind >= ERROR {
            bindings::stack_trace_save((*INFO.bt.get()).as_mut_ptr() as *mut _, BT_LEN as u32, 1)
        } else {
            0
        };
        f(&mut FmtBuf::new(&mut *INFO.msg.get()));
        ei.kind = kind as _;
        ei.reason = reason(kind).as_char_ptr();
    }
    queue_disable();
    drop(guard);
}

/// Asks for the scheduler to be disabled with `kind` and no message.
pub(crate) fn request(kind: ExitKind) {
    raise_with(kind, 0, |_| {});
}

/// Storage of the deferred-work objects.
struct Deferred {
    irq_work: Opaque<bindings::irq_work>,
    disable_work: Opaque<bindings::kthread_work>,
    worker: UnsafeCell<*mut bindings::kthread_worker>,
}

// SAFETY: the C objects do their own synchronisation; `worker` is written
// once at boot before any use.
unsafe impl Sync for Deferred {}

static DEFERRED: Deferred = Deferred {
    irq_work: Opaque::uninit(),
    disable_work: Opaque::uninit(),
    worker: UnsafeCell::new(core::ptr::null_mut()),
};

/// Runs in hardirq context after a claim: dumps the state for an error
/// exit, while it is still the state that failed, then queues the disable.
extern "C" fn irq_workfn(_work: *mut bindings::irq_work) {
    if claimed() >= ERROR {
        // SAFETY: see `ExitInfo` and `DumpBuf`: the claim's writes are done
        // (irq_work_queue() orders them before us), the disable that reads
        // and frees the buffer is queued only below, and no other exit
        // reaches here for this scheduler.
        let (ei, dump) = unsafe { (&*INFO.ei.get(), &mut *DUMP.0.get()) };
        crate::dump::dump(ei, dump.as_mut_slice());
    }
    // SAFETY: the worker was created at boot; queueing is safe from hardirq.
    unsafe { bindings::kthread_queue_work(*DEFERRED.worker.get(), DEFERRED.disable_work.get()) };
}

extern "C" fn disable_workfn(_work: *mut bindings::kthread_work) {
    crate::enable::disable_workfn();
}

/// Creates a SCHED_FIFO kthread worker named `name`, which a failing BPF
/// scheduler cannot starve.
pub(crate) fn create_rt_worker(
    name: &kernel::str::CStr,
) -> kernel::error::Result<*mut bindings::kthread_worker> {
    // SAFETY: `name` is a valid C string.
    let worker = unsafe { bindings::scx_helper_create_rt_worker(name.as_char_ptr()) };
    // kthread_create_worker() returns an ERR_PTR() on failure.
    if (worker as isize) < 0 && (worker as isize) >= -4095 {
        return Err(kernel::error::Error::from_errno(worker as isize as i32));
    }
    Ok(worker)
}

/// Sets up the deferred disable. Called once at boot.
pub(crate) fn init() -> kernel::error::Result {
    let worker = create_rt_worker(kernel::c_str!("sched_ext_ops_helper"))?;
    // SAFETY: boot is single-threaded here; nothing uses these yet.
    unsafe {
        *DEFERRED.worker.get() = worker;
        bindings::scx_helper_init_irq_work(DEFERRED.irq_work.get(), Some(irq_workfn));
        bindings::scx_helper_init_kthread_work(DEFERRED.disable_work.get(), Some(disable_workfn));
    }
    Ok(())
}

/// Queues the disable from any context.
pub(crate) fn queue_disable() {
    // SAFETY: initialised at boot; irq_work_queue() is safe anywhere.
    unsafe { bindings::irq_work_queue(DEFERRED.irq_work.get()) };
}

/// Waits for a queued disable to finish. May sleep.
pub(crate) fn flush_disable() {
    // SAFETY: initialised at boot. The irq_work may not have run yet, so
    // let it queue the kthread work first.
    unsafe {
        bindings::irq_work_sync(DEFERRED.irq_work.get());
        bindings::kthread_flush_work(DEFERRED.disable_work.get());
    }
}

/// Raises a scheduler error: `scx_error!("fmt", args...)`.
#[macro_export]
macro_rules! scx_error {
    ($($arg:tt)*) => {
        $crate::exit::raise($crate::exit::ERROR, 0, format_args!($($arg)*))
    };
}

/// A kernel warning with a formatted message, for core bugs, once per call
/// site as `WARN_ONCE()`: what a scheduling path warns about can repeat at
/// every scheduling event, and one report with its backtrace is what a
/// developer needs; thousands would flood the log and slow the machine.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)*) => {{
        static WARNED: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);
        if !WARNED.swap(true, core::sync::atomic::Ordering::Relaxed) {
            $crate::__warn_now!($($arg)*);
        }
    }};
}

/// The body of [`warn!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __warn_now {
    ($($arg:tt)*) => {{
        let mut buf = [0u8; 160];
        let mut w = $crate::exit::FmtBuf::new(&mut buf);
        let _ = core::fmt::Write::write_fmt(&mut w, format_args!($($arg)*));
        // SAFETY: `FmtBuf` keeps the buffer NUL-terminated.
        unsafe { $crate::bindings::scx_helper_warn(w.as_bytes_with_nul().as_ptr() as *const _) };
    }};
}
