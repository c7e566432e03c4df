// SPDX-License-Identifier: GPL-2.0

//! What C reads inline on the scheduling paths and Rust would otherwise
//! reach through out-of-line helpers: `current`, this CPU's number and
//! per-CPU offset, another CPU's per-CPU copy, and the `atomic_long_t`
//! accesses of `ops_state`.
//!
//! A helper costs a call, a return and a register shuffle around what is
//! often a single load. The scheduling paths need these dozens of times
//! per context switch (every kfunc checks the current task's `kf_mask`,
//! every callback finds this CPU's entry and rq), so they are done here the
//! way C does them:
//!
//! - `current`, `smp_processor_id()` and `this_cpu_ptr()` on SMP x86-64,
//!   as %gs-relative loads. Elsewhere the helpers stay, and so do the last
//!   two under `CONFIG_DEBUG_PREEMPT`, whose check that the caller cannot
//!   migrate an inline read would skip.
//! - `per_cpu_ptr()` on every architecture: `__per_cpu_offset[cpu]` added
//!   to the per-CPU address, as the generic `per_cpu_offset()` does.
//! - `atomic_long_read()` and `atomic_long_set()` on every architecture,
//!   where they are `READ_ONCE()` and `WRITE_ONCE()`; the acquire, release
//!   and cmpxchg forms on x86-64, whose ordering they spell out below, and
//!   `smp_load_acquire()`/`smp_store_release()` of a word there.
//! - Static keys, by their count, and `cpu_to_node()`.
//! - `cpumask_test_cpu()` on every architecture, a load; the atomic
//!   `cpumask_set_cpu()`, `cpumask_clear_cpu()` and
//!   `cpumask_test_and_clear_cpu()` on x86-64, as C's `lock`ed
//!   instructions.
//!
//! The loads address `pcpu_hot` and `this_cpu_off` as 6.12's `PER_CPU_VAR()`
//! does on SMP x86-64: the per-CPU section is linked at zero, so a per-CPU
//! symbol's address is the offset of its copies from each CPU's %gs base,
//! and `relocs` fixes up the RIP-relative reference under KASLR as it does
//! C's. [`check`] compares the per-CPU reads with C's at boot; the rq
//! addresses are compared earlier still, before the first use, by
//! `crate::init_early()`.

use crate::bindings;
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

/// The number of the CPU this code runs on, which `np` keeps it on:
/// `smp_processor_id()`.
#[inline(always)]
pub(crate) fn smp_processor_id(np: NoPreempt<'_>) -> u32 {
    #[cfg(all(CONFIG_X86_64_SMP, not(CONFIG_DEBUG_PREEMPT)))]
    {
        const CPU_NUMBER: usize = core::mem::offset_of!(
            bindings::pcpu_hot,
            __bindgen_anon_1.__bindgen_anon_1.cpu_number
        );
        // `np` is the proof that the number stays this CPU's; the fallback
        // below also passes it on.
        let _ = np;
        let cpu: u32;
        // SAFETY: `pcpu_hot` is a per-CPU variable, read as in `current()`.
        // The number is this CPU's while `np` lives, so the compiler may
        // merge two reads of it, which `pure` allows.
        unsafe {
            core::arch::asm!(
                "movl %gs:{hot}+{off}(%rip), {c:e}",
                hot = sym bindings::pcpu_hot,
                off = const CPU_NUMBER,
                c = out(reg) cpu,
                options(att_syntax, nostack, preserves_flags, readonly, pure),
            );
        }
        cpu
    }
    // With `CONFIG_DEBUG_PREEMPT`, C's checks that the caller cannot
    // migrate.
    #[cfg(not(all(CONFIG_X86_64_SMP, not(CONFIG_DEBUG_PREEMPT))))]
    np.cpu()
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
/// `area`; the caller proves with `np` that it stays on this CPU.
// Only the x86-64 reads depend on this CPU; `np` is unused elsewhere.
#[cfg_attr(not(CONFIG_X86_64_SMP), allow(unused_variables))]
pub(crate) fn check(np: NoPreempt<'_>, area: *mut core::ffi::c_void) -> bool {
    #[cfg(CONFIG_X86_64_SMP)]
    {
        // SAFETY: the caller is a task, which it stays while this runs.
        let cur = unsafe { kernel::task::Task::current() };
        let c: *const kernel::task::Task = &*cur;
        if current().cast_const().cast() != c || smp_processor_id(np) != np.cpu() {
            return false;
        }
        // SAFETY: `area` is a per-CPU address, and `np` keeps us on this
        // CPU.
        if unsafe { this_cpu_ptr(area) != bindings::scx_helper_this_cpu_ptr(area) } {
            return false;
        }
    }
    crate::rq::possible_cpus().all(|cpu| {
        let id = cpu.id();
        // SAFETY: `area` is a per-CPU address, and `cpu` is possible.
        unsafe { per_cpu_ptr(area, id as u32) == bindings::scx_helper_per_cpu_ptr(area, id) }
    })
}

/// Whether the inline `cpu_rq()` ([`crate::rq::Rq::of_cpu`]) finds every
/// possible CPU's rq where C does. The per-CPU offsets are set up before
/// `sched_init()`, which calls this before the first rq access.
pub(crate) fn cpu_rq_agrees() -> bool {
    crate::rq::possible_cpus().all(|cpu| {
        // SAFETY: `cpu` is possible.
        core::ptr::eq(crate::rq::Rq::of_cpu(cpu).as_ptr(), unsafe {
            bindings::scx_helper_cpu_rq(cpu.id())
        })
    })
}

/// A compiler barrier: C's `barrier()`.
///
/// An `asm!` without `nomem` may read and write any memory, so the compiler
/// moves no access across it; it emits no instruction.
#[cfg(CONFIG_X86_64)]
#[inline(always)]
fn barrier() {
    // SAFETY: an empty statement, which changes no register or flag.
    unsafe { core::arch::asm!("", options(nostack, preserves_flags)) };
}

// The word of an `atomic_long_t` is its first and only field.
const _: () =
    assert!(core::mem::size_of::<bindings::atomic_long_t>() == core::mem::size_of::<isize>());

/// `atomic_long_read()`: one load of the whole word, which the compiler may
/// not tear, repeat or merge. It is `READ_ONCE()` on every architecture
/// this core builds for.
///
/// # Safety
///
/// `v` must point to a valid `atomic_long_t`.
#[inline(always)]
pub(crate) unsafe fn atomic_long_read(v: *const bindings::atomic_long_t) -> isize {
    // SAFETY: the caller guarantees `v` is valid; the word is its start.
    unsafe { core::ptr::read_volatile(v.cast::<isize>()) }
}

/// `atomic_long_set()`: one store of the whole word, `WRITE_ONCE()`.
///
/// # Safety
///
/// `v` must point to a valid `atomic_long_t`.
#[inline(always)]
pub(crate) unsafe fn atomic_long_set(v: *mut bindings::atomic_long_t, i: isize) {
    // SAFETY: the caller guarantees `v` is valid; the word is its start.
    unsafe { core::ptr::write_volatile(v.cast::<isize>(), i) }
}

/// `atomic_long_read_acquire()`: later accesses are ordered after the load.
///
/// x86 orders a load before every later access in hardware, so C's
/// `smp_load_acquire()` there is the load and a compiler barrier; elsewhere
/// it needs a fence, and the C helper stays.
///
/// # Safety
///
/// `v` must point to a valid `atomic_long_t`.
#[inline(always)]
pub(crate) unsafe fn atomic_long_read_acquire(v: *const bindings::atomic_long_t) -> isize {
    #[cfg(CONFIG_X86_64)]
    // SAFETY: the caller's guarantee; the word is the `atomic_long_t`'s
    // start.
    unsafe {
        load_acquire(v.cast::<usize>()) as isize
    }
    #[cfg(not(CONFIG_X86_64))]
    // SAFETY: the caller's guarantee is the helper's.
    unsafe {
        bindings::scx_helper_atomic_long_read_acquire(v) as isize
    }
}

/// `atomic_long_set_release()`: earlier accesses are ordered before the
/// store.
///
/// x86 orders every earlier access before a store in hardware, so C's
/// `smp_store_release()` there is a compiler barrier and the store.
///
/// # Safety
///
/// `v` must point to a valid `atomic_long_t`.
#[inline(always)]
pub(crate) unsafe fn atomic_long_set_release(v: *mut bindings::atomic_long_t, i: isize) {
    #[cfg(CONFIG_X86_64)]
    // SAFETY: as in `atomic_long_read_acquire()`.
    unsafe {
        store_release(v.cast::<usize>(), i as usize)
    }
    #[cfg(not(CONFIG_X86_64))]
    // SAFETY: the caller's guarantee is the helper's.
    unsafe {
        bindings::scx_helper_atomic_long_set_release(v, i as _)
    }
}

/// `atomic_long_cmpxchg()`: replaces the word with `new` if it is `old`,
/// fully ordered, and returns the word found: `old` on success. It
/// serves `atomic_long_try_cmpxchg()`, which C has as the same
/// instruction.
///
/// On x86-64 it is `lock cmpxchgq`, a full barrier; the asm has no
/// `nomem`, so it is a compiler barrier too, as C's `"memory"` clobber
/// makes it. C writes the prefix as `LOCK_PREFIX`, which also records the
/// site so that a kernel booted on one CPU can patch the prefix out; a
/// plain `lock` is only slower there. Under KASAN and KCSAN the C helper
/// stays: it checks the access first, and the sanitizers do not see into
/// asm.
///
/// # Safety
///
/// `v` must point to a valid `atomic_long_t`.
#[inline(always)]
pub(crate) unsafe fn atomic_long_cmpxchg(
    v: *mut bindings::atomic_long_t,
    old: isize,
    new: isize,
) -> isize {
    #[cfg(all(CONFIG_X86_64, not(CONFIG_KASAN), not(CONFIG_KCSAN)))]
    {
        let found: isize;
        // SAFETY: the caller guarantees `v` is valid and aligned, as an
        // `atomic_long_t` is; `lock cmpxchg` compares %rax with the word,
        // stores `new` if they are equal and leaves the word found in %rax.
        unsafe {
            core::arch::asm!(
                "lock cmpxchgq {new}, ({v})",
                v = in(reg) v,
                new = in(reg) new,
                inout("rax") old => found,
                options(att_syntax, nostack),
            );
        }
        found
    }
    #[cfg(not(all(CONFIG_X86_64, not(CONFIG_KASAN), not(CONFIG_KCSAN))))]
    {
        let mut found = old as _;
        // SAFETY: the caller's guarantee is the helper's; `found` is a
        // local, where the helper leaves the word it found on failure.
        unsafe { bindings::scx_helper_atomic_long_try_cmpxchg(v, &mut found, new as _) };
        found as isize
    }
}

/// The address of `cpu`'s copy of the per-CPU object at `ptr`:
/// `per_cpu_ptr()`.
///
/// Every architecture this core builds for keeps the offsets of the CPUs'
/// copies in `__per_cpu_offset[]`, set up at boot, as the generic
/// `per_cpu_offset()` reads them.
///
/// # Safety
///
/// `ptr` must be a per-CPU address and `cpu` a possible CPU.
#[inline(always)]
pub(crate) unsafe fn per_cpu_ptr<T>(ptr: *mut T, cpu: u32) -> *mut T {
    {
        // SAFETY: a possible CPU indexes the array in bounds; the entries
        // are written before the per-CPU areas are used, and never again.
        let off = unsafe {
            *core::ptr::addr_of!(bindings::__per_cpu_offset)
                .cast::<usize>()
                .add(cpu as usize)
        };
        // A per-CPU address points to no object: the copy's address is
        // computed as an integer, as C does.
        (ptr as usize).wrapping_add(off) as *mut T
    }
}

/// `smp_load_acquire()` of a word on x86-64: later accesses are ordered
/// after the load. x86 orders a load before every later access in
/// hardware, so it is the load and a compiler barrier, as in C.
///
/// # Safety
///
/// `p` must be valid for reads and aligned.
#[cfg(CONFIG_X86_64)]
#[inline(always)]
pub(crate) unsafe fn load_acquire(p: *const usize) -> usize {
    // SAFETY: the caller's guarantee; a volatile load of an aligned word
    // is one load, never torn.
    let v = unsafe { core::ptr::read_volatile(p) };
    barrier();
    v
}

/// `smp_store_release()` of a word on x86-64: earlier accesses are ordered
/// before the store, which x86 does in hardware; a compiler barrier and
/// the store.
///
/// # Safety
///
/// `p` must be valid for writes and aligned.
#[cfg(CONFIG_X86_64)]
#[inline(always)]
pub(crate) unsafe fn store_release(p: *mut usize, v: usize) {
    barrier();
    // SAFETY: the caller's guarantee; the store is whole.
    unsafe { core::ptr::write_volatile(p, v) }
}

/// Whether the static key `key` is on: `static_key_enabled()`.
///
/// C tests a key with a jump the kernel patches when the key changes; Rust
/// reads the key's count, as C's `static_key_enabled()` does where it
/// needs the value. While the key is first switched on, the count is -1,
/// which `static_key_count()` reports as on; so does this. C's sites are
/// patched one by one meanwhile, so every user of a key already tolerates
/// seeing it on at one site and off at another.
///
/// # Safety
///
/// `key` must point to a static key.
#[inline(always)]
pub(crate) unsafe fn static_key_enabled(key: *const bindings::static_key) -> bool {
    // SAFETY: the caller's guarantee; `enabled` is an `atomic_t`, whose
    // `atomic_read()` is a `READ_ONCE()` of the counter.
    unsafe { core::ptr::read_volatile(core::ptr::addr_of!((*key).enabled.counter)) != 0 }
}

/// The NUMA node of `cpu`: `cpu_to_node()`.
///
/// With `CONFIG_USE_PERCPU_NUMA_NODE_ID` it is `cpu`'s copy of the per-CPU
/// `numa_node`; without NUMA every CPU is on node 0. Any other
/// configuration keeps the helper, and so does
/// `CONFIG_DEBUG_PER_CPU_MAPS`, under which x86 reads another map and
/// warns of a read before it is set up.
///
/// # Safety
///
/// `cpu` must be a possible CPU.
#[inline(always)]
pub(crate) unsafe fn cpu_to_node(cpu: u32) -> i32 {
    #[cfg(all(CONFIG_USE_PERCPU_NUMA_NODE_ID, not(CONFIG_DEBUG_PER_CPU_MAPS)))]
    // SAFETY: `numa_node` is a per-CPU variable and `cpu` possible, by the
    // caller's guarantee; it is set as each CPU is brought up, whole.
    unsafe {
        core::ptr::read_volatile(per_cpu_ptr(
            core::ptr::addr_of_mut!(bindings::numa_node),
            cpu,
        ))
    }
    #[cfg(not(CONFIG_NUMA))]
    {
        let _ = cpu;
        0
    }
    #[cfg(all(
        CONFIG_NUMA,
        any(not(CONFIG_USE_PERCPU_NUMA_NODE_ID), CONFIG_DEBUG_PER_CPU_MAPS)
    ))]
    // SAFETY: as above.
    unsafe {
        bindings::scx_helper_cpu_to_node(cpu as i32)
    }
}

const BITS_PER_LONG: usize = usize::BITS as usize;

/// Whether `cpu` is in `mask`: `cpumask_test_cpu()`, which is `test_bit()`,
/// one load of the word, on every architecture this core builds for. A
/// racing change of the mask may be seen or not, as in C.
///
/// # Safety
///
/// `mask` must be a valid cpumask and `cpu` below `nr_cpu_ids`.
#[inline(always)]
pub(crate) unsafe fn cpumask_test_cpu(cpu: u32, mask: *const bindings::cpumask) -> bool {
    let nr = cpu as usize;
    // SAFETY: `cpu` is below `nr_cpu_ids`, so its word is in the mask's
    // bitmap, the struct's only field; a volatile load of the word is
    // whole.
    let word = unsafe { core::ptr::read_volatile(mask.cast::<usize>().add(nr / BITS_PER_LONG)) };
    word >> (nr % BITS_PER_LONG) & 1 != 0
}

/// Runs `lock <insn> nr, (bits)` on x86-64 and yields the carry flag it
/// leaves, the old value of the bit: `set_bit()` (`btsq`), `clear_bit()`
/// and `test_and_clear_bit()` (`btrq`) as C's `LOCK_PREFIX` asm does them.
/// Like C's, the asm has no `nomem`, so it is a compiler barrier too.
///
/// It expands to the `asm!` alone: the caller's `unsafe` block states that
/// `bits` points to a bitmap of more than `nr` bits, which is what makes
/// the `bt*` with a register offset touch a word of the bitmap only.
#[cfg(all(CONFIG_X86_64, not(CONFIG_KASAN), not(CONFIG_KCSAN)))]
macro_rules! locked_bit_op {
    ($insn:literal, $nr:expr, $bits:expr) => {{
        let old: u8;
        core::arch::asm!(
            concat!("lock ", $insn, " {nr}, ({bits})"),
            "setc {old}",
            bits = in(reg) $bits,
            nr = in(reg) $nr,
            old = out(reg_byte) old,
            options(att_syntax, nostack),
        );
        old != 0
    }};
}

/// Adds `cpu` to `mask` atomically: `cpumask_set_cpu()`.
///
/// The bit operations are inline on x86-64, as [`locked_bit_op`]. Under
/// KASAN or KCSAN, which check the access before C's asm and do not see
/// into Rust's, and on other architectures, the C helpers stay.
///
/// # Safety
///
/// `mask` must be a valid cpumask and `cpu` below `nr_cpu_ids`.
#[inline(always)]
pub(crate) unsafe fn cpumask_set_cpu(cpu: u32, mask: *mut bindings::cpumask) {
    #[cfg(all(CONFIG_X86_64, not(CONFIG_KASAN), not(CONFIG_KCSAN)))]
    // The old bit is not needed.
    // SAFETY: `cpu` is below `nr_cpu_ids`, so its bit is in the mask's
    // bitmap, which is the struct's only field.
    let _ = unsafe { locked_bit_op!("btsq", cpu as usize, mask) };
    #[cfg(not(all(CONFIG_X86_64, not(CONFIG_KASAN), not(CONFIG_KCSAN))))]
    // SAFETY: the caller's guarantees are the helper's.
    unsafe {
        bindings::scx_helper_cpumask_set_cpu(cpu as i32, mask)
    }
}

/// Removes `cpu` from `mask` atomically: `cpumask_clear_cpu()`, as
/// [`cpumask_set_cpu`] adds it.
///
/// # Safety
///
/// `mask` must be a valid cpumask and `cpu` below `nr_cpu_ids`.
#[inline(always)]
pub(crate) unsafe fn cpumask_clear_cpu(cpu: u32, mask: *mut bindings::cpumask) {
    #[cfg(all(CONFIG_X86_64, not(CONFIG_KASAN), not(CONFIG_KCSAN)))]
    // The old bit is not needed.
    // SAFETY: as in `cpumask_set_cpu()`.
    let _ = unsafe { locked_bit_op!("btrq", cpu as usize, mask) };
    #[cfg(not(all(CONFIG_X86_64, not(CONFIG_KASAN), not(CONFIG_KCSAN))))]
    // SAFETY: the caller's guarantees are the helper's.
    unsafe {
        bindings::scx_helper_cpumask_clear_cpu(cpu as i32, mask)
    }
}

/// Removes `cpu` from `mask` atomically and returns whether it was there:
/// `cpumask_test_and_clear_cpu()`, fully ordered, as [`cpumask_set_cpu`]
/// changes the mask.
///
/// # Safety
///
/// `mask` must be a valid cpumask and `cpu` below `nr_cpu_ids`.
#[inline(always)]
pub(crate) unsafe fn cpumask_test_and_clear_cpu(cpu: u32, mask: *mut bindings::cpumask) -> bool {
    #[cfg(all(CONFIG_X86_64, not(CONFIG_KASAN), not(CONFIG_KCSAN)))]
    // SAFETY: as in `cpumask_set_cpu()`.
    unsafe {
        locked_bit_op!("btrq", cpu as usize, mask)
    }
    #[cfg(not(all(CONFIG_X86_64, not(CONFIG_KASAN), not(CONFIG_KCSAN))))]
    // SAFETY: the caller's guarantees are the helper's.
    unsafe {
        bindings::scx_helper_cpumask_test_and_clear_cpu(cpu as i32, mask)
    }
}
