// SPDX-License-Identifier: GPL-2.0

//! Tasks as the sched_ext core sees them.
//!
//! A `&Task` is a borrowed task: valid for as long as the borrow, which the
//! core ties to a lock that keeps the task alive (the rq lock of its rq, or
//! `p->pi_lock` during a wakeup, or `scx_tasks_lock` during a walk over every
//! task, or the caller's own reference). A
//! [`TaskRef`] holds a reference count and may outlive any lock, for example
//! while the enable path drops `scx_tasks_lock` around a sleeping callback.
//! Both are the kernel crate's [`kernel::task::Task`] and [`ARef`] seen
//! through this crate's [`Task`], which adds the scheduler's fields.
//!
//! The `p->scx` fields follow the locking rules of `struct sched_ext_entity`
//! in include/linux/sched/ext.h, and a `&Task` alone reaches none of them:
//!
//! - most belong to whoever holds the task's rq lock, and are reached
//!   through a [`TaskScx`], which [`RqLocked::task`] hands out. A few
//!   owners hold no rq lock but still exclude every holder: the waker
//!   under `p->pi_lock` before the task is queued, the forking parent
//!   before the child is visible, a CPU that claimed the task from the BPF
//!   scheduler. They assert so with the unsafe [`TaskScx::assume`], saying
//!   why;
//! - `dsq_list`, `dsq_priq`, `dsq_seq` and `dsq_flags` belong to the holder
//!   of the lock of the DSQ the task is on, and only `crate::dsq` touches
//!   them, through a `DsqQueue`;
//! - `kf_mask` belongs to the task itself, and only [`Current`] reaches it;
//! - `ops_state` is atomic ([`Task::ops_state`]).

use crate::bindings;
use crate::ops_state::{OpsState, OpsStateCell, OpssWord};
use crate::rq::Cpu;
use core::marker::PhantomData;
use core::ops::Deref;
use core::ptr::NonNull;
use kernel::str::CStr;
use kernel::types::ARef;

/// A `struct task_struct`: the kernel crate's [`kernel::task::Task`], with
/// what the sched_ext core reads and writes in it.
///
/// # Invariants
///
/// A `&Task` points to an allocated task for the lifetime of the reference.
/// Its reference count may be zero only where `scx_tasks_lock` keeps it
/// allocated (a dying task still on `scx_tasks`) or in `sched_ext_free()`:
/// a new reference must not be taken from such a `&Task`, see
/// [`TaskRef::get`].
#[repr(transparent)]
pub(crate) struct Task(kernel::task::Task);

impl Task {
    /// Borrows the task at `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a live task that stays alive for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *const bindings::task_struct) -> &'a Task {
        // SAFETY: `Task` is a transparent wrapper of `kernel::task::Task`,
        // itself a transparent wrapper of the C struct; the caller keeps the
        // task alive.
        unsafe { &*(ptr as *const Task) }
    }

    /// The same task, as the sched_ext core sees it.
    pub(crate) fn from_kernel(p: &kernel::task::Task) -> &Task {
        // SAFETY: `Task` is a transparent wrapper of `kernel::task::Task`,
        // and the borrow keeps the lifetime of `p`.
        unsafe { &*(p as *const kernel::task::Task as *const Task) }
    }

    /// The task running this code.
    ///
    /// The result is not `Send`, so the borrow cannot leave this thread, and
    /// a task cannot exit while it runs code on this thread.
    #[cfg(not(CONFIG_X86_64_SMP))]
    pub(crate) fn current() -> Current<impl Deref<Target = kernel::task::Task>> {
        // SAFETY: what `Task::current()` returns is not `Send`, and neither
        // is the wrapper, so it cannot outlive the current thread.
        Current(unsafe { kernel::task::Task::current() })
    }

    /// The task running this code, read inline (see `crate::arch`).
    ///
    /// The result is not `Send`, so the borrow cannot leave this thread, and
    /// a task cannot exit while it runs code on this thread.
    #[cfg(CONFIG_X86_64_SMP)]
    #[inline(always)]
    pub(crate) fn current() -> Current<CurrentTask> {
        // INVARIANT: the running task, in a value that is not `Send`.
        Current(CurrentTask {
            // SAFETY: `current` is never null: it is `init_task` from the
            // start of boot on.
            ptr: unsafe { NonNull::new_unchecked(crate::arch::current().cast()) },
            _not_send: PhantomData,
        })
    }

    /// The C pointer.
    pub(crate) fn as_ptr(&self) -> *mut bindings::task_struct {
        // `kernel::task::Task` wraps the C struct in `Opaque`, so the pointer
        // may be written through.
        self as *const Task as *mut bindings::task_struct
    }

    fn scx_ptr(&self) -> *mut bindings::sched_ext_entity {
        // SAFETY: `self` is a live task; this only computes a field address.
        unsafe { core::ptr::addr_of_mut!((*self.as_ptr()).scx) }
    }

    /// The task's entity, as the DSQ code links it.
    pub(crate) fn entity(&self) -> *mut bindings::sched_ext_entity {
        self.scx_ptr()
    }

    /// The task that owns the entity `ent`.
    ///
    /// # Safety
    ///
    /// `ent` must be the `scx` member of a live task that stays alive for `'a`.
    pub(crate) unsafe fn from_entity<'a>(ent: *mut bindings::sched_ext_entity) -> &'a Task {
        let off = core::mem::offset_of!(bindings::task_struct, scx);
        // SAFETY: `ent` is inside a task by the caller's guarantee.
        unsafe { Task::from_raw((ent as *mut u8).sub(off) as *const bindings::task_struct) }
    }

    /// The task's pid.
    ///
    /// Read through the crate's bindings, not with `kernel::task::Task::pid`:
    /// the kernel crate's bindings lay `task_struct` out wrongly without
    /// `CONFIG_SCHEDSTATS` (bindgen drops the cacheline alignment of the
    /// then empty `struct sched_statistics`, which shifts every later
    /// field, `pid` among them), and its `pid()` reads 0 there. The
    /// crate's bindings make that struct opaque, and `layout.rs` checks
    /// the offset against C.
    pub(crate) fn pid(&self) -> i32 {
        // SAFETY: `self` is a live task; its pid never changes.
        unsafe { (*self.as_ptr()).pid }
    }

    /// The task's name, for messages.
    pub(crate) fn comm(&self) -> &CStr {
        // SAFETY: `comm` is always NUL-terminated (set_task_comm() keeps it
        // so); a concurrent rename may only change the bytes before the NUL.
        unsafe { CStr::from_char_ptr((*self.as_ptr()).comm.as_ptr()) }
    }

    /// The CPU whose rq the task is on, or last ran on.
    ///
    /// Read here rather than through `task_cpu()`, which C inlines: the
    /// hot paths ask for it a dozen times per context switch, and an
    /// out-of-line call each time showed in the benchmark.
    pub(crate) fn cpu(&self) -> Cpu {
        #[cfg(CONFIG_THREAD_INFO_IN_TASK)]
        // SAFETY: `self` is a live task, and a task's CPU is always a
        // possible one; `set_task_cpu()` writes it with WRITE_ONCE(), and a
        // volatile read is READ_ONCE().
        unsafe {
            Cpu::new_unchecked(core::ptr::read_volatile(core::ptr::addr_of!(
                (*self.as_ptr()).thread_info.cpu
            )) as i32)
        }
        #[cfg(not(CONFIG_THREAD_INFO_IN_TASK))]
        // SAFETY: as above.
        unsafe {
            Cpu::new_unchecked(bindings::scx_helper_task_cpu(self.as_ptr()))
        }
    }

    /// The scheduling policy (`SCHED_*`).
    pub(crate) fn policy(&self) -> u32 {
        // SAFETY: `self` is a live task; the policy changes under the rq
        // lock and `pi_lock`, and callers tolerate a stale value where they
        // hold neither. Read once, like READ_ONCE().
        unsafe { core::ptr::read_volatile(core::ptr::addr_of!((*self.as_ptr()).policy)) }
    }

    /// The `PF_*` flags.
    pub(crate) fn pf_flags(&self) -> u32 {
        // SAFETY: `self` is a live task.
        unsafe { (*self.as_ptr()).flags }
    }

    /// The task's scheduling class.
    pub(crate) fn sched_class(&self) -> *const bindings::sched_class {
        // SAFETY: `self` is a live task.
        unsafe { (*self.as_ptr()).sched_class }
    }

    /// Whether the task is on the ext class.
    pub(crate) fn on_ext_class(&self) -> bool {
        self.sched_class() == core::ptr::addr_of!(bindings::ext_sched_class)
    }

    /// Whether this is a CPU's idle task.
    pub(crate) fn on_idle_class(&self) -> bool {
        self.sched_class() == core::ptr::addr_of!(bindings::idle_sched_class)
    }

    /// Whether the task's last reference is gone: it is dead and waits for
    /// `sched_ext_free()`, and no reference to it can be taken any more.
    pub(crate) fn is_dying(&self) -> bool {
        // SAFETY: `self` is allocated, which is all the read needs.
        unsafe { bindings::scx_helper_task_dying(self.as_ptr()) }
    }

    /// Whether this is an idle task that has started idling (`PF_IDLE`):
    /// `is_idle_task()`.
    pub(crate) fn is_idle(&self) -> bool {
        self.pf_flags() & bindings::PF_IDLE != 0
    }

    /// Whether migration is disabled for the task:
    /// `is_migration_disabled()`.
    pub(crate) fn migration_disabled(&self) -> bool {
        // SAFETY: `self` is a live task, so the field is valid to read. A
        // plain read, as C's: only the task itself changes the count, and
        // the callers ask about a task that waits on a DSQ, not running, so
        // the count cannot change under them.
        unsafe { (*self.as_ptr()).migration_disabled != 0 }
    }

    /// Whether the task is between two rqs, taken off one to be put on
    /// another (`TASK_ON_RQ_MIGRATING`): `task_on_rq_migrating()`.
    pub(crate) fn on_rq_migrating(&self) -> bool {
        // SAFETY: `self` is a live task; `on_rq` changes under the rq lock,
        // and a volatile read is C's READ_ONCE().
        let on_rq =
            unsafe { core::ptr::read_volatile(core::ptr::addr_of!((*self.as_ptr()).on_rq)) };
        on_rq == bindings::TASK_ON_RQ_MIGRATING as i32
    }

    /// Whether an affinity change is moving the task
    /// (`p->migration_pending`): its CPU may not be one it is allowed on
    /// until the migration's stopper re-enqueues it.
    pub(crate) fn migration_pending(&self) -> bool {
        // SAFETY: `self` is a live task.
        unsafe { bindings::scx_helper_task_migration_pending(self.as_ptr()) }
    }

    /// Whether the task may run on `cpu`.
    pub(crate) fn allowed_on(&self, cpu: Cpu) -> bool {
        // SAFETY: `cpus_ptr` of a live task points to a valid mask, and
        // `cpu` is in its range.
        unsafe { crate::arch::cpumask_test_cpu(cpu.id() as u32, self.cpus_ptr()) }
    }

    /// The CPUs the task may run on: `p->cpus_ptr`, which is changed
    /// under the task's rq lock, and points to a mask that lives as long as
    /// the task.
    pub(crate) fn cpus_ptr(&self) -> *const bindings::cpumask {
        // SAFETY: `self` is a live task; the pointer is written whole.
        unsafe { core::ptr::read_volatile(core::ptr::addr_of!((*self.as_ptr()).cpus_ptr)) }
    }

    /// The task's weight for its nice level, on the cgroup scale (1..10000).
    pub(crate) fn cgroup_weight(&self) -> u32 {
        // SAFETY: `self` is a live task.
        unsafe {
            bindings::scx_helper_load_weight_to_cgroup(bindings::scx_helper_task_weight(
                self.as_ptr(),
            )) as u32
        }
    }

    /// The task's `ops_state` word, borrowed for as long as the task.
    pub(crate) fn ops_state(&self) -> &OpsStateCell {
        // SAFETY: the word is part of the task, which outlives the borrow.
        unsafe { OpsStateCell::from_raw(core::ptr::addr_of_mut!((*self.scx_ptr()).ops_state)) }
    }

    /// `p->scx.slice`, the time left to run, in ns.
    ///
    /// BPF programs write this field directly (`bpf_scx_btf_struct_access()`
    /// allows it), from any context, so no lock owns it: the core reads and
    /// writes it once per access, like the C core's plain accesses under
    /// the kernel memory model (READ_ONCE()/WRITE_ONCE()).
    pub(crate) fn slice(&self) -> u64 {
        // SAFETY: a field of a live task; see above.
        unsafe { core::ptr::read_volatile(core::ptr::addr_of!((*self.scx_ptr()).slice)) }
    }

    /// Sets [`Self::slice`].
    pub(crate) fn set_slice(&self, slice: u64) {
        // SAFETY: as in `slice`.
        unsafe {
            core::ptr::write_volatile(core::ptr::addr_of_mut!((*self.scx_ptr()).slice), slice)
        }
    }

    /// `p->scx.dsq_vtime`, the order in a vtime-ordered DSQ. Written by BPF
    /// directly, like [`Self::slice`].
    pub(crate) fn dsq_vtime(&self) -> u64 {
        // SAFETY: as in `slice`.
        unsafe { core::ptr::read_volatile(core::ptr::addr_of!((*self.scx_ptr()).dsq_vtime)) }
    }

    /// Sets [`Self::dsq_vtime`].
    pub(crate) fn set_dsq_vtime(&self, vtime: u64) {
        // SAFETY: as in `slice`.
        unsafe {
            core::ptr::write_volatile(core::ptr::addr_of_mut!((*self.scx_ptr()).dsq_vtime), vtime)
        }
    }

    /// `p->scx.disallow`: set by `ops.init_task()` to keep the task out of
    /// the ext class. Written by BPF directly, like [`Self::slice`].
    pub(crate) fn disallow(&self) -> bool {
        // SAFETY: as in `slice`; BPF stores 0 or 1.
        unsafe { core::ptr::read_volatile(core::ptr::addr_of!((*self.scx_ptr()).disallow)) }
    }

    /// Sets [`Self::disallow`].
    pub(crate) fn set_disallow(&self, disallow: bool) {
        // SAFETY: as in `slice`.
        unsafe {
            core::ptr::write_volatile(
                core::ptr::addr_of_mut!((*self.scx_ptr()).disallow),
                disallow,
            )
        }
    }

    /// `p->scx.holding_cpu`, read without owning the field: the CPU that
    /// took the task off a DSQ to move it, until a dequeue resets it to -1.
    /// The mover reads it once it holds the rq lock the task was on; if it
    /// still names the mover, the task did not leave that rq, and its
    /// other fields are the lock holder's again (`RqLocked::task`).
    pub(crate) fn holding_cpu_racy(&self) -> i32 {
        // SAFETY: a field of a live task, read once; its writers hold the
        // task's rq lock or the lock of the DSQ it is on.
        unsafe { core::ptr::read_volatile(core::ptr::addr_of!((*self.scx_ptr()).holding_cpu)) }
    }

    /// The node that links the task into `rq->scx.runnable_list`.
    pub(crate) fn runnable_node(&self) -> *mut bindings::list_head {
        // SAFETY: field address computation on a live task.
        unsafe { core::ptr::addr_of_mut!((*self.scx_ptr()).runnable_node) }
    }

    /// `p->sched_task_group`: the task group the task is scheduled in.
    ///
    /// It changes under both the task's rq lock and `p->pi_lock`
    /// (`sched_change_group()`), and during a cgroup migration, which also
    /// holds `cgroup_threadgroup_rwsem` for writing, so a holder of any of
    /// these reads a stable value. A task group outlives every task in it.
    #[cfg(CONFIG_CGROUP_SCHED)]
    pub(crate) fn task_group(&self) -> *mut bindings::task_group {
        // SAFETY: a field of a live task, read once; see above.
        unsafe { core::ptr::read_volatile(core::ptr::addr_of!((*self.as_ptr()).sched_task_group)) }
    }

    /// `p->scx.core_sched_at`: the task's place in the core-sched order.
    /// Written under the task's rq lock; read by `scx_prio_less()`, which
    /// core scheduling calls with the rq lock of both tasks held (siblings
    /// share one).
    #[cfg(CONFIG_SCHED_CORE)]
    pub(crate) fn core_sched_at(&self) -> u64 {
        // SAFETY: a field of a live task; see above.
        unsafe { core::ptr::read_volatile(core::ptr::addr_of!((*self.scx_ptr()).core_sched_at)) }
    }

    /// `p->scx.cgrp_moving_from`: the cgroup a migration in progress takes
    /// the task from. Only the cgroup migration path touches it, which
    /// `cgroup_mutex` and `cgroup_threadgroup_rwsem` serialise.
    #[cfg(CONFIG_EXT_GROUP_SCHED)]
    pub(crate) fn cgrp_moving_from(&self) -> *mut bindings::cgroup {
        // SAFETY: a field of a live task; see above.
        unsafe { (*self.scx_ptr()).cgrp_moving_from }
    }

    /// Sets [`Self::cgrp_moving_from`].
    #[cfg(CONFIG_EXT_GROUP_SCHED)]
    pub(crate) fn set_cgrp_moving_from(&self, cgrp: *mut bindings::cgroup) {
        // SAFETY: as in `cgrp_moving_from`.
        unsafe { (*self.scx_ptr()).cgrp_moving_from = cgrp }
    }

    /// The node that links the task into `scx_tasks`.
    pub(crate) fn tasks_node(&self) -> *mut bindings::list_head {
        // SAFETY: field address computation on a live task.
        unsafe { core::ptr::addr_of_mut!((*self.scx_ptr()).tasks_node) }
    }
}

macro_rules! scx_field {
    ($get:ident, $set:ident, $field:ident, $ty:ty) => {
        #[allow(dead_code)]
        pub(crate) fn $get(&self) -> $ty {
            // SAFETY: `self.p` is a live task whose field we own, by the
            // type invariant.
            unsafe { (*self.p.scx_ptr()).$field }
        }

        #[allow(dead_code)]
        pub(crate) fn $set(&self, v: $ty) {
            // SAFETY: as in the getter.
            unsafe { (*self.p.scx_ptr()).$field = v }
        }
    };
}

/// The fields of a task's `p->scx` that the lock of its rq protects, and its
/// policy, which changes under that lock and `p->pi_lock`.
///
/// # Invariants
///
/// For `'a`, the holder of this value owns those fields: it holds the rq
/// lock of the rq the task is on, or excludes everyone who could (see
/// [`TaskScx::assume`]). It is not `Send`: the ownership is the current
/// CPU's.
#[derive(Clone, Copy)]
pub(crate) struct TaskScx<'a> {
    p: &'a Task,
    _not_send: PhantomData<*mut ()>,
}

impl<'a> TaskScx<'a> {
    /// Asserts that the caller owns the rq-locked fields of `p` for `'a`
    /// without holding its rq lock.
    ///
    /// # Safety
    ///
    /// No rq lock holder may touch the fields for `'a`: the task is not
    /// queued and the caller holds `p->pi_lock` (a wakeup), or it is not
    /// visible yet (a fork), or the caller claimed it from the BPF
    /// scheduler (`ops_state` DISPATCHING, which the rq lock holder waits
    /// out), or the task is in a state no class callback runs in.
    pub(crate) unsafe fn assume(p: &'a Task) -> TaskScx<'a> {
        // INVARIANT: guaranteed by the caller.
        TaskScx {
            p,
            _not_send: PhantomData,
        }
    }

    /// The task.
    pub(crate) fn task(self) -> &'a Task {
        self.p
    }

    scx_field!(scx_flags, set_scx_flags, flags, u32);
    scx_field!(weight, set_weight, weight, u32);
    scx_field!(sticky_cpu, set_sticky_cpu, sticky_cpu, i32);
    scx_field!(holding_cpu, set_holding_cpu, holding_cpu, i32);
    scx_field!(ops_qseq, set_ops_qseq, ops_qseq, u32);
    scx_field!(ddsp_dsq_id, set_ddsp_dsq_id, ddsp_dsq_id, u64);
    scx_field!(ddsp_enq_flags, set_ddsp_enq_flags, ddsp_enq_flags, u64);
    scx_field!(dsq, set_dsq, dsq, *mut bindings::scx_dispatch_q);
    scx_field!(runnable_at, set_runnable_at, runnable_at, usize);

    /// Sets `flag` in `p->scx.flags`.
    pub(crate) fn set_scx_flag(&self, flag: u32) {
        self.set_scx_flags(self.scx_flags() | flag);
    }

    /// Clears `flag` in `p->scx.flags`.
    pub(crate) fn clear_scx_flag(&self, flag: u32) {
        self.set_scx_flags(self.scx_flags() & !flag);
    }

    /// Whether the task is queued on the ext class (`SCX_TASK_QUEUED`).
    pub(crate) fn scx_queued(&self) -> bool {
        self.scx_flags() & bindings::SCX_TASK_QUEUED as u32 != 0
    }

    /// Forgets a direct dispatch verdict.
    pub(crate) fn clear_ddsp(&self) {
        self.set_ddsp_dsq_id(bindings::SCX_DSQ_INVALID as u64);
        self.set_ddsp_enq_flags(0);
    }
}

impl Deref for TaskScx<'_> {
    type Target = Task;

    fn deref(&self) -> &Task {
        self.p
    }
}

/// Hands `p` back to the core: `ops_state` NONE, ordered after everything
/// done to the task so far, which whoever waits for NONE may then see.
fn release_ops_state(p: &Task) {
    p.ops_state().set_release(OpssWord::new(OpsState::None, 0));
}

/// A task this CPU claimed from the BPF scheduler to dispatch it.
///
/// Claiming moves `ops_state` from QUEUED to DISPATCHING. Until the claimer
/// sets it back to NONE, the holder of the task's rq lock does not dequeue
/// the task: it waits in `ops_dequeue()`. So the claimer owns what a
/// dequeue would change: the task's DSQ linkage, `holding_cpu`, and whether
/// it is queued. Other rq-locked fields (the weight, say) stay the rq lock
/// holder's.
///
/// # Invariants
///
/// `ops_state` of `p` is DISPATCHING, set by this CPU, for as long as the
/// value exists; [`Claimed::release`] consumes it.
pub(crate) struct Claimed<'a> {
    p: &'a Task,
    _not_send: PhantomData<*mut ()>,
}

impl<'a> Claimed<'a> {
    /// # Safety
    ///
    /// The caller must just have moved `ops_state` of `p` from QUEUED to
    /// DISPATCHING, and must release it only through the result.
    pub(crate) unsafe fn new(p: &'a Task) -> Self {
        // INVARIANT: guaranteed by the caller.
        Claimed {
            p,
            _not_send: PhantomData,
        }
    }

    /// Whether the task is queued on the ext class (`SCX_TASK_QUEUED`).
    pub(crate) fn scx_queued(&self) -> bool {
        // SAFETY: the flags change only under the rq lock, whose holder
        // does not dequeue the task while we hold the claim.
        unsafe { (*self.p.scx_ptr()).flags & bindings::SCX_TASK_QUEUED as u32 != 0 }
    }

    /// Records that `cpu` is moving the task, for after the release.
    pub(crate) fn set_holding_cpu(&self, cpu: Cpu) {
        // SAFETY: ours while claimed; after the release, a dequeue resets
        // it under the task's rq lock, which the mover then checks.
        unsafe { (*self.p.scx_ptr()).holding_cpu = cpu.id() }
    }

    /// Ends the claim: `ops_state` back to NONE, ordered after everything
    /// done to the task so far.
    pub(crate) fn release(self) {
        release_ops_state(self.p);
        core::mem::forget(self);
    }
}

impl Drop for Claimed<'_> {
    /// A claim dropped without [`Claimed::release`] would leave the task
    /// DISPATCHING for ever, and its rq lock holder spinning in
    /// `ops_dequeue()`: a bug of the core, reported, and released here.
    fn drop(&mut self) {
        crate::warn!("claim on {}[{}] dropped", self.p.comm(), self.p.pid());
        release_ops_state(self.p);
    }
}

impl Deref for Claimed<'_> {
    type Target = Task;

    fn deref(&self) -> &Task {
        self.p
    }
}

/// What may put a task on a DSQ: the holder of its rq lock ([`TaskScx`]) or
/// a CPU that claimed it ([`Claimed`]), which both own its DSQ linkage.
pub(crate) trait TaskOwner<'a>: Deref<Target = Task> + private::Sealed {
    /// The task.
    fn task(&self) -> &'a Task;

    /// Sets `p->scx.dsq`.
    fn set_dsq(&self, dsq: *mut bindings::scx_dispatch_q) {
        // SAFETY: the owner owns the DSQ linkage, by the trait's contract.
        unsafe { (*self.task().scx_ptr()).dsq = dsq }
    }

    /// Called once the task is on a DSQ, with the enqueue flags: ends the
    /// ownership that the enqueue/dispatch protocol gave, if any.
    fn queued(self, enq_flags: u64);

    /// Sets [`Task::core_sched_at`].
    ///
    /// A CPU that claimed the task from the BPF scheduler writes it without
    /// the task's rq lock, under which `scx_prio_less()` may read it at the
    /// same time (as in the C core): both access it once, and a stale value
    /// only perturbs the order of one core-sched pick.
    #[cfg(CONFIG_SCHED_CORE)]
    fn set_core_sched_at(&self, at: u64) {
        // SAFETY: a field of a live task that the owner may write; see
        // above for the concurrent reader.
        unsafe {
            core::ptr::write_volatile(
                core::ptr::addr_of_mut!((*self.task().scx_ptr()).core_sched_at),
                at,
            )
        }
    }
}

impl<'a> TaskOwner<'a> for TaskScx<'a> {
    fn task(&self) -> &'a Task {
        self.p
    }

    /// With `SCX_ENQ_CLEAR_OPSS`, a direct dispatch ends the QUEUEING that
    /// the enqueue path set.
    fn queued(self, enq_flags: u64) {
        if enq_flags & bindings::SCX_ENQ_CLEAR_OPSS as u64 != 0 {
            release_ops_state(self.p);
        }
    }
}

impl<'a> TaskOwner<'a> for Claimed<'a> {
    fn task(&self) -> &'a Task {
        self.p
    }

    /// A claimed task is always released once queued.
    fn queued(self, _enq_flags: u64) {
        self.release();
    }
}

mod private {
    pub(crate) trait Sealed {}
    impl Sealed for super::TaskScx<'_> {}
    impl Sealed for super::Claimed<'_> {}
}

/// The current task, found without a call (see `crate::arch`).
///
/// # Invariants
///
/// `ptr` is the task that created the value, which is not `Send`, so it is
/// the task running whenever the value is used, and alive.
#[cfg(CONFIG_X86_64_SMP)]
pub(crate) struct CurrentTask {
    ptr: NonNull<kernel::task::Task>,
    _not_send: PhantomData<*mut ()>,
}

#[cfg(CONFIG_X86_64_SMP)]
impl Deref for CurrentTask {
    type Target = kernel::task::Task;

    fn deref(&self) -> &kernel::task::Task {
        // SAFETY: by the type invariant, the running task, which cannot
        // exit while it runs this.
        unsafe { self.ptr.as_ref() }
    }
}

/// The task running this code: what only the task itself may touch.
///
/// # Invariants
///
/// `0` is the current task, and the value is not `Send` (the kernel crate's
/// current task is not), so it stays the current task.
pub(crate) struct Current<C>(C);

impl<C: Deref<Target = kernel::task::Task>> Current<C> {
    /// `current->scx.kf_mask`.
    pub(crate) fn kf_mask(&self) -> u32 {
        // SAFETY: only the task itself reads or writes its `kf_mask`.
        unsafe { (*self.scx_ptr()).kf_mask }
    }

    /// Sets `current->scx.kf_mask`.
    pub(crate) fn set_kf_mask(&self, mask: u32) {
        // SAFETY: as in `kf_mask`.
        unsafe { (*self.scx_ptr()).kf_mask = mask }
    }

    /// `current->scx.kf_tasks`: the tasks the callback this task is running
    /// operates on (see `kf::scoped_on`). Compared by address only.
    pub(crate) fn kf_tasks(&self) -> [*mut bindings::task_struct; 2] {
        // SAFETY: only the task itself reads or writes its `kf_tasks`.
        unsafe { (*self.scx_ptr()).kf_tasks }
    }

    /// Sets `current->scx.kf_tasks`.
    pub(crate) fn set_kf_tasks(&self, tasks: [*mut bindings::task_struct; 2]) {
        // SAFETY: as in `kf_tasks`.
        unsafe { (*self.scx_ptr()).kf_tasks = tasks }
    }
}

impl<C: Deref<Target = kernel::task::Task>> Deref for Current<C> {
    type Target = Task;

    fn deref(&self) -> &Task {
        Task::from_kernel(&self.0)
    }
}

/// A counted reference to a task: the kernel crate's [`ARef`], with the
/// crate's view of the task.
pub(crate) struct TaskRef(ARef<kernel::task::Task>);

impl TaskRef {
    /// Takes a new reference on `p`.
    ///
    /// # Safety
    ///
    /// `p` must hold a reference already (its count is not zero), as a
    /// task that runs or is queued does.
    #[cfg(CONFIG_SCHED_CORE)]
    pub(crate) unsafe fn get(p: &Task) -> TaskRef {
        TaskRef(ARef::from(&p.0))
    }

    /// Takes over a reference the caller already holds on `p`.
    ///
    /// # Safety
    ///
    /// The caller must own one reference on `p`, which the result drops.
    pub(crate) unsafe fn adopt(p: &Task) -> TaskRef {
        // SAFETY: the caller hands us its reference.
        TaskRef(unsafe { ARef::from_raw(NonNull::from(&p.0)) })
    }
}

impl core::ops::Deref for TaskRef {
    type Target = Task;

    fn deref(&self) -> &Task {
        Task::from_kernel(&self.0)
    }
}
