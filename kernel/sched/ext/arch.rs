// SPDX-License-Identifier: GPL-2.0

//! This CPU's `current` and per-CPU offset, read inline where C does.
//!
//! `current` and `this_cpu_ptr()` are inline functions in C, which Rust
//! reaches only through out-of-line helpers: a call, a return and a
//! register shuffle around what on x86-64 is a single %gs-relative load.
//! The scheduling paths need them dozens of times per context switch
//! (every kfunc checks the current task's `kf_mask`, every callback finds
//! this CPU's entry), so on SMP x86-64 they are read here the way C reads
//! them. Elsewhere the helpers stay, and so does `this_cpu_ptr()` under
//! `CONFIG_DEBUG_PREEMPT`, whose check that the caller cannot migrate the
//! inline read would skip.
//!
//! The loads address `pcpu_hot` and `this_cpu_off` as 6.12's `PER_CPU_VAR()`
//! does on SMP x86-64: the per-CPU section is linked at zero, so a per-CPU
//! symbol's address is the offset of its copies from each CPU's %gs base,
//! and `relocs` fixes up the RIP-relative reference under KASLR as it does
//! C's. [`check`] compares both reads with C's at boot.

use crate::bindings;
#[cfg(CONFIG_X86_64_SMP)]
use crate::pcpu::NoPreempt;

/// The running task: `get_current()`.
#[cfg(CONFIG_X86_64_SMP)]
#[inline(always)]
pub(crate) fn current() -> *mut bindings::task_struct {
    const CURRENT_TASK: usize = core::mem::offset_of!(
        bindings::pcpu_hot,
        __bindgen_anon_1.__bindgen_anon_1.current_task
    );
    let p: *mut bindings::task_struct;
    // SAFETY: `pcpu_hot` is a per-CPU variable, so its address is the
    // offset of this CPU's copy from the %gs base; the load has no side
    // effect. `readonly` keeps the compiler from merging it across a store
    // or a call, after which the task may run on another CPU; it is the
    // same task there, so even that would be correct, as with C's
    // this_cpu_read_stable().
    unsafe {
        core::arch::asm!(
            "movq %gs:{hot}+{off}(%rip), {p}",
            hot = sym bindings::pcpu_hot,
            off = const CURRENT_TASK,
            p = out(reg) p,
            options(att_syntax, nostack, preserves_flags, readonly, pure),
        );
    }
    p
}

/// The address of this CPU's copy of the per-CPU object at `ptr`:
/// `this_cpu_ptr()`.
///
/// # Safety
///
/// `ptr` must be a per-CPU address (from `alloc_percpu()` or a per-CPU
/// variable), and the caller must not let the task migrate while it uses
/// the result, as for `this_cpu_ptr()`.
#[inline(always)]
pub(crate) unsafe fn this_cpu_ptr(ptr: *mut core::ffi::c_void) -> *mut core::ffi::c_void {
    #[cfg(all(CONFIG_X86_64_SMP, not(CONFIG_DEBUG_PREEMPT)))]
    {
        let off: usize;
        // SAFETY: `this_cpu_off` is a per-CPU variable, read as `current`
        // is above; it holds this CPU's offset, which the caller keeps
        // this CPU's while it uses the result.
        unsafe {
            core::arch::asm!(
                "movq %gs:{off}(%rip), {o}",
                off = sym bindings::this_cpu_off,
                o = out(reg) off,
                options(att_syntax, nostack, preserves_flags, readonly, pure),
            );
        }
        // A per-CPU cookie points to no object: the copy's address is
        // computed as an integer, as C does.
        (ptr as usize).wrapping_add(off) as *mut core::ffi::c_void
    }
    #[cfg(not(all(CONFIG_X86_64_SMP, not(CONFIG_DEBUG_PREEMPT))))]
    // SAFETY: the caller's guarantees are the helper's.
    unsafe {
        bindings::scx_helper_this_cpu_ptr(ptr)
    }
}

/// Whether the inline reads agree with C's, for the per-CPU address
/// `area`; the caller proves with `_np` that it stays on this CPU.
#[cfg(CONFIG_X86_64_SMP)]
pub(crate) fn check(_np: NoPreempt<'_>, area: *mut core::ffi::c_void) -> bool {
    // SAFETY: the caller is a task, which it stays while this runs.
    let cur = unsafe { kernel::task::Task::current() };
    let c: *const kernel::task::Task = &*cur;
    // SAFETY: `area` is a per-CPU address, and `_np` keeps us on this CPU.
    current().cast_const().cast() == c
        && unsafe { this_cpu_ptr(area) == bindings::scx_helper_this_cpu_ptr(area) }
}
