// SPDX-License-Identifier: GPL-2.0

//! The debug dump: what the core and the BPF scheduler knew when it ended.
//!
//! An error exit dumps the state of every CPU and of the ext tasks on it into
//! the exit info's dump buffer (`ops.exit_dump_len` bytes), which the
//! scheduler's `ops.exit()` copies out for its loader to print. `sysrq-D`
//! dumps the loaded scheduler's state without ending it. Each line also goes
//! to the `sched_ext_dump` tracepoint, where it survives a dump buffer that
//! is too small, or none (`sysrq-D` has none).
//!
//! The scheduler adds its own lines from `ops.dump()`, `ops.dump_cpu()` and
//! `ops.dump_task()` with `scx_bpf_dump_bstr()`. Those callbacks run while the
//! dump holds its lock with interrupts off, so the kfunc knows the dump in
//! progress is its caller's by the CPU it runs on.
//!
//! The layout of the text is the C core's, line for line: people and tools
//! read these dumps, and should not need to know which core wrote one.

use crate::bindings;
use crate::exit::{self, FmtBuf};
use crate::ops::{self, Ops};
use crate::pcpu::{NoPreempt, PreemptGuard};
use crate::rq::{self, Cpu, KickMask, Rq};
use crate::task::{Task, TaskScx};
use core::cell::{Cell, UnsafeCell};
use core::fmt::{self, Write};
use core::marker::PhantomData;
use core::sync::atomic::{AtomicI32, AtomicPtr, Ordering};
use kernel::str::CStr;

const LINE_LEN: usize = bindings::SCX_EXIT_MSG_LEN as usize;
const BT_LEN: usize = bindings::SCX_EXIT_BT_LEN as usize;

/// What the end of an overflowed dump is replaced with, NUL included.
const TRUNC_MARKER: &[u8] = b"\n\n~~~~ TRUNCATED ~~~~\n\0";

/// The scratch space of a dump, which is too large for the stack.
struct Scratch {
    /// The line being formatted.
    line: [u8; LINE_LEN],
    /// What `scx_bpf_dump_bstr()` appended and was not flushed yet.
    ops_line: [u8; LINE_LEN],
    /// A task's backtrace.
    bt: [usize; BT_LEN],
}

/// [`Scratch`], for the holder of the dump lock.
///
/// # Invariants
///
/// Only accessed through a [`DumpLocked`], which holds `scx_dump_lock`.
struct ScratchCell(UnsafeCell<Scratch>);

// SAFETY: see the invariants.
unsafe impl Sync for ScratchCell {}

static SCRATCH: ScratchCell = ScratchCell(UnsafeCell::new(Scratch {
    line: [0; LINE_LEN],
    ops_line: [0; LINE_LEN],
    bt: [0; BT_LEN],
}));

/// The dump lock, held with interrupts off: one dump at a time.
///
/// # Invariants
///
/// `scx_dump_lock` is held, with interrupts disabled, until the value drops.
#[must_use = "the dump lock is released when the guard drops"]
struct DumpLocked {
    flags: usize,
    _not_send: PhantomData<*mut ()>,
}

impl DumpLocked {
    /// Takes the dump lock. May spin while another CPU dumps.
    fn lock() -> Self {
        let mut flags = 0;
        // SAFETY: a spinlock taken with interrupts saved; rq locks nest
        // inside it and nothing that holds one dumps.
        unsafe { bindings::scx_helper_dump_lock(&mut flags) };
        // INVARIANT: just taken.
        DumpLocked {
            flags: flags as usize,
            _not_send: PhantomData,
        }
    }
}

impl Drop for DumpLocked {
    fn drop(&mut self) {
        // SAFETY: taken in `lock()` with these flags.
        unsafe { bindings::scx_helper_dump_unlock(self.flags as _) };
    }
}

/// The dump that `scx_bpf_dump_bstr()` appends to, and the CPU it runs on.
///
/// [`Dumper::with_ops`] publishes them, CPU last, for as long as it runs an
/// `ops.dump*()` callback, with the dump lock held and preemption off, and
/// clears them, CPU first, before it returns. So the kfunc finds its own
/// CPU in `OPS_CPU` only when it runs inside that callback (or inside
/// something that interrupted it on that CPU, which [`Dumper::busy`]
/// catches), and then `OPS_DUMPER` is the live dumper that made the call.
static OPS_CPU: AtomicI32 = AtomicI32::new(-1);
static OPS_DUMPER: AtomicPtr<()> = AtomicPtr::new(core::ptr::null_mut());

/// A dump being written.
///
/// Every method takes `&self`: `scx_bpf_dump_bstr()`, called from inside an
/// `ops.dump*()` callback that the dumper made, reaches the same dumper
/// through [`OPS_DUMPER`], so the state that both change is in cells. It is
/// not `Sync`; both run on the CPU that holds the dump lock.
///
/// # Invariants
///
/// `buf` is valid for writes of `cap + 1` bytes (or `cap` is 0) for `'a`,
/// and only written through the dumper. `scratch` is [`SCRATCH`], owned by
/// the holder of the dump lock, which the dumper's creator holds for `'a`.
/// While `busy` is set, a method holds a reference into `scratch`, and no
/// other method may make one.
struct Dumper<'a> {
    /// The dump buffer, or null with `cap` 0. Its last byte stays NUL.
    buf: *mut u8,
    cap: usize,
    len: Cell<usize>,
    overflowed: Cell<bool>,
    scratch: *mut Scratch,
    busy: Cell<bool>,
    ops_cursor: Cell<usize>,
    ops_first: Cell<bool>,
    ops_prefix: Cell<&'static str>,
    ctx: UnsafeCell<bindings::scx_dump_ctx>,
    np: NoPreempt<'a>,
}

impl<'a> Dumper<'a> {
    /// A dump into `buf` (none if empty), under `_lock`, with preemption off
    /// (`np`).
    fn new(
        _lock: &'a DumpLocked,
        np: NoPreempt<'a>,
        buf: &'a mut [u8],
        ei: &bindings::scx_exit_info,
    ) -> Self {
        // SAFETY: zeroed is a valid `scx_dump_ctx`.
        let mut ctx: bindings::scx_dump_ctx = unsafe { core::mem::zeroed() };
        ctx.kind = ei.kind;
        ctx.exit_code = ei.exit_code;
        ctx.reason = ei.reason;
        // SAFETY: no preconditions.
        ctx.at_ns = unsafe { bindings::scx_helper_ktime_get_ns() };
        ctx.at_jiffies = crate::watchdog::jiffies() as _;
        if let Some(b) = buf.first_mut() {
            *b = 0;
        }
        Dumper {
            buf: buf.as_mut_ptr(),
            cap: buf.len().saturating_sub(1),
            len: Cell::new(0),
            overflowed: Cell::new(false),
            scratch: SCRATCH.0.get(),
            busy: Cell::new(false),
            ops_cursor: Cell::new(0),
            ops_first: Cell::new(true),
            ops_prefix: Cell::new(""),
            ctx: UnsafeCell::new(ctx),
            np,
        }
    }

    /// Appends `bytes` to the buffer as `seq_buf` does: what fits, and once
    /// something did not, nothing more. The text then runs to the end of
    /// the buffer, where [`Dumper::finish`] puts the truncation marker.
    fn append(&self, bytes: &[u8]) {
        let len = self.len.get();
        if self.cap == 0 || self.overflowed.get() {
            return;
        }
        let n = bytes.len().min(self.cap - len);
        // SAFETY: `buf` has `cap + 1` bytes and `len + n <= cap`; no
        // reference to the buffer is alive while the dumper is.
        unsafe {
            core::ptr::copy_nonoverlapping(bytes.as_ptr(), self.buf.add(len), n);
            *self.buf.add(len + n) = 0;
        }
        self.len.set(len + n);
        if n < bytes.len() {
            self.overflowed.set(true);
        }
    }

    /// An empty line.
    fn newline(&self) {
        // SAFETY: a NUL-terminated empty string.
        unsafe { bindings::scx_abi_trace_dump(kernel::c_str!("").as_char_ptr()) };
        self.append(b"\n");
    }

    /// A line written by `f`.
    ///
    /// The tracepoint may run BPF programs, one of which could call
    /// `scx_bpf_dump_bstr()`: `busy` makes that call do nothing while we
    /// hold the scratch line.
    fn line_with(&self, f: impl FnOnce(&mut FmtBuf<'_>)) {
        if self.busy.replace(true) {
            return;
        }
        // SAFETY: the scratch line is ours under the dump lock, and `busy`
        // keeps every other method from referencing the scratch space.
        let line = unsafe { &mut (*self.scratch).line };
        let mut w = FmtBuf::new(line);
        f(&mut w);
        let text = w.as_bytes_with_nul();
        // SAFETY: NUL-terminated by `FmtBuf`.
        unsafe { bindings::scx_abi_trace_dump(text.as_ptr() as *const _) };
        self.append(&text[..text.len() - 1]);
        self.append(b"\n");
        self.busy.set(false);
    }

    /// A formatted line.
    fn line(&self, args: fmt::Arguments<'_>) {
        self.line_with(|w| {
            let _ = w.write_fmt(args);
        });
    }

    /// Lines of backtrace, each `prefix` and a symbol.
    fn stack(&self, prefix: &str, bt: &[usize]) {
        for &addr in bt {
            self.line_with(|w| {
                let _ = w.write_str(prefix);
                // SAFETY: `buf` is writable for its length; `%pS` reads only
                // the address.
                w.fill_with(|buf| unsafe {
                    bindings::scx_helper_snprint_sym(
                        buf.as_mut_ptr() as *mut _,
                        buf.len(),
                        addr as _,
                    )
                });
            });
        }
    }

    /// Runs `f`, which calls an `ops.dump*()` callback, with
    /// `scx_bpf_dump_bstr()` appending to this dump under `prefix`.
    fn with_ops(&self, prefix: &'static str, f: impl FnOnce(*mut bindings::scx_dump_ctx)) {
        self.ops_cursor.set(0);
        self.ops_first.set(true);
        self.ops_prefix.set(prefix);
        OPS_DUMPER.store(self as *const Self as *mut (), Ordering::Relaxed);
        OPS_CPU.store(self.np.cpu() as i32, Ordering::Relaxed);
        f(self.ctx.get());
        self.ops_flush();
        OPS_CPU.store(-1, Ordering::Relaxed);
        OPS_DUMPER.store(core::ptr::null_mut(), Ordering::Relaxed);
    }

    /// Moves what the scheduler appended into the dump, a line per line.
    fn ops_flush(&self) {
        let n = self.ops_cursor.get();
        if n == 0 {
            return;
        }
        // A blank line sets the scheduler's lines apart from the core's.
        if self.ops_first.replace(false) {
            self.newline();
        }
        let prefix = self.ops_prefix.get();
        let mut start = 0;
        while start < n {
            // SAFETY: the ops line is ours under the dump lock. Each line is
            // copied out by `line_with()`, which sets `busy` meanwhile, so no
            // nested `ops_append()` writes it while this borrow lives.
            let text = unsafe { &(&(*self.scratch).ops_line)[start..n] };
            let len = text.iter().position(|&c| c == b'\n').unwrap_or(text.len());
            self.line_with(|w| {
                let _ = w.write_str(prefix);
                w.write_bytes(&text[..len]);
            });
            start += len + 1;
        }
        self.ops_cursor.set(0);
    }

    /// `scx_bpf_dump_bstr()`: appends to the scheduler's current line, and
    /// flushes it at a newline or when it is full.
    fn ops_append(&self, fmt: *const u8, data: *const u64, data_sz: u32) {
        // A call from something that interrupted the dumper on this CPU
        // while it held the scratch space, or from a BPF program on the
        // dump's own tracepoint: dropped, rather than overwrite a line
        // being written.
        if self.busy.replace(true) {
            return;
        }
        let cursor = self.ops_cursor.get();
        // SAFETY: the ops line is ours under the dump lock, and `busy` keeps
        // every other reference to the scratch space away while this one
        // lives; it ends before the calls below.
        let line = unsafe { &mut (*self.scratch).ops_line };
        let mut w = FmtBuf::new(&mut line[cursor..]);
        let r = crate::kfuncs::bstr_format(&mut w, fmt, data, data_sz);
        let cursor = cursor + w.as_bytes_with_nul().len() - 1;
        // `FmtBuf` keeps the last byte for the NUL: full at LINE_LEN - 1.
        let flush = cursor > 0 && (cursor >= LINE_LEN - 1 || line[cursor - 1] == b'\n');
        self.busy.set(false);
        if let Err(e) = r {
            // SAFETY: the kfunc is KF_TRUSTED_ARGS: `fmt` is a verified,
            // NUL-terminated string.
            let f = unsafe { CStr::from_char_ptr(fmt as *const _) };
            let prefix = self.ops_prefix.get();
            self.line_with(|w| {
                let _ = write!(w, "{}[!] (\"{}\", ", prefix, f);
                // SAFETY: `buf` is writable for its length; `%p` hashes the
                // address, as the C core prints it.
                w.fill_with(|buf| unsafe {
                    bindings::scx_helper_snprint_ptr(
                        buf.as_mut_ptr() as *mut _,
                        buf.len(),
                        data.cast(),
                    )
                });
                let _ = write!(w, ", {}) failed to format ({})", data_sz, e);
            });
            return;
        }
        self.ops_cursor.set(cursor);
        if flush {
            self.ops_flush();
        }
    }

    /// The lines of one task.
    fn task(&self, o: Ops<'_>, with_ops: bool, p: TaskScx<'_>, marker: char) {
        let t = p.task();
        let at = self.ctx_at_jiffies();
        let ops_state = p.ops_state().read();
        let dsq = p.dsq();
        self.newline();
        self.line(format_args!(
            " {}{} {}[{}] {:+}ms",
            marker,
            // SAFETY: `t` is live; the helper only reads its state.
            unsafe { bindings::scx_helper_task_state_char(t.as_ptr()) } as u8 as char,
            t.comm(),
            t.pid(),
            delta_msecs(p.runnable_at(), at)
        ));
        self.line(format_args!(
            "      scx_state/flags={}/{:#x} dsq_flags={:#x} ops_state/qseq={}/{}",
            task_state_raw(p),
            p.scx_flags() & !(bindings::SCX_TASK_STATE_MASK as u32),
            // SAFETY: `p` proves the rq lock that protects `dsq_flags`.
            unsafe { (*t.entity()).dsq_flags },
            ops_state.state().bits(),
            ops_state.qseq()
        ));
        self.line_with(|w| {
            let _ = write!(
                w,
                "      sticky/holding_cpu={}/{} dsq_id=",
                p.sticky_cpu(),
                p.holding_cpu()
            );
            if dsq.is_null() {
                let _ = w.write_str("(n/a)");
            } else {
                // SAFETY: a queued task's DSQ outlives its membership, which
                // the rq lock we hold keeps.
                let id = unsafe { (*dsq).id };
                let _ = write!(w, "{:#x}", id);
            }
            // SAFETY: as for `dsq_flags`.
            let vtime = unsafe { (*t.entity()).dsq_vtime };
            let _ = write!(w, " dsq_vtime={}", vtime);
        });
        self.line_with(|w| {
            let _ = w.write_str("      cpus=");
            // SAFETY: `buf` is writable for its length; the task's cpumask
            // is valid while it lives.
            w.fill_with(|buf| unsafe {
                bindings::scx_helper_snprint_cpumask(
                    buf.as_mut_ptr() as *mut _,
                    buf.len(),
                    t.cpus_ptr(),
                )
            });
        });
        if with_ops && o.table().dump_task.is_some() {
            self.with_ops("    ", |ctx| {
                o.dump_task(ctx, t);
            });
        }
        // SAFETY: the backtrace scratch is ours under the dump lock.
        let bt = unsafe { &mut (*self.scratch).bt };
        // SAFETY: `t` is live; the buffer holds BT_LEN entries.
        let n = unsafe {
            bindings::stack_trace_save_tsk(t.as_ptr(), bt.as_mut_ptr() as *mut _, BT_LEN as u32, 1)
        } as usize;
        if n > 0 {
            self.newline();
            self.stack("    ", &bt[..n.min(BT_LEN)]);
        }
    }

    fn ctx_at_jiffies(&self) -> usize {
        // SAFETY: the callbacks only read the context, and none runs now.
        unsafe { (*self.ctx.get()).at_jiffies as usize }
    }

    /// The lines of one CPU, and of the ext tasks on it.
    fn cpu(&self, o: Ops<'_>, with_ops: bool, cpu: Cpu) {
        let rq = Rq::of_cpu(cpu);
        let mut l = rq.lock_irqsave();
        let none_runnable = l.runnable_tasks().next().is_none();
        let curr = l.curr();
        let idle = none_runnable && curr.on_idle_class();
        let has_dump_cpu = with_ops && o.table().dump_cpu.is_some();
        if idle && !has_dump_cpu {
            return;
        }
        // The lines of an idle CPU are dropped again unless ops.dump_cpu()
        // has something to say about it.
        let (mark, overflowed) = (self.len.get(), self.overflowed.get());
        self.newline();
        // SAFETY: we hold the rq lock that protects these fields.
        let (nr, flags, rel, pnt) = unsafe {
            let scx = &(*rq.as_ptr()).scx;
            (scx.nr_running, scx.flags, scx.cpu_released, scx.pnt_seq)
        };
        self.line(format_args!(
            "CPU {:<4}: nr_run={} flags={:#x} cpu_rel={} pnt_seq={}",
            cpu.id(),
            nr,
            flags,
            rel as i32,
            pnt
        ));
        self.line_with(|w| {
            let _ = write!(w, "          curr={}[{}] class=", curr.comm(), curr.pid());
            // SAFETY: `buf` is writable for its length; `%ps` reads only the
            // address.
            w.fill_with(|buf| unsafe {
                bindings::scx_helper_snprint_sym_short(
                    buf.as_mut_ptr() as *mut _,
                    buf.len(),
                    curr.sched_class() as *const _,
                )
            });
        });
        for (which, name) in [
            (KickMask::Kick, "cpus_to_kick   "),
            (KickMask::IfIdle, "idle_to_kick   "),
            (KickMask::Preempt, "cpus_to_preempt"),
            (KickMask::Wait, "cpus_to_wait   "),
        ] {
            let mask = rq.kick_mask(which);
            if mask.iter().next().is_some() {
                self.line_with(|w| {
                    let _ = write!(w, "  {}: ", name);
                    // SAFETY: `buf` is writable for its length; the mask
                    // lives as long as the rq.
                    w.fill_with(|buf| unsafe {
                        bindings::scx_helper_snprint_cpumask(
                            buf.as_mut_ptr() as *mut _,
                            buf.len(),
                            mask.as_ptr(),
                        )
                    });
                });
            }
        }
        let used = self.len.get();
        if has_dump_cpu {
            self.with_ops("  ", |ctx| {
                o.dump_cpu(ctx, cpu.id(), idle);
            });
        }
        if idle && self.len.get() == used {
            self.len.set(mark);
            self.overflowed.set(overflowed);
            if self.cap != 0 {
                // SAFETY: `mark` is within the buffer.
                unsafe { *self.buf.add(mark) = 0 };
            }
            return;
        }
        if curr.on_ext_class() {
            self.task(o, with_ops, l.task(curr), '*');
        }
        // The walk needs the lock mutably; the task lines only read.
        for p in (*l).runnable_tasks() {
            self.task(o, with_ops, p, ' ');
        }
    }

    /// Ends the dump: an overflowed one ends with a marker that says so.
    fn finish(self) {
        let size = self.cap + 1;
        if self.overflowed.get() && self.cap != 0 && size >= TRUNC_MARKER.len() {
            // SAFETY: the marker fits at the end of the `size`-byte buffer.
            unsafe {
                core::ptr::copy_nonoverlapping(
                    TRUNC_MARKER.as_ptr(),
                    self.buf.add(size - TRUNC_MARKER.len()),
                    TRUNC_MARKER.len(),
                )
            };
        }
    }
}

/// `scx_get_task_state()`: the `SCX_TASK_*` state number.
fn task_state_raw(p: TaskScx<'_>) -> u32 {
    use crate::enable::TaskState;
    match crate::enable::task_state(p) {
        TaskState::None => bindings::SCX_TASK_NONE,
        TaskState::Init => bindings::SCX_TASK_INIT,
        TaskState::Ready => bindings::SCX_TASK_READY,
        TaskState::Enabled => bindings::SCX_TASK_ENABLED,
    }
}

/// `at - now` in milliseconds, negative when `at` is in the past.
pub(crate) fn delta_msecs(at: usize, now: usize) -> i64 {
    // SAFETY: pure arithmetic.
    let ms = |j: usize| unsafe { bindings::jiffies_to_msecs(j as _) } as i64;
    if crate::watchdog::time_after(at, now) {
        ms(at.wrapping_sub(now))
    } else {
        -ms(now.wrapping_sub(at))
    }
}

/// Dumps the state of the loaded scheduler for the exit `ei` into `buf`.
///
/// `ei.kind` NONE is a dump that ends nothing (`sysrq-D`), and is skipped
/// when no scheduler is loaded.
///
/// An error exit's dump runs from the exit's irq_work, into the exit info.
pub(crate) fn dump(ei: &bindings::scx_exit_info, buf: &mut [u8]) {
    let lock = DumpLocked::lock();
    // Preemption off in its own right, as the lock does not disable it on
    // PREEMPT_RT: it keeps the table read below from being freed (the
    // disable path waits for an RCU grace period first) and the dump on
    // this CPU, where `scx_bpf_dump_bstr()` looks for it.
    let guard = PreemptGuard::new();
    if ei.kind as i32 == exit::NONE && !crate::scx_enabled() {
        return;
    }
    let o = ops::get(guard.no_preempt());
    // As in the C core, the scheduler's dump callbacks run once the enable
    // got past ops.init() and the checks of the table.
    let with_ops = crate::enable::callbacks_on();
    let d = Dumper::new(&lock, guard.no_preempt(), buf, ei);
    // SAFETY: `reason` is a static string.
    let reason = unsafe { CStr::from_char_ptr(ei.reason) };
    if ei.kind as i32 == exit::NONE {
        d.line(format_args!("Debug dump triggered by {}", reason));
    } else {
        let cur = Task::current();
        d.line(format_args!(
            "{}[{}] triggered exit kind {}:",
            cur.comm(),
            cur.pid(),
            ei.kind
        ));
        // SAFETY: an exit's `msg` is the exit info's NUL-terminated buffer.
        let msg = unsafe { CStr::from_char_ptr(ei.msg) };
        d.line(format_args!("  {} ({})", reason, msg));
        d.newline();
        d.line(format_args!("Backtrace:"));
        // SAFETY: an exit's backtrace holds `bt_len` entries.
        let bt = unsafe { core::slice::from_raw_parts(ei.bt as *const usize, ei.bt_len as usize) };
        d.stack("  ", bt);
    }
    if with_ops && o.table().dump.is_some() {
        d.with_ops("", |ctx| {
            o.dump(ctx);
        });
    }
    d.newline();
    d.line(format_args!("CPU states"));
    d.line(format_args!("----------"));
    for cpu in rq::possible_cpus() {
        d.cpu(o, with_ops, cpu);
    }
    d.finish();
    drop(guard);
    drop(lock);
}

/// `sysrq-D`: the state of the loaded scheduler, to the tracepoint only.
pub(crate) fn sysrq_dump() {
    // SAFETY: zeroed is a valid `scx_exit_info`.
    let mut ei: bindings::scx_exit_info = unsafe { core::mem::zeroed() };
    ei.kind = exit::NONE as _;
    ei.reason = kernel::c_str!("SysRq-D").as_char_ptr();
    dump(&ei, &mut []);
}

/// `scx_bpf_dump_bstr()`.
pub(crate) fn bpf_dump_bstr(fmt: *const u8, data: *const u64, data_sz: u32) {
    // SAFETY: no preconditions; a stale CPU number cannot match below.
    let cpu = unsafe { bindings::scx_helper_raw_smp_processor_id() };
    if OPS_CPU.load(Ordering::Relaxed) != cpu {
        crate::scx_error!("scx_bpf_dump() must only be called from ops.dump() and friends");
        return;
    }
    let d = OPS_DUMPER.load(Ordering::Relaxed) as *const Dumper<'_>;
    // SAFETY: OPS_CPU is this CPU's only while `Dumper::with_ops()` runs a
    // callback on it with preemption off (see `OPS_CPU`): we run inside that
    // callback, or inside something that interrupted the dumper, which
    // `busy` turns away. Either way the dumper is alive, and only shared
    // references to it exist.
    unsafe { (*d).ops_append(fmt, data, data_sz) };
}
