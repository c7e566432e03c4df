// SPDX-License-Identifier: GPL-2.0

//! Cgroup support (`CONFIG_EXT_GROUP_SCHED`): the `ops.cgroup_*()`
//! callbacks, the task group hooks of kernel/sched/ext.h, and
//! `scx_bpf_task_cgroup()`.
//!
//! The BPF scheduler sees cgroups where the core scheduler has task groups.
//! A task group belongs to a cgroup of the cpu controller or to an
//! autogroup; an autogroup, like a task outside any group, counts as the
//! root cgroup ([`cgroup_of`]).
//!
//! `scx_cgroup_rwsem` (helpers.c) orders the hooks against loading and
//! unloading a scheduler. The hooks hold it for reading ([`ReadLocked`]),
//! a migration from `can_attach` until `finish_attach` or `cancel_attach`.
//! The enable path holds it for writing ([`WriteLocked`]) from the walk
//! that runs `ops.cgroup_init()` on every online group until every task
//! has been through `ops.init_task()`, so no group comes online unseen and
//! no migration meets a task the scheduler does not know yet. The disable
//! path holds it for writing while it runs `ops.cgroup_exit()`, before it
//! exits any task.

use crate::bindings;
use crate::enable;
use crate::kf::{self, KfMask};
use crate::ops::{self, Ops};
use crate::task::Task;
use core::marker::PhantomData;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::prelude::*;

const TG_ONLINE: u32 = bindings::SCX_TG_ONLINE;
const TG_INITED: u32 = bindings::SCX_TG_INITED;

/// Whether the loaded scheduler's cgroup support is up: every online task
/// group has been through `ops.cgroup_init()`, and every one that comes
/// online will be.
///
/// # Invariants
///
/// Changes only with `scx_cgroup_rwsem` held for writing; it is true only
/// between [`init`] and [`exit`], both of which the enable and disable
/// paths run while the scheduler's table is installed.
static ENABLED: AtomicBool = AtomicBool::new(false);

/// The warnings for a scheduler that ignores `cpu.weight` or `cpu.idle`
/// are printed once per scheduler.
static WARNED_WEIGHT: AtomicBool = AtomicBool::new(false);
static WARNED_IDLE: AtomicBool = AtomicBool::new(false);
static WARNED_TRYGET: AtomicBool = AtomicBool::new(false);

/// `scx_cgroup_rwsem` held for writing.
///
/// # Invariants
///
/// The lock is held for as long as this value exists.
#[must_use]
pub(crate) struct WriteLocked(PhantomData<*mut ()>);

impl WriteLocked {
    /// Takes the lock. May sleep.
    pub(crate) fn lock() -> Self {
        // SAFETY: process context; released in `drop`.
        unsafe { bindings::scx_helper_cgroup_write_lock() };
        // INVARIANT: taken just above.
        WriteLocked(PhantomData)
    }
}

impl Drop for WriteLocked {
    fn drop(&mut self) {
        // SAFETY: held, by the type invariant.
        unsafe { bindings::scx_helper_cgroup_write_unlock() };
    }
}

/// `scx_cgroup_rwsem` held for reading.
///
/// # Invariants
///
/// The lock is held for reading for as long as this value exists.
#[must_use]
struct ReadLocked(PhantomData<*mut ()>);

impl ReadLocked {
    fn lock() -> Self {
        // SAFETY: process context; released in `drop`, or handed over to
        // `scx_cgroup_finish_attach()`/`scx_cgroup_cancel_attach()`.
        unsafe { bindings::scx_helper_cgroup_read_lock() };
        // INVARIANT: taken just above.
        ReadLocked(PhantomData)
    }

    /// Takes over the read lock that `scx_cgroup_can_attach()` kept.
    ///
    /// # Safety
    ///
    /// The caller must be the migration that `scx_cgroup_can_attach()`
    /// returned 0 to, and must not have released the lock yet.
    unsafe fn adopt() -> Self {
        // INVARIANT: the lock is held, by the caller's guarantee.
        ReadLocked(PhantomData)
    }

    /// Keeps the lock past the end of this value, for the migration that
    /// [`Self::adopt`] ends.
    fn keep(self) {
        core::mem::forget(self);
    }

    /// The scheduler's table, if its cgroup support is up.
    fn ops(&self) -> Option<Ops<'_>> {
        if !ENABLED.load(Ordering::Relaxed) {
            return None;
        }
        // SAFETY: `ENABLED` is true, and cannot become false while we hold
        // the read lock; `ops::clear()` runs only after `exit()` cleared it
        // (type invariant of `ENABLED`).
        Some(unsafe { ops::get_unchecked() })
    }
}

impl Drop for ReadLocked {
    fn drop(&mut self) {
        // SAFETY: held, by the type invariant.
        unsafe { bindings::scx_helper_cgroup_read_unlock() };
    }
}

/// A task group, with the fields sched_ext keeps in it.
///
/// # Invariants
///
/// Points to a task group that stays allocated for `'a`. Its `scx_flags`
/// are written only by the group's online and offline hooks, which the
/// cgroup core serialises with `cgroup_mutex`, and by [`init`] and
/// [`exit`], which exclude those hooks through `scx_cgroup_rwsem`.
#[derive(Clone, Copy)]
struct Tg<'a>(NonNull<bindings::task_group>, PhantomData<&'a ()>);

impl<'a> Tg<'a> {
    /// # Safety
    ///
    /// `tg` must be a task group that stays allocated for `'a`.
    unsafe fn from_raw(tg: *mut bindings::task_group) -> Option<Tg<'a>> {
        // INVARIANT: by the caller's guarantee.
        NonNull::new(tg).map(|tg| Tg(tg, PhantomData))
    }

    fn as_ptr(self) -> *mut bindings::task_group {
        self.0.as_ptr()
    }

    /// Whether this is the root group.
    fn is_root(self) -> bool {
        // SAFETY: a live group; `css.parent` is set before the group is
        // visible and never changes.
        unsafe { (*self.as_ptr()).css.parent.is_null() }
    }

    fn flags(self) -> u32 {
        // SAFETY: a live group; see the type invariant for the writers.
        unsafe { (*self.as_ptr()).scx_flags }
    }

    fn set_flags(self, flags: u32) {
        // SAFETY: as in `flags`; the caller is one of the writers.
        unsafe { (*self.as_ptr()).scx_flags = flags }
    }

    /// The group's `cpu.weight`. Written under the read lock by
    /// `scx_group_set_weight()`, so read and written once per access.
    fn weight(self) -> u32 {
        // SAFETY: a live group.
        unsafe { core::ptr::read_volatile(core::ptr::addr_of!((*self.as_ptr()).scx_weight)) }
    }

    fn set_weight(self, weight: u32) {
        // SAFETY: a live group.
        unsafe {
            core::ptr::write_volatile(core::ptr::addr_of_mut!((*self.as_ptr()).scx_weight), weight)
        }
    }

    /// The group's `cpu.idle`, read once: the fair class writes it.
    fn idle(self) -> bool {
        // SAFETY: a live group.
        unsafe { core::ptr::read_volatile(core::ptr::addr_of!((*self.as_ptr()).idle)) != 0 }
    }

    fn cgroup(self) -> *mut bindings::cgroup {
        cgroup_of(Some(self))
    }
}

/// The cgroup the BPF scheduler sees for the task group `tg`: its own for
/// a cgroup's group, the root cgroup for an autogroup or no group.
fn cgroup_of(tg: Option<Tg<'_>>) -> *mut bindings::cgroup {
    if let Some(tg) = tg {
        // SAFETY: `tg` is live (type invariant); `css.cgroup` is set before
        // the group is visible and never changes, and stays NULL for an
        // autogroup.
        let cgrp = unsafe { (*tg.as_ptr()).css.cgroup };
        if !cgrp.is_null() {
            return cgrp;
        }
    }
    // SAFETY: the root cgroup is static.
    unsafe { bindings::scx_helper_dfl_root_cgroup() }
}

/// The task group of `p`.
///
/// # Safety
///
/// The caller must keep `p`'s group from changing: hold its rq lock or
/// `p->pi_lock`, be in a migration of it, or be forking it.
unsafe fn task_tg<'a>(p: &'a Task) -> Option<Tg<'a>> {
    // SAFETY: a group outlives the tasks in it, and `p`'s stays its group
    // by the caller's guarantee.
    unsafe { Tg::from_raw(p.task_group()) }
}

fn warn_missing_weight(o: Ops<'_>, tg: Tg<'_>) {
    if o.has_flag(bindings::SCX_OPS_HAS_CGROUP_WEIGHT as u64) || tg.is_root() {
        return;
    }
    if !WARNED_WEIGHT.swap(true, Ordering::Relaxed) {
        pr_warn!("\"{}\" does not implement cgroup cpu.weight\n", o.name());
    }
}

fn warn_missing_idle(o: Ops<'_>, tg: Tg<'_>) {
    if tg.idle() && !WARNED_IDLE.swap(true, Ordering::Relaxed) {
        pr_warn!("\"{}\" does not implement cgroup cpu.idle\n", o.name());
    }
}

/// The order of a walk over every task group.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Walk {
    /// Parents before their children.
    ParentsFirst,
    /// Children before their parents.
    ChildrenFirst,
}

/// Walks every task group in `order`.
///
/// `pick` sees each group under RCU and says whether `call` must run for
/// it; it is where the group's flags are read and changed, so that a group
/// that is going away is treated as any other. `call` runs without RCU, as
/// it may sleep (the `ops.cgroup_*()` callbacks), with a reference held on
/// the group. The walk stops at the first error `call` returns.
fn for_each_tg(
    order: Walk,
    mut pick: impl FnMut(Tg<'_>) -> bool,
    mut call: impl FnMut(Tg<'_>) -> core::result::Result<(), i32>,
) -> core::result::Result<(), i32> {
    // SAFETY: the root task group is static.
    let root = unsafe { core::ptr::addr_of_mut!((*bindings::scx_helper_root_task_group()).css) };
    // SAFETY: paired below; the walk needs RCU.
    unsafe { bindings::scx_helper_rcu_read_lock() };
    let mut pos: *mut bindings::cgroup_subsys_state = core::ptr::null_mut();
    let mut ret = Ok(());
    loop {
        // SAFETY: under RCU, `pos` is NULL or the last position, which RCU
        // or the reference held across `call` kept alive.
        pos = unsafe {
            match order {
                Walk::ChildrenFirst => bindings::css_next_descendant_post(pos, root),
                Walk::ParentsFirst => bindings::css_next_descendant_pre(pos, root),
            }
        };
        if pos.is_null() {
            break;
        }
        // SAFETY: every css of the cpu controller is the `css` of a task
        // group, which RCU keeps allocated until we unlock it.
        let tg = unsafe {
            Tg::from_raw(kernel::container_of!(pos, bindings::task_group, css).cast_mut())
        };
        let Some(tg) = tg else { break };
        if !pick(tg) {
            continue;
        }
        // `call` may sleep: hold the group with a reference instead of RCU.
        // Only a group being removed refuses one, and only a group that is
        // neither online nor initialised gets here while being removed
        // (the hooks that change that exclude us): the C core warns too.
        // SAFETY: `pos` is valid under RCU.
        if !unsafe { bindings::scx_helper_css_tryget(pos) } {
            if !WARNED_TRYGET.swap(true, Ordering::Relaxed) {
                crate::warn!("a task group went away during the cgroup walk");
            }
            continue;
        }
        // SAFETY: taken above; retaken before `pos` is used again.
        unsafe { bindings::scx_helper_rcu_read_unlock() };
        let r = call(tg);
        // SAFETY: as above; the reference kept `pos` valid for the walk to
        // go on from it once RCU protects it again.
        unsafe {
            bindings::scx_helper_rcu_read_lock();
            bindings::scx_helper_css_put(pos);
        }
        if r.is_err() {
            ret = r;
            break;
        }
    }
    // SAFETY: taken above.
    unsafe { bindings::scx_helper_rcu_read_unlock() };
    ret
}

/// Brings up the scheduler's cgroup support: `ops.cgroup_init()` for every
/// online task group, parents first.
pub(crate) fn init(o: Ops<'_>, _w: &WriteLocked) -> core::result::Result<(), i32> {
    WARNED_WEIGHT.store(false, Ordering::Relaxed);
    WARNED_IDLE.store(false, Ordering::Relaxed);
    let has_init = o.table().cgroup_init.is_some();
    for_each_tg(
        Walk::ParentsFirst,
        |tg| {
            warn_missing_weight(o, tg);
            if tg.flags() & (TG_ONLINE | TG_INITED) != TG_ONLINE {
                return false;
            }
            if !has_init {
                tg.set_flags(tg.flags() | TG_INITED);
            }
            has_init
        },
        |tg| {
            let ret = call_cgroup_init(o, tg);
            if ret != 0 {
                crate::scx_error!("ops.cgroup_init() failed ({})", ret);
                return Err(ret);
            }
            tg.set_flags(tg.flags() | TG_INITED);
            Ok(())
        },
    )?;
    if ENABLED.swap(true, Ordering::Relaxed) {
        crate::warn!("cgroup support brought up twice");
    }
    Ok(())
}

/// Tears the scheduler's cgroup support down: `ops.cgroup_exit()` for
/// every group [`init`] or an online hook initialised, children first.
pub(crate) fn exit(o: Ops<'_>, _w: &WriteLocked) {
    ENABLED.store(false, Ordering::Relaxed);
    let has_exit = o.table().cgroup_exit.is_some();
    // `call` never fails.
    let _ = for_each_tg(
        Walk::ChildrenFirst,
        |tg| {
            if tg.flags() & TG_INITED == 0 {
                return false;
            }
            tg.set_flags(tg.flags() & !TG_INITED);
            has_exit
        },
        |tg| {
            o.cgroup_exit(tg.cgroup());
            Ok(())
        },
    );
}

/// `ops.cgroup_init()` for `tg`, with its weight; 0 if the scheduler does
/// not implement it.
fn call_cgroup_init(o: Ops<'_>, tg: Tg<'_>) -> i32 {
    // SAFETY: zeroed is a valid `scx_cgroup_init_args`.
    let mut args: bindings::scx_cgroup_init_args = unsafe { core::mem::zeroed() };
    args.weight = tg.weight();
    o.cgroup_init(tg.cgroup(), &mut args).unwrap_or(0)
}

/// The cgroup the BPF scheduler sees `p` in: `ops.init_task()`'s `cgroup`
/// argument, `scx_bpf_task_cgroup()`, and both ends of a migration.
///
/// # Safety
///
/// As for [`task_tg`].
pub(crate) unsafe fn task_cgroup(p: &Task) -> *mut bindings::cgroup {
    // SAFETY: by the caller's guarantee.
    cgroup_of(unsafe { task_tg(p) })
}

/// # Safety
///
/// `tg` is a task group being created, not yet visible to anyone else.
#[no_mangle]
unsafe extern "C" fn scx_tg_init(tg: *mut bindings::task_group) {
    // SAFETY: by the caller's guarantee.
    if let Some(tg) = unsafe { Tg::from_raw(tg) } {
        tg.set_weight(bindings::CGROUP_WEIGHT_DFL);
    }
}

/// # Safety
///
/// `tg` is a task group coming online, under `cgroup_mutex`.
#[no_mangle]
unsafe extern "C" fn scx_tg_online(tg: *mut bindings::task_group) -> i32 {
    // SAFETY: by the caller's guarantee; the group outlives its online
    // state.
    let Some(tg) = (unsafe { Tg::from_raw(tg) }) else {
        return 0;
    };
    if tg.flags() & (TG_ONLINE | TG_INITED) != 0 {
        crate::warn!("task group onlined twice");
    }
    let r = ReadLocked::lock();
    let Some(o) = r.ops() else {
        // No scheduler, or its cgroup support is not up yet: `init` will
        // see the group online.
        tg.set_flags(tg.flags() | TG_ONLINE);
        return 0;
    };
    warn_missing_weight(o, tg);
    let ret = call_cgroup_init(o, tg);
    if ret != 0 {
        // The cgroup core fails the mkdir with this error.
        return enable::sanitize_err("cgroup_init", ret);
    }
    tg.set_flags(tg.flags() | TG_ONLINE | TG_INITED);
    0
}

/// # Safety
///
/// `tg` is an online task group going offline, under `cgroup_mutex`.
#[no_mangle]
unsafe extern "C" fn scx_tg_offline(tg: *mut bindings::task_group) {
    // SAFETY: by the caller's guarantee.
    let Some(tg) = (unsafe { Tg::from_raw(tg) }) else {
        return;
    };
    if tg.flags() & TG_ONLINE == 0 {
        crate::warn!("offlining a task group that is not online");
    }
    let r = ReadLocked::lock();
    // A group the scheduler initialised is exited here, or by `exit` if
    // the scheduler's cgroup support goes first. INITED is set only while
    // a scheduler's table is installed, and `exit` clears it under the
    // write lock before the table can go: with the read lock held, it
    // proves the table is still there, also after a load that failed
    // half-way through `init`, before `ENABLED` was set.
    if tg.flags() & TG_INITED != 0 {
        // SAFETY: see above.
        let o = unsafe { ops::get_unchecked() };
        o.cgroup_exit(tg.cgroup());
    }
    tg.set_flags(tg.flags() & !(TG_ONLINE | TG_INITED));
    drop(r);
}

/// Iterates the tasks of a migration and the css each one moves to.
///
/// # Safety
///
/// `tset` must be the taskset of a migration in progress, which keeps its
/// tasks and destination groups alive.
unsafe fn for_each_in_tset(
    tset: *mut bindings::cgroup_taskset,
    mut f: impl FnMut(&Task, Tg<'_>) -> core::result::Result<(), i32>,
) -> core::result::Result<(), i32> {
    let mut css: *mut bindings::cgroup_subsys_state = core::ptr::null_mut();
    // SAFETY: `tset` is valid by the caller's guarantee.
    let mut p = unsafe { bindings::cgroup_taskset_first(tset, &mut css) };
    while !p.is_null() {
        // SAFETY: the migration keeps `p` and the group of `css`, the
        // cpu controller's state of the destination, alive.
        let (task, to) = unsafe {
            (
                Task::from_raw(p),
                Tg::from_raw(kernel::container_of!(css, bindings::task_group, css).cast_mut()),
            )
        };
        if let Some(to) = to {
            f(task, to)?;
        }
        // SAFETY: as above.
        p = unsafe { bindings::cgroup_taskset_next(tset, &mut css) };
    }
    Ok(())
}

/// `ops.cgroup_cancel_move()` for every task of `tset` whose move was
/// prepared, and forgets the preparation.
///
/// # Safety
///
/// As for [`for_each_in_tset`].
unsafe fn cancel_moves(o: Ops<'_>, tset: *mut bindings::cgroup_taskset) {
    // SAFETY: by the caller's guarantee. The closure never fails.
    let _ = unsafe {
        for_each_in_tset(tset, |p, to| {
            let from = p.cgrp_moving_from();
            if !from.is_null() {
                o.cgroup_cancel_move(p, from, to.cgroup());
            }
            p.set_cgrp_moving_from(core::ptr::null_mut());
            Ok(())
        })
    };
}

/// # Safety
///
/// `tset` is the taskset of a migration the cgroup core is preparing.
#[no_mangle]
unsafe extern "C" fn scx_cgroup_can_attach(tset: *mut bindings::cgroup_taskset) -> i32 {
    // Held until scx_cgroup_finish_attach() or scx_cgroup_cancel_attach(),
    // so that the scheduler cannot go away between ops.cgroup_prep_move()
    // and ops.cgroup_move() or ops.cgroup_cancel_move().
    let r = ReadLocked::lock();
    let Some(o) = r.ops() else {
        r.keep();
        return 0;
    };
    let prep = |p: &Task, to: Tg<'_>| {
        // SAFETY: the migration holds `cgroup_threadgroup_rwsem`, so no
        // task of it changes its group meanwhile.
        let from = unsafe { task_cgroup(p) };
        if !p.cgrp_moving_from().is_null() {
            crate::warn!(
                "{}[{}] is already moving between cgroups",
                p.comm(),
                p.pid()
            );
        }
        // sched_move_task() skips a task whose cgroup stays the same; so
        // do we, so that every ops.cgroup_prep_move() has exactly one
        // ops.cgroup_move() or ops.cgroup_cancel_move().
        let to = to.cgroup();
        if from == to {
            return Ok(());
        }
        if let Some(ret) = o.cgroup_prep_move(p, from, to) {
            if ret != 0 {
                return Err(ret);
            }
        }
        p.set_cgrp_moving_from(from);
        Ok(())
    };
    // SAFETY: by the caller's guarantee.
    let res = unsafe { for_each_in_tset(tset, prep) };
    match res {
        Ok(()) => {
            r.keep();
            0
        }
        Err(ret) => {
            // SAFETY: the same migration.
            unsafe { cancel_moves(o, tset) };
            drop(r);
            enable::sanitize_err("cgroup_prep_move", ret)
        }
    }
}

/// # Safety
///
/// `p` is a task the migration that `scx_cgroup_can_attach()` accepted has
/// just moved, with its rq locked.
#[no_mangle]
unsafe extern "C" fn scx_cgroup_move_task(p: *mut bindings::task_struct) {
    // SAFETY: by the caller's guarantee.
    let p = unsafe { Task::from_raw(p) };
    // SAFETY: the lock this migration holds (see scx_cgroup_can_attach()),
    // borrowed for this call; it stays held after.
    let r = unsafe { ReadLocked::adopt() };
    if let Some(o) = r.ops() {
        // can_attach() set `cgrp_moving_from` only for a task whose cgroup
        // changes; the core may still call us for the others, as it moves
        // tasks by css. Nothing to tell the scheduler about those.
        let from = p.cgrp_moving_from();
        if !from.is_null() {
            // SAFETY: the rq lock of `p` is held.
            let to = unsafe { task_cgroup(p) };
            o.cgroup_move(p, from, to);
        }
        p.set_cgrp_moving_from(core::ptr::null_mut());
    }
    r.keep();
}

/// # Safety
///
/// Called once, at the end of a migration that `scx_cgroup_can_attach()`
/// accepted.
#[no_mangle]
unsafe extern "C" fn scx_cgroup_finish_attach() {
    // SAFETY: by the caller's guarantee.
    drop(unsafe { ReadLocked::adopt() });
}

/// # Safety
///
/// `tset` is the taskset of a migration that `scx_cgroup_can_attach()`
/// accepted and that is being abandoned.
#[no_mangle]
unsafe extern "C" fn scx_cgroup_cancel_attach(tset: *mut bindings::cgroup_taskset) {
    // SAFETY: by the caller's guarantee.
    let r = unsafe { ReadLocked::adopt() };
    if let Some(o) = r.ops() {
        // SAFETY: by the caller's guarantee.
        unsafe { cancel_moves(o, tset) };
    }
    drop(r);
}

/// # Safety
///
/// `tg` is a live task group whose `cpu.weight` is being written.
#[no_mangle]
unsafe extern "C" fn scx_group_set_weight(
    tg: *mut bindings::task_group,
    weight: kernel::ffi::c_ulong,
) {
    // SAFETY: by the caller's guarantee.
    let Some(tg) = (unsafe { Tg::from_raw(tg) }) else {
        return;
    };
    let weight = weight as u32;
    let r = ReadLocked::lock();
    if let Some(o) = r.ops() {
        if tg.weight() != weight {
            o.cgroup_set_weight(tg.cgroup(), weight);
        }
    }
    tg.set_weight(weight);
    drop(r);
}

/// # Safety
///
/// `tg` is a live task group whose `cpu.idle` was just written.
#[no_mangle]
unsafe extern "C" fn scx_group_set_idle(tg: *mut bindings::task_group, _idle: bool) {
    // SAFETY: by the caller's guarantee.
    let Some(tg) = (unsafe { Tg::from_raw(tg) }) else {
        return;
    };
    let r = ReadLocked::lock();
    if let Some(o) = r.ops() {
        warn_missing_idle(o, tg);
    }
    drop(r);
}

/// `scx_bpf_task_cgroup()`: the cgroup `p` is scheduled in, with a
/// reference for the caller.
///
/// Only for a task the running callback operates on: its rq is locked, so
/// its group is stable for the whole callback. On any other task the
/// scheduler is ejected, and the root cgroup is returned.
///
/// # Safety
///
/// `p` is a task pointer the verifier vouches for (`KF_RCU`): valid for
/// the duration of the call.
#[no_mangle]
unsafe extern "C" fn scx_rs_bpf_task_cgroup(
    p: *mut bindings::task_struct,
) -> *mut bindings::cgroup {
    // SAFETY: by the caller's guarantee.
    let p = unsafe { Task::from_raw(p) };
    let cgrp = if kf::allowed_on_arg_tasks(KfMask::RQ_LOCKED, p) {
        // SAFETY: `p` is an argument of the running callback, which holds
        // its rq lock, or its `pi_lock` for `ops.select_cpu()`: either
        // keeps its group from changing.
        unsafe { task_cgroup(p) }
    } else {
        cgroup_of(None)
    };
    // SAFETY: `cgrp` is live: `p`'s group holds it, or it is the root.
    unsafe { bindings::scx_helper_cgroup_get(cgrp) };
    cgrp
}

crate::bindings::check_prototypes! {
    scx_tg_init,
    scx_tg_online,
    scx_tg_offline,
    scx_cgroup_can_attach,
    scx_cgroup_move_task,
    scx_cgroup_finish_attach,
    scx_cgroup_cancel_attach,
    scx_group_set_weight,
    scx_group_set_idle,
    scx_rs_bpf_task_cgroup,
}
