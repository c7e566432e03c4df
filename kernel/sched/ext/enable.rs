// SPDX-License-Identifier: GPL-2.0

//! Loading and unloading a BPF scheduler, and the per-task lifecycle.
//!
//! Every task that went through fork is on the `scx_tasks` list. To enable a
//! scheduler the core walks that list twice, each time with forks blocked
//! (`scx_fork_rwsem` held for write): first calling `ops.init_task()` for
//! each task, which may sleep, then moving each task that should be on the
//! ext class there. Forks resume between the two walks while the enabled
//! key flips (see `switch_in()`). Disabling walks the list once more in the
//! other direction. While either walk runs, every CPU is in bypass mode: the core
//! schedules ext tasks FIFO by itself, so a half-loaded or misbehaving BPF
//! scheduler cannot stall the switch.
//!
//! Per task, `p->scx.flags` holds where the task is in its lifecycle:
//!
//! ```text
//!   NONE --ops.init_task()--> INIT --(published)--> READY <--> ENABLED
//!     ^                                                          |
//!     +--------------------- ops.exit_task() --------------------+
//! ```
//!
//! READY <-> ENABLED follows the task joining and leaving the ext class
//! (`ops.enable()` / `ops.disable()`).

use crate::bindings;
use crate::class;
use crate::dsq;
use crate::exit;
use crate::idle;
use crate::ops::{self, Ops};
use crate::pcpu;
use crate::rq::{Cpu, Rq, TaskRqGuard};
use crate::task::{Task, TaskRef, TaskScx};
use core::cell::UnsafeCell;
use core::marker::PhantomData;
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicIsize, Ordering};
use kernel::prelude::*;
use kernel::types::Opaque;

/// `enum scx_ops_enable_state`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(i32)]
pub(crate) enum EnableState {
    Enabling = bindings::SCX_OPS_ENABLING as i32,
    Enabled = bindings::SCX_OPS_ENABLED as i32,
    Disabling = bindings::SCX_OPS_DISABLING as i32,
    Disabled = bindings::SCX_OPS_DISABLED as i32,
}

static ENABLE_STATE: AtomicI32 = AtomicI32::new(EnableState::Disabled as i32);
static SWITCHING_ALL: AtomicBool = AtomicBool::new(false);
/// Whether forks call `ops.init_task()`: from the first enable walk until
/// the disable walk. Changes only with `scx_fork_rwsem` held for write.
static INIT_TASK_ENABLED: AtomicBool = AtomicBool::new(false);
pub(crate) static NR_REJECTED: AtomicIsize = AtomicIsize::new(0);
pub(crate) static HOTPLUG_SEQ: AtomicIsize = AtomicIsize::new(0);
pub(crate) static ENABLE_SEQ: AtomicIsize = AtomicIsize::new(0);
/// Whether CPU hotplug events go to the loaded scheduler: from its
/// `ops.init()` until its disable walk is done. Changes with the CPU
/// hotplug lock held, which the hotplug callbacks hold for writing.
static HOTPLUG_OPS: AtomicBool = AtomicBool::new(false);
/// Whether the loaded scheduler's callbacks other than `ops.init()`, the
/// hotplug ones and `ops.exit()` may run for a debug dump: from the end of
/// the checks of its table to its disable walk, as the C core's `has_op`
/// static keys.
static CALLBACKS_ON: AtomicBool = AtomicBool::new(false);

/// Whether the loaded scheduler's `ops.dump*()` may be called.
pub(crate) fn callbacks_on() -> bool {
    CALLBACKS_ON.load(Ordering::Acquire)
}

impl EnableState {
    fn from_raw(raw: i32) -> Self {
        match raw {
            x if x == EnableState::Enabling as i32 => EnableState::Enabling,
            x if x == EnableState::Enabled as i32 => EnableState::Enabled,
            x if x == EnableState::Disabling as i32 => EnableState::Disabling,
            _ => EnableState::Disabled,
        }
    }
}

/// The current enable state.
pub(crate) fn state() -> EnableState {
    EnableState::from_raw(ENABLE_STATE.load(Ordering::Acquire))
}

/// Sets the enable state, returning the previous one.
fn set_state(s: EnableState) -> EnableState {
    EnableState::from_raw(ENABLE_STATE.swap(s as i32, Ordering::AcqRel))
}

/// The state as `/sys/kernel/sched_ext/state` shows it.
pub(crate) fn state_str() -> &'static kernel::str::CStr {
    state().as_cstr()
}

impl EnableState {
    /// The name of the state, as sysfs shows it.
    pub(crate) fn as_cstr(self) -> &'static kernel::str::CStr {
        match self {
            EnableState::Enabling => kernel::c_str!("enabling"),
            EnableState::Enabled => kernel::c_str!("enabled"),
            EnableState::Disabling => kernel::c_str!("disabling"),
            EnableState::Disabled => kernel::c_str!("disabled"),
        }
    }
}

/// Whether all fair tasks are switched to ext, rather than `SCHED_EXT` ones.
pub(crate) fn switching_all() -> bool {
    SWITCHING_ALL.load(Ordering::Relaxed)
}

/// Whether a task of `policy` belongs on the ext class now.
pub(crate) fn task_should_scx(policy: u32) -> bool {
    let st = state();
    if st == EnableState::Disabled || st == EnableState::Disabling || !crate::scx_enabled() {
        return false;
    }
    switching_all() || policy == bindings::SCHED_EXT
}

const STATE_SHIFT: u32 = bindings::SCX_TASK_STATE_SHIFT as u32;
const STATE_MASK: u32 = ((1 << bindings::SCX_TASK_STATE_BITS) - 1) << STATE_SHIFT;

/// `enum scx_task_state`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum TaskState {
    None,
    Init,
    Ready,
    Enabled,
}

pub(crate) fn task_state(p: TaskScx<'_>) -> TaskState {
    match (p.scx_flags() & STATE_MASK) >> STATE_SHIFT {
        x if x == bindings::SCX_TASK_INIT => TaskState::Init,
        x if x == bindings::SCX_TASK_READY => TaskState::Ready,
        x if x == bindings::SCX_TASK_ENABLED => TaskState::Enabled,
        _ => TaskState::None,
    }
}

fn set_task_state(p: TaskScx<'_>, s: TaskState) {
    let prev = task_state(p);
    let ok = match s {
        TaskState::None => true,
        TaskState::Init => prev == TaskState::None,
        TaskState::Ready => prev != TaskState::None,
        TaskState::Enabled => prev == TaskState::Ready,
    };
    if !ok {
        crate::warn!(
            "{}[{}] invalid task state transition {:?} -> {:?}",
            p.comm(),
            p.pid(),
            prev,
            s
        );
    }
    let v = match s {
        TaskState::None => bindings::SCX_TASK_NONE,
        TaskState::Init => bindings::SCX_TASK_INIT,
        TaskState::Ready => bindings::SCX_TASK_READY,
        TaskState::Enabled => bindings::SCX_TASK_ENABLED,
    };
    p.set_scx_flags((p.scx_flags() & !STATE_MASK) | (v << STATE_SHIFT));
}

/// Turns an `ops.init_task()`/`ops.init()` return value into an errno,
/// reporting values that are not one.
pub(crate) fn sanitize_err(what: &str, err: i32) -> i32 {
    if (-4095..0).contains(&err) {
        err
    } else {
        crate::scx_error!("ops.{}() returned an invalid errno {}", what, err);
        -(bindings::EPROTO as i32)
    }
}

/// `ops.init_task()` for `p`. Runs without rq locks; may sleep.
///
/// The task is in state NONE: not on the ext class, so no class callback
/// touches its fields, and only its own fork or the enable walk, which the
/// enable mutex serialises, run this.
fn init_task(o: Ops<'_>, task: &Task, fork: bool) -> core::result::Result<(), i32> {
    // SAFETY: see above; nothing else writes the fields until the task is
    // READY, which only we make it.
    let p = unsafe { TaskScx::assume(task) };
    p.set_disallow(false);
    // SAFETY: zeroed is a valid `scx_init_task_args`.
    let mut args: bindings::scx_init_task_args = unsafe { core::mem::zeroed() };
    args.fork = fork;
    #[cfg(CONFIG_EXT_GROUP_SCHED)]
    {
        args.cgroup = if fork {
            // SAFETY: the child is not visible yet; sched_cgroup_fork() set
            // its group before it called us.
            unsafe { crate::cgroup::task_cgroup(task) }
        } else {
            // The enable walk holds `scx_cgroup_rwsem` for writing, so no
            // cgroup migration is in flight; the rq lock also excludes an
            // autogroup change. The cgroup stays valid after the unlock:
            // a cgroup with a task in it is not freed, and the task stays
            // in it until the migrations resume.
            let g = TaskRqGuard::lock(task);
            // SAFETY: the rq lock of `task` is held.
            let cgrp = unsafe { crate::cgroup::task_cgroup(task) };
            drop(g);
            cgrp
        };
    }
    if let Some(ret) = o.init_task(task, &mut args) {
        if ret != 0 {
            return Err(sanitize_err("init_task", ret));
        }
    }
    set_task_state(p, TaskState::Init);
    if p.disallow() {
        if !fork {
            // The scheduler refuses `p`: if it asked for SCHED_EXT, it gets
            // SCHED_NORMAL instead, which the switch below then honours.
            let g = TaskRqGuard::lock(task);
            if p.policy() == bindings::SCHED_EXT {
                g.set_policy(bindings::SCHED_NORMAL);
                NR_REJECTED.fetch_add(1, Ordering::Relaxed);
            }
            drop(g);
        } else if p.policy() == bindings::SCHED_EXT {
            crate::scx_error!(
                "ops.init_task() set task->scx.disallow for {}[{}] during fork",
                p.comm(),
                p.pid()
            );
        }
    }
    p.set_scx_flag(bindings::SCX_TASK_RESET_RUNNABLE_AT as u32);
    Ok(())
}

/// `p` joins the ext class. Its rq lock is held.
fn enable_task(o: Ops<'_>, p: TaskScx<'_>) {
    let weight = p.cgroup_weight();
    p.set_weight(weight);
    o.enable(&p);
    set_task_state(p, TaskState::Enabled);
    o.set_weight(&p, weight);
}

/// `p` leaves the ext class. Its rq lock is held.
fn disable_task(o: Ops<'_>, p: TaskScx<'_>) {
    p.clear_ddsp();
    o.disable(&p);
    set_task_state(p, TaskState::Ready);
}

/// The scheduler is done with `p`. Its rq lock is held.
fn exit_task(o: Ops<'_>, p: TaskScx<'_>) {
    // SAFETY: zeroed is a valid `scx_exit_task_args`.
    let mut args: bindings::scx_exit_task_args = unsafe { core::mem::zeroed() };
    match task_state(p) {
        TaskState::None => return,
        TaskState::Init => args.cancelled = true,
        TaskState::Ready => {}
        TaskState::Enabled => disable_task(o, p),
    }
    o.exit_task(&p, &mut args);
    set_task_state(p, TaskState::None);
}

/// The cursor of [`TaskIter`].
///
/// # Invariants
///
/// Only used with the enable mutex held, which serialises every walk, so
/// one cursor is enough and walking never needs to allocate: the disable
/// path in particular must not be able to fail.
struct Cursor(Opaque<bindings::sched_ext_entity>);

// SAFETY: see the invariants.
unsafe impl Sync for Cursor {}

static CURSOR: Cursor = Cursor(Opaque::uninit());

/// A walk over `scx_tasks` that tolerates tasks coming and going.
///
/// `scx_tasks` and its lock are C statics (`helpers.c`): the list links
/// tasks through the C `list_head` `scx.tasks_node` in every task, which a
/// `kernel::list::List` cannot, and 6.12's `kernel::sync` has no way to
/// define a static `SpinLock`.
///
/// A cursor entity is linked into the list and moved past each task
/// visited, so the walk can drop the list lock and go on where it was.
/// [`TaskIter::next`] drops the lock after each task and returns the task
/// with a reference; [`TaskIter::for_each_locked`] holds the lock and drops
/// it every [`LOCKED_BATCH`] tasks.
struct TaskIter<'a> {
    cursor: *mut bindings::sched_ext_entity,
    _g: PhantomData<&'a EnableLocked>,
}

impl TaskIter<'_> {
    /// Starts a walk, which the borrow of the enable mutex's guard keeps
    /// the only one.
    fn new(_g: &'_ EnableLocked) -> TaskIter<'_> {
        let cursor = CURSOR.0.get();
        // SAFETY: the enable mutex gives us the cursor, which no other walk
        // has linked; we hold the list lock to link it.
        unsafe {
            core::ptr::write_bytes(cursor, 0, 1);
            (*cursor).flags = bindings::SCX_TASK_CURSOR as u32;
            bindings::scx_helper_tasks_lock();
            crate::list::add(
                core::ptr::addr_of_mut!((*cursor).tasks_node),
                bindings::scx_helper_tasks_list(),
            );
            bindings::scx_helper_tasks_unlock();
        }
        TaskIter {
            cursor,
            _g: PhantomData,
        }
    }

    /// Moves the cursor past the next task and returns that task's entity,
    /// or, at the end of the list, moves the cursor to the tail and returns
    /// `None`.
    ///
    /// # Safety
    ///
    /// The caller must hold the list lock.
    unsafe fn advance(&mut self) -> Option<*mut bindings::sched_ext_entity> {
        // SAFETY: the caller holds the list lock, which every change of the
        // list is made under; our cursor is linked (see `new()`).
        unsafe {
            let head = bindings::scx_helper_tasks_list();
            let me = core::ptr::addr_of_mut!((*self.cursor).tasks_node);
            let mut node = (*me).next;
            while node != head {
                let off = core::mem::offset_of!(bindings::sched_ext_entity, tasks_node);
                let ent = (node as *mut u8).sub(off) as *mut bindings::sched_ext_entity;
                if (*ent).flags & bindings::SCX_TASK_CURSOR as u32 == 0 {
                    crate::list::del_init(me);
                    crate::list::add(me, node);
                    return Some(ent);
                }
                node = (*node).next;
            }
            crate::list::del_init(me);
            crate::list::add_tail(me, head);
            None
        }
    }

    /// The next task that is not an idle task and not dying, with a
    /// reference, so that the caller may drop every lock and sleep.
    ///
    /// Idle tasks ("swapper/N") are never scheduled by sched_ext, must keep
    /// the idle class (which `__setscheduler_class()` would not give them
    /// back), and share pid 0, which would confuse `ops.init_task()`. They
    /// are told apart by their class, not by `PF_IDLE` (`is_idle_task()`):
    /// the idle task of a possible CPU that was never onlined does not have
    /// `PF_IDLE` yet.
    fn next(&mut self) -> Option<TaskRef> {
        // SAFETY: paired below; process context.
        unsafe { bindings::scx_helper_tasks_lock() };
        let found = loop {
            // SAFETY: we hold the list lock.
            let Some(ent) = (unsafe { self.advance() }) else {
                break None;
            };
            // SAFETY: the task is on the list, whose lock we hold:
            // sched_ext_free() unlinks it under that lock before the task
            // can be freed.
            let p = unsafe { Task::from_entity(ent) };
            // SAFETY: as above, `p` is allocated; tryget fails for a task
            // whose last reference is gone.
            if !p.on_idle_class() && unsafe { bindings::scx_helper_tryget_task(p.as_ptr()) } {
                // SAFETY: we took the reference that the `TaskRef` owns.
                break Some(unsafe { TaskRef::adopt(p) });
            }
        };
        // SAFETY: taken above.
        unsafe { bindings::scx_helper_tasks_unlock() };
        found
    }

    /// Calls `f` for each remaining task but the idle tasks, dying ones
    /// included, with the list lock held.
    ///
    /// The lock keeps a task allocated without a reference: a task whose
    /// last reference is gone, which [`TaskIter::next`] must skip, is still
    /// on the list until `sched_ext_free()` takes it off under this lock.
    /// `f` runs in atomic context (the list lock is held) and must not
    /// sleep. The lock is dropped for a `cond_resched()` every
    /// [`LOCKED_BATCH`] tasks, as the cursor keeps the place.
    fn for_each_locked(&mut self, mut f: impl FnMut(&Task)) {
        let mut n = 0usize;
        // SAFETY: paired below; process context.
        unsafe { bindings::scx_helper_tasks_lock() };
        loop {
            n += 1;
            if n % LOCKED_BATCH == 0 {
                // SAFETY: we hold the lock, and hold no task across this.
                unsafe {
                    bindings::scx_helper_tasks_unlock();
                    bindings::scx_helper_cond_resched();
                    bindings::scx_helper_tasks_lock();
                }
            }
            // SAFETY: we hold the list lock.
            let Some(ent) = (unsafe { self.advance() }) else {
                break;
            };
            // SAFETY: the task is on the list, whose lock we hold until `f`
            // returns: sched_ext_free() unlinks it under that lock before
            // the task can be freed.
            let p = unsafe { Task::from_entity(ent) };
            if !p.on_idle_class() {
                f(p);
            }
        }
        // SAFETY: taken above.
        unsafe { bindings::scx_helper_tasks_unlock() };
    }
}

/// How many tasks [`TaskIter::for_each_locked`] handles per hold of the list
/// lock, as the C core's `SCX_OPS_TASK_ITER_BATCH`.
const LOCKED_BATCH: usize = 32;

impl Drop for TaskIter<'_> {
    fn drop(&mut self) {
        // SAFETY: the cursor is linked; unlink it under the list lock.
        unsafe {
            bindings::scx_helper_tasks_lock();
            crate::list::del_init(core::ptr::addr_of_mut!((*self.cursor).tasks_node));
            bindings::scx_helper_tasks_unlock();
        }
    }
}

/// `scx_bypass_lock`, held with interrupts off, and the bypass depth it
/// protects.
///
/// # Invariants
///
/// The lock is held from [`BypassLocked::lock`] until the value drops.
#[must_use = "the bypass lock is released when the guard drops"]
struct BypassLocked {
    flags: usize,
    _not_send: PhantomData<*mut ()>,
}

/// How many times bypass mode was entered and not left yet.
///
/// # Invariants
///
/// Only accessed with `scx_bypass_lock` held, through [`BypassLocked`].
struct BypassDepth(UnsafeCell<i32>);

// SAFETY: see the invariants.
unsafe impl Sync for BypassDepth {}

static BYPASS_DEPTH: BypassDepth = BypassDepth(UnsafeCell::new(0));

impl BypassLocked {
    fn lock() -> Self {
        let mut flags = 0;
        // SAFETY: a raw spinlock taken with interrupts saved; every rq lock
        // nests inside it, and nothing holding one takes it.
        unsafe { bindings::scx_helper_bypass_lock(&mut flags) };
        // INVARIANT: just taken.
        BypassLocked {
            flags: flags as usize,
            _not_send: PhantomData,
        }
    }

    fn depth(&mut self) -> &mut i32 {
        // SAFETY: we hold the lock, by the type invariant, and the exclusive
        // borrow of `self` keeps this the only reference.
        unsafe { &mut *BYPASS_DEPTH.0.get() }
    }
}

impl Drop for BypassLocked {
    fn drop(&mut self) {
        // SAFETY: taken in `lock()` with these flags.
        unsafe { bindings::scx_helper_bypass_unlock(self.flags as _) };
    }
}

/// Enters or leaves bypass mode on every CPU. Nests.
///
/// The depth and the walk over the CPUs are one critical section. Were the
/// depth counted apart from the walk, an enter racing with a leave (an
/// error's disable entering while the enable path leaves) could finish its
/// walk first and have CPUs left out of bypass by the other's walk, with a
/// depth that says bypass. Callers are the enable and disable paths and the
/// PM notifier, in process context; the sysrq and error paths only queue
/// the disable.
pub(crate) fn bypass(on: bool) {
    let mut locked = BypassLocked::lock();
    let depth = locked.depth();
    if on {
        *depth += 1;
        if *depth <= 0 {
            crate::warn!("bypass depth {} after entering", *depth);
        }
        if *depth != 1 {
            return;
        }
    } else {
        *depth -= 1;
        if *depth < 0 {
            crate::warn!("bypass depth {} after leaving", *depth);
        }
        if *depth != 0 {
            return;
        }
    }
    for cpu in crate::rq::possible_cpus() {
        let rq = Rq::of_cpu(cpu);
        let l = rq.lock_irqsave();
        if on == l.bypassing() {
            crate::warn!(
                "CPU {} already {} bypass",
                cpu.id(),
                if on { "in" } else { "out of" }
            );
        }
        if on {
            l.set_flags(bindings::SCX_RQ_BYPASSING);
        } else {
            l.clear_flags(bindings::SCX_RQ_BYPASSING);
        }
        // Send every queued ext task through the enqueue path again, so it
        // ends up where the new mode wants it.
        if crate::scx_enabled() {
            // SAFETY: the rq clock must be current for the requeue.
            unsafe { bindings::update_rq_clock(rq.as_ptr()) };
            class::requeue_runnable(&l);
        }
        // The CPU we run on needs no IPI and may be on its way up or down.
        // SAFETY: no preconditions; interrupts are off under the bypass
        // lock, so the answer stays true.
        if cpu.online() || cpu.id() == unsafe { bindings::scx_helper_raw_smp_processor_id() } {
            l.resched_curr();
        }
    }
}

/// The class `p` belongs in now.
fn class_for(p: &Task) -> *const bindings::sched_class {
    let stop = core::ptr::addr_of!(bindings::stop_sched_class);
    if p.sched_class() == stop {
        return stop;
    }
    // SAFETY: `p` is live; __setscheduler_class() only reads its arguments.
    unsafe { bindings::__setscheduler_class((*p.as_ptr()).policy as i32, (*p.as_ptr()).prio) }
}

/// What a walk over every task does with the tasks whose last reference is
/// gone.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dying {
    /// Leave them as they are, for `sched_ext_free()`.
    Skip,
    /// Handle them like the others.
    Include,
}

/// Moves every task to the class it belongs in, and calls `on_each` for it
/// with its rq lock held.
///
/// The walk holds the list lock while it handles a task, as the C core's
/// does, so that it reaches the dying tasks too (see
/// [`TaskIter::for_each_locked`]). The disable walk must: a dead task it
/// skipped would stay on the ext class, ENABLED, and `sched_ext_free()`
/// would later call `ops.disable()` and `ops.exit_task()` of whatever
/// scheduler is loaded by then, one that never saw the task. The enable
/// walk skips them, as C does: they are READY (or NONE if they were dying
/// already at the init walk), and `sched_ext_free()` exits them from the
/// scheduler that initialised them.
fn switch_all_tasks(
    g: &EnableLocked,
    _forks: &ForksBlocked,
    dying: Dying,
    on_each: impl Fn(&TaskRqGuard<'_>),
) {
    let mut it = TaskIter::new(g);
    it.for_each_locked(|p| {
        if dying == Dying::Skip && p.is_dying() {
            return;
        }
        let g = TaskRqGuard::lock(p);
        class::requeue_task(&g, p, Some(class_for(p)));
        on_each(&g);
    });
}

/// `scx_enable_mutex`, held: enabling and disabling are serialised, and
/// the loaded scheduler's table ([`ops::clear`]) cannot change under it.
#[must_use = "the enable mutex is released when the guard drops"]
pub(crate) struct EnableLocked(PhantomData<*mut ()>);

impl EnableLocked {
    /// Takes the mutex; may sleep.
    fn lock() -> Self {
        // SAFETY: called in process context (the enable and disable
        // workers), without spinlocks held.
        unsafe { bindings::scx_helper_enable_mutex_lock() };
        EnableLocked(PhantomData)
    }
}

impl Drop for EnableLocked {
    fn drop(&mut self) {
        // SAFETY: taken in `lock`.
        unsafe { bindings::scx_helper_enable_mutex_unlock() };
    }
}

/// The RT kthread that enables schedulers.
///
/// # Invariants
///
/// Set once by [`init`] at boot, before any scheduler can be loaded.
struct EnableWorker(UnsafeCell<*mut bindings::kthread_worker>);

// SAFETY: see the invariants.
unsafe impl Sync for EnableWorker {}

static ENABLE_WORKER: EnableWorker = EnableWorker(UnsafeCell::new(core::ptr::null_mut()));

/// Creates the enable worker. Called once at boot.
pub(crate) fn init() -> Result {
    let w = exit::create_rt_worker(kernel::c_str!("scx_ops_enable_helper"))?;
    // SAFETY: boot is single-threaded here; see `EnableWorker`.
    unsafe { *ENABLE_WORKER.0.get() = w };
    Ok(())
}

/// An enable request, handed to the enable worker.
#[repr(C)]
struct EnableCmd {
    work: bindings::kthread_work,
    ops: *const bindings::sched_ext_ops,
    ret: i32,
}

/// Runs an enable request on the enable worker.
///
/// # Safety
///
/// `work` must be the `work` member of an [`EnableCmd`] that outlives the
/// call, as `enable()` guarantees by flushing the work.
unsafe extern "C" fn enable_workfn(work: *mut bindings::kthread_work) {
    // `work` is the first member of the `EnableCmd` that `enable()` keeps
    // alive until the work is flushed.
    let cmd = work.cast::<EnableCmd>();
    // SAFETY: see above; `ops` stays valid until bpf_scx_reg() returns.
    unsafe { (*cmd).ret = enable_on_helper(&*(*cmd).ops) };
}

/// Loads the scheduler described by `uops`. Called from `bpf_scx_reg()`.
///
/// The work runs on an RT kthread. While the tasks are switched over, some
/// are already on the ext class and some still on fair, which runs first;
/// an enabling thread that was itself switched to ext could then wait
/// behind a fair CPU hog for as long as that one runs. The RT kthread is
/// never switched, so the switch always makes progress.
pub(crate) fn enable(uops: &bindings::sched_ext_ops) -> i32 {
    // The ext class has no notion of scheduling domains: a CPU isolated
    // with "isolcpus=domain" would get tasks it is meant to be kept free of.
    // SAFETY: reads two cpumasks fixed after boot.
    if !unsafe { bindings::scx_helper_domain_isolation_off() } {
        pr_err!("Not compatible with \"isolcpus=\" domain isolation\n");
        return EINVAL.to_errno();
    }
    let mut cmd = EnableCmd {
        // SAFETY: zeroed is the state kthread_init_work() starts from.
        work: unsafe { core::mem::zeroed() },
        ops: uops,
        ret: 0,
    };
    // SAFETY: `cmd` outlives the work: we flush it before returning. The
    // worker was created at boot.
    unsafe {
        bindings::scx_helper_init_kthread_work(&mut cmd.work, Some(enable_workfn));
        bindings::kthread_queue_work(*ENABLE_WORKER.0.get(), &mut cmd.work);
        bindings::kthread_flush_work(&mut cmd.work);
    }
    cmd.ret
}

/// Loads the scheduler described by `uops`, on the enable worker.
///
/// Errors found once the scheduler is installed are not returned: they end
/// the scheduler through the normal exit path, so that user space reads
/// them from the exit info like any other exit. Only a busy core or an
/// allocation failure before that fails the attach.
fn enable_on_helper(uops: &bindings::sched_ext_ops) -> i32 {
    let mut g = EnableLocked::lock();
    if state() != EnableState::Disabled {
        return EBUSY.to_errno();
    }
    if let Err(e) = ops::install(&mut g, uops) {
        return e.to_errno();
    }
    let o = ops::get_enabling(&g);
    if let Err(e) = pcpu::alloc_dispatch_bufs(o) {
        ops::clear(&mut g);
        return e.to_errno();
    }
    let dump_len = o.table().exit_dump_len as usize;
    if let Err(e) = exit::alloc_dump(&g, dump_len) {
        ops::clear(&mut g);
        return e.to_errno();
    }
    // ENABLING before the claim is reset: a disable queued by a claim made
    // from here on finds a scheduler to take down (see `exit::reset()`).
    set_state(EnableState::Enabling);
    exit::reset();
    NR_REJECTED.store(0, Ordering::Relaxed);
    class::WARNED_ZERO_SLICE.store(false, Ordering::Relaxed);
    // Until the scheduler sets a performance target with
    // scx_bpf_cpuperf_set(), schedutil runs every CPU it switched all
    // tasks off fair on at full speed, not at the utilisation of an empty
    // fair class.
    for cpu in crate::rq::possible_cpus() {
        Rq::of_cpu(cpu).set_cpuperf_target(bindings::SCX_CPUPERF_ONE as u32);
    }
    idle::reset_for_enable(o);

    if let Err(err) = enable_locked(&g, uops) {
        drop(g);
        crate::scx_error!("scx_ops_enable() failed ({})", err);
        exit::flush_disable();
        return 0;
    }
    // Still under the mutex, as the C core does: the name is the loaded
    // scheduler's until a disable, which needs the mutex, clears it.
    pr_info!(
        "BPF scheduler \"{}\" enabled{}\n",
        o.name(),
        if switching_all() { "" } else { " (partial)" }
    );
    // SAFETY: process context, sleeping allowed.
    if unsafe { bindings::scx_abi_sysfs_add_root() } != 0 {
        pr_warn!("failed to add /sys/kernel/sched_ext/root\n");
    }
    ENABLE_SEQ.fetch_add(1, Ordering::Relaxed);
    0
}

fn enable_locked(
    g: &EnableLocked,
    uops: &bindings::sched_ext_ops,
) -> core::result::Result<(), i32> {
    let o = ops::get_enabling(g);
    // CPUs stay put from ops.init() until hotplug events are delivered, so
    // that a scheduler that reads the online CPUs in ops.init() and then
    // follows ops.cpu_online()/ops.cpu_offline() misses none.
    // SAFETY: process context; nothing held that hotplug waits for.
    unsafe { bindings::cpus_read_lock() };
    if let Some(ret) = o.init() {
        if ret != 0 {
            // SAFETY: taken above.
            unsafe { bindings::cpus_read_unlock() };
            let err = sanitize_err("init", ret);
            crate::scx_error!("ops.init() failed ({})", err);
            return Err(err);
        }
    }
    HOTPLUG_OPS.store(true, Ordering::Relaxed);
    let seq = HOTPLUG_SEQ.load(Ordering::Relaxed);
    // SAFETY: taken above.
    unsafe { bindings::cpus_read_unlock() };
    if uops.hotplug_seq != 0 && uops.hotplug_seq as isize != seq {
        exit::raise(
            exit::UNREG_KERN,
            (bindings::SCX_ECODE_ACT_RESTART | bindings::SCX_ECODE_RSN_HOTPLUG) as i64,
            format_args!(
                "expected hotplug seq {} did not match actual {}",
                uops.hotplug_seq, seq
            ),
        );
        return Err(EBUSY.to_errno());
    }
    let t = o.table();
    if o.has_flag(bindings::SCX_OPS_ENQ_LAST as u64) && t.enqueue.is_none() {
        crate::scx_error!("SCX_OPS_ENQ_LAST requires ops.enqueue() to be implemented");
        return Err(EINVAL.to_errno());
    }

    // Armed before any task can reach the scheduler; the disable path
    // disarms it whichever way the enable ends from here.
    crate::watchdog::start(t.timeout_ms);
    CALLBACKS_ON.store(true, Ordering::Release);

    bypass(true);
    let r = switch_in(g, o);
    bypass(false);
    r?;

    // An error raised meanwhile (a callback, a kfunc) started the disable.
    if ENABLE_STATE
        .compare_exchange(
            EnableState::Enabling as i32,
            EnableState::Enabled as i32,
            Ordering::AcqRel,
            Ordering::Acquire,
        )
        .is_err()
        || exit::claimed() != exit::NONE
    {
        return Err(EBUSY.to_errno());
    }
    if switching_all() {
        // SAFETY: process context.
        unsafe { bindings::scx_abi_set_switched_all(true) };
    }
    Ok(())
}

/// `scx_fork_rwsem`, held for writing: no fork is between `scx_pre_fork()`
/// and `scx_post_fork()`, so the set of tasks on `scx_tasks` and whether a
/// fork initialises its task cannot change.
#[must_use = "forks resume when the guard drops"]
struct ForksBlocked(PhantomData<*mut ()>);

impl ForksBlocked {
    /// Waits for the forks in flight and blocks new ones; may sleep.
    fn lock() -> Self {
        // SAFETY: process context, no spinlock held.
        unsafe { bindings::scx_helper_fork_write_lock() };
        ForksBlocked(PhantomData)
    }
}

impl Drop for ForksBlocked {
    fn drop(&mut self) {
        // SAFETY: taken in `lock`.
        unsafe { bindings::scx_helper_fork_write_unlock() };
    }
}

/// Both enable walks.
///
/// Forks run between the two, while the enabled key flips:
/// static_branch_enable() takes the CPU hotplug lock and patches text with
/// IPIs, and a holder of the hotplug lock may itself wait for a fork (a
/// kthread being created), which would never end if forks were blocked
/// with a hotplug writer queued. A task forked meanwhile sees
/// INIT_TASK_ENABLED, so its fork initialises it and `post_fork()` makes
/// it READY, or, once the key is on and the task lands on the ext class,
/// ENABLED; the second walk then moves or only requeues it like any other.
fn switch_in(g: &EnableLocked, o: Ops<'_>) -> core::result::Result<(), i32> {
    init_all_tasks(g, o)?;
    SWITCHING_ALL.store(
        !o.has_flag(bindings::SCX_OPS_SWITCH_PARTIAL as u64),
        Ordering::Relaxed,
    );
    // SAFETY: process context, no spinlock and no fork lock held;
    // static_branch_enable() takes cpus_read_lock().
    unsafe { bindings::scx_abi_set_enabled(true) };
    let forks = ForksBlocked::lock();
    switch_all_tasks(g, &forks, Dying::Skip, |_| {});
    Ok(())
}

/// `ops.init_task()` for every task, with forks blocked, after every cgroup
/// was initialised.
fn init_all_tasks(g: &EnableLocked, o: Ops<'_>) -> core::result::Result<(), i32> {
    let _forks = ForksBlocked::lock();
    // Every cgroup is initialised before any task, so that the scheduler
    // can track each task's cgroup from ops.init_task() on; no group
    // comes online and no task migrates until every task is initialised.
    // Declared after `_forks`, the cgroup lock is released first.
    #[cfg(CONFIG_EXT_GROUP_SCHED)]
    let cgroup_lock = crate::cgroup::WriteLocked::lock();
    INIT_TASK_ENABLED.store(true, Ordering::Relaxed);
    #[cfg(CONFIG_EXT_GROUP_SCHED)]
    crate::cgroup::init(o, &cgroup_lock)?;
    let mut it = TaskIter::new(g);
    while let Some(p) = it.next() {
        if let Err(err) = init_task(o, &p, false) {
            crate::scx_error!(
                "ops.init_task() failed ({}) for {}[{}] while loading",
                err,
                p.comm(),
                p.pid()
            );
            return Err(err);
        }
        let g = TaskRqGuard::lock(&p);
        set_task_state(g.task(), TaskState::Ready);
        drop(g);
    }
    Ok(())
}

/// Unloads the current scheduler. Runs on the RT helper kthread.
pub(crate) fn disable_workfn() {
    let kind = exit::take();
    if kind == exit::NONE || kind == exit::DONE {
        return;
    }
    bypass(true);
    match set_state(EnableState::Disabling) {
        EnableState::Disabled => {
            pr_warn!("ops error detected without ops ({})\n", exit::msg());
            set_state(EnableState::Disabled);
            bypass(false);
            return;
        }
        EnableState::Disabling => crate::warn!("disable requested twice"),
        _ => {}
    }
    let mut g = EnableLocked::lock();
    let o = ops::get_enabling(&g);
    // SAFETY: process context.
    unsafe { bindings::scx_abi_set_switched_all(false) };
    SWITCHING_ALL.store(false, Ordering::Relaxed);

    // Cgroup support goes first, so that no migration calls into the
    // scheduler about a task that is being exited below.
    #[cfg(CONFIG_EXT_GROUP_SCHED)]
    {
        let w = crate::cgroup::WriteLocked::lock();
        crate::cgroup::exit(o, &w);
    }

    let forks = ForksBlocked::lock();
    INIT_TASK_ENABLED.store(false, Ordering::Relaxed);
    // task_should_scx() is false now, so every task goes back to fair.
    // Every task, the dying ones included, is exited here and now.
    switch_all_tasks(&g, &forks, Dying::Include, |t| exit_task(o, t.task()));
    drop(forks);

    // SAFETY: process context.
    unsafe { bindings::scx_abi_set_enabled(false) };
    CALLBACKS_ON.store(false, Ordering::Release);
    // SAFETY: process context; paired right below.
    unsafe { bindings::cpus_read_lock() };
    HOTPLUG_OPS.store(false, Ordering::Relaxed);
    // SAFETY: taken above.
    unsafe { bindings::cpus_read_unlock() };
    // No CPU may still be inside a callback of this scheduler.
    // SAFETY: sleeping allowed.
    unsafe { bindings::synchronize_rcu() };

    if kind >= exit::ERROR {
        pr_err!(
            "BPF scheduler \"{}\" disabled ({})\n",
            o.name(),
            exit::reason(kind)
        );
        if !exit::msg().is_empty() {
            pr_err!("{}: {}\n", o.name(), exit::msg());
        }
        exit::print_backtrace();
    } else {
        pr_info!(
            "BPF scheduler \"{}\" disabled ({})\n",
            o.name(),
            exit::reason(kind)
        );
    }
    o.exit(exit::info());
    crate::watchdog::stop();
    exit::free_dump(&g);

    // SAFETY: process context.
    unsafe { bindings::scx_abi_sysfs_remove_root() };
    dsq::destroy_all();
    idle::disable();
    ops::clear(&mut g);
    set_state(EnableState::Disabled);
    drop(g);
    bypass(false);
}

/// sysrq-S: ends the loaded scheduler with `SCX_EXIT_SYSRQ`.
///
/// Only queues the disable, so it is safe from the interrupt a sysrq key
/// press arrives in.
pub(crate) fn sysrq_reset() {
    if ENABLE_SEQ.load(Ordering::Relaxed) == 0 && state() == EnableState::Disabled {
        pr_info!("BPF scheduler not yet used\n");
        return;
    }
    // After a disable the claim is DONE, and this does nothing.
    exit::request(exit::SYSRQ);
}

/// `bpf_scx_unreg()`: user space closed the link.
pub(crate) fn disable_from_user() {
    exit::request(exit::UNREG);
    exit::flush_disable();
}

/// `scx_fork()`: `ops.init_task()` for a new task.
pub(crate) fn fork(p: &Task) -> i32 {
    if !INIT_TASK_ENABLED.load(Ordering::Relaxed) {
        return 0;
    }
    // SAFETY: a fork holds `scx_fork_rwsem` for reading from scx_pre_fork()
    // on, and saw INIT_TASK_ENABLED under it; the disable path clears that
    // with the lock held for writing, before it clears the table.
    let o = unsafe { ops::get_unchecked() };
    match init_task(o, p, true) {
        Ok(()) => 0,
        Err(e) => e,
    }
}

/// `scx_post_fork()`: the new task is visible; publish it.
pub(crate) fn post_fork(p: &Task) {
    if INIT_TASK_ENABLED.load(Ordering::Relaxed) {
        let g = TaskRqGuard::lock(p);
        set_task_state(g.task(), TaskState::Ready);
        if p.on_ext_class() {
            enable_task(ops::get(g.no_preempt()), g.task());
        }
        drop(g);
    }
    // SAFETY: the node is free (a new task), and we hold the list lock.
    unsafe {
        bindings::scx_helper_tasks_lock();
        crate::list::add_tail(p.tasks_node(), bindings::scx_helper_tasks_list());
        bindings::scx_helper_tasks_unlock();
    }
}

/// `scx_cancel_fork()`: the fork failed after `scx_fork()`.
///
/// Keyed on INIT_TASK_ENABLED, as `fork()` and `post_fork()` are, not on
/// the enabled key: a fork between the two enable walks was initialised
/// while the key was still off, and its task would leak from the scheduler
/// (it never reaches `sched_ext_free()`). The fork holds `scx_fork_rwsem`
/// for reading, so the flag is the one `fork()` saw.
pub(crate) fn cancel_fork(p: &Task) {
    if INIT_TASK_ENABLED.load(Ordering::Relaxed) {
        let g = TaskRqGuard::lock(p);
        if task_state(g.task()) == TaskState::Init {
            exit_task(ops::get(g.no_preempt()), g.task());
        }
        drop(g);
    }
}

/// `sched_ext_free()`: the task's last reference is gone.
///
/// The task is exited before it leaves the list, under the list lock, as
/// the walks handle it: so every task is exited either by the disable walk
/// or here, never here after a disable and another enable ran in between,
/// which would hand it to a scheduler that never saw it.
pub(crate) fn free(p: &Task) {
    let mut flags = 0;
    // SAFETY: paired below; callable in any context.
    unsafe { bindings::scx_helper_tasks_lock_irqsave(&mut flags) };
    // SAFETY: with its last reference gone, only the disable walk, which
    // holds the list lock as we do, and we change the task's state: the
    // other walks skip dying tasks. So it may be read without the rq lock,
    // which most tasks (never on sched_ext) then do not need.
    if task_state(unsafe { TaskScx::assume(p) }) != TaskState::None {
        let g = TaskRqGuard::lock(p);
        exit_task(ops::get(g.no_preempt()), g.task());
        drop(g);
    }
    // SAFETY: we hold the list lock, which protects the node.
    unsafe {
        crate::list::del_init(p.tasks_node());
        bindings::scx_helper_tasks_unlock_irqrestore(flags);
    }
}

/// `switching_to_scx()`.
///
/// The scheduler learns the task's affinity here even in bypass mode, which
/// every task switched in at load is in: it has no other occasion to.
pub(crate) fn switching_to(o: Ops<'_>, p: TaskScx<'_>) {
    enable_task(o, p);
    o.set_cpumask(&p, p.cpus_ptr());
}

/// `switched_from_scx()`.
pub(crate) fn switched_from(o: Ops<'_>, p: TaskScx<'_>) {
    disable_task(o, p);
}

/// `scx_rq_activate()` / `scx_rq_deactivate()`: a CPU comes or goes.
///
/// Events reach the scheduler from its `ops.init()` on, also while it is
/// still being enabled: the enable path checked `hotplug_seq` right after
/// `ops.init()`, under the hotplug lock, so from there on it relies on them.
pub(crate) fn hotplug(cpu: Cpu, online: bool) {
    HOTPLUG_SEQ.fetch_add(1, Ordering::Relaxed);
    if !HOTPLUG_OPS.load(Ordering::Relaxed) {
        // A scheduler being enabled that has not reached ops.init() yet
        // cannot learn of this event, and may have counted the CPU wrongly:
        // end it with a request to restart, as the C core does. With no
        // scheduler, or one on its way out, the claim does nothing.
        if state() == EnableState::Enabling {
            hotplug_exit(cpu, online);
        }
        return;
    }
    // SAFETY: hotplug callbacks run with the CPU hotplug lock held for
    // writing, and HOTPLUG_OPS is cleared under it before `ops::clear()`,
    // which takes it for reading before it frees the table it unpublished.
    let o = unsafe { ops::get_unchecked() };
    let called = if online {
        o.cpu_online(cpu.id())
    } else {
        o.cpu_offline(cpu.id())
    };
    if called.is_none() {
        hotplug_exit(cpu, online);
    }
}

/// Ends the scheduler for a hotplug event it cannot handle, asking its
/// loader to restart it.
fn hotplug_exit(cpu: Cpu, online: bool) {
    exit::raise(
        exit::UNREG_KERN,
        (bindings::SCX_ECODE_ACT_RESTART | bindings::SCX_ECODE_RSN_HOTPLUG) as i64,
        format_args!(
            "cpu {} going {}, exiting scheduler",
            cpu.id(),
            if online { "online" } else { "offline" }
        ),
    );
}

/// `scx_check_setscheduler()`.
pub(crate) fn check_setscheduler(p: TaskScx<'_>, policy: u32) -> i32 {
    if crate::scx_enabled() && p.disallow() && p.policy() != policy && policy == bindings::SCHED_EXT
    {
        EACCES.to_errno()
    } else {
        0
    }
}
