// SPDX-License-Identifier: GPL-2.0

//! Dispatch queues (DSQs).
//!
//! A DSQ holds runnable tasks in the order they should run. Three kinds
//! exist, and all three are a C `struct scx_dispatch_q`:
//!
//! - each CPU's local DSQ, embedded in its rq and protected by the rq lock;
//!   a CPU only ever runs tasks from its own local DSQ;
//! - the global DSQ, which any CPU consumes from when its local DSQ is empty;
//! - DSQs the BPF scheduler creates by id with `scx_bpf_create_dsq()`, kept
//!   in [`UserDsqs`] and consumed with `scx_bpf_consume()`.
//!
//! The global and user DSQs have their own raw spinlock, taken inside rq
//! locks. A DSQ is either FIFO (tasks queued at the tail, or the head with
//! `SCX_ENQ_HEAD`) or ordered by `p->scx.dsq_vtime`; mixing both on one DSQ
//! is a BPF scheduler error. A vtime-ordered DSQ keeps its tasks both in an
//! rbtree, for insertion, and in the list, in vtime order, so that consumers
//! and iterators only ever walk the list.

use crate::bindings;
use crate::pcpu::{NoPreempt, PreemptGuard};
use crate::rq::Cpu;
use crate::rq::RqLocked;
use crate::task::{Task, TaskOwner, TaskScx};
use core::cell::UnsafeCell;
use core::marker::PhantomData;
use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::prelude::*;
use kernel::rbtree::{RBTree, RBTreeNode};
use kernel::types::Opaque;

/// `SCX_DSQ_FLAG_BUILTIN`: ids of the DSQs the core provides.
pub(crate) const FLAG_BUILTIN: u64 = bindings::SCX_DSQ_FLAG_BUILTIN as u64;
/// `SCX_DSQ_FLAG_LOCAL_ON`: `SCX_DSQ_LOCAL_ON | cpu` names a CPU's local DSQ.
pub(crate) const FLAG_LOCAL_ON: u64 = bindings::SCX_DSQ_FLAG_LOCAL_ON as u64;
/// `SCX_DSQ_INVALID`.
pub(crate) const INVALID: u64 = bindings::SCX_DSQ_INVALID as u64;
/// `SCX_DSQ_GLOBAL`.
pub(crate) const GLOBAL: u64 = bindings::SCX_DSQ_GLOBAL as u64;
/// `SCX_DSQ_LOCAL`.
pub(crate) const LOCAL: u64 = bindings::SCX_DSQ_LOCAL as u64;
/// `SCX_DSQ_LOCAL_CPU_MASK`.
pub(crate) const LOCAL_CPU_MASK: u64 = bindings::SCX_DSQ_LOCAL_CPU_MASK as u64;

const ON_PRIQ: u32 = bindings::SCX_TASK_DSQ_ON_PRIQ;
const ITER_CURSOR: u32 = bindings::SCX_DSQ_LNODE_ITER_CURSOR;

/// Where [`DsqQueue::push`] puts a task.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Order {
    /// At the tail: FIFO.
    Tail,
    /// At the head: runs next.
    Head,
    /// Before every task with a later `dsq_vtime`.
    Vtime,
}

/// Returns whether vtime `a` is before `b`, with wraparound.
pub(crate) fn vtime_before(a: u64, b: u64) -> bool {
    (a.wrapping_sub(b) as i64) < 0
}

/// A `struct scx_dispatch_q`.
#[repr(transparent)]
pub(crate) struct Dsq(Opaque<bindings::scx_dispatch_q>);

// SAFETY: DSQs are shared between CPUs; their queues are only accessed
// through `DsqQueue`, which requires the lock that protects them.
unsafe impl Sync for Dsq {}

impl Dsq {
    /// Borrows the DSQ at `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` must point to an initialised DSQ that outlives `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::scx_dispatch_q) -> &'a Dsq {
        // SAFETY: `Dsq` is transparent.
        unsafe { &*(ptr as *const Dsq) }
    }

    /// Initialises the DSQ at `ptr` as an empty queue with `id`.
    ///
    /// # Safety
    ///
    /// `ptr` must be valid for writes and not in use.
    pub(crate) unsafe fn init(ptr: *mut bindings::scx_dispatch_q, id: u64) {
        // SAFETY: the caller gives us exclusive access to `*ptr`.
        unsafe {
            ptr::write_bytes(ptr, 0, 1);
            bindings::scx_helper_raw_spin_lock_init(ptr::addr_of_mut!((*ptr).lock));
            crate::list::init(ptr::addr_of_mut!((*ptr).list));
            (*ptr).id = id;
        }
    }

    /// The C pointer.
    pub(crate) fn as_ptr(&self) -> *mut bindings::scx_dispatch_q {
        self.0.get()
    }

    /// The DSQ's id; `SCX_DSQ_INVALID` once destroyed.
    pub(crate) fn id(&self) -> u64 {
        // SAFETY: `id` only changes under the DSQ lock, and a racy read only
        // misses a concurrent destruction, which callers recheck under it.
        unsafe { ptr::read_volatile(ptr::addr_of!((*self.as_ptr()).id)) }
    }

    /// The number of queued tasks. Racy without the lock, like `READ_ONCE()`.
    pub(crate) fn nr(&self) -> u32 {
        // SAFETY: word-sized read; writers use `set_nr()`.
        unsafe { ptr::read_volatile(ptr::addr_of!((*self.as_ptr()).nr)) }
    }

    /// Whether this is a CPU's local DSQ.
    pub(crate) fn is_local(&self) -> bool {
        self.id() == LOCAL
    }

    /// Takes the DSQ's own lock. Not for local DSQs, which the rq lock
    /// protects.
    ///
    /// Not a `kernel::sync::SpinLock`: that one owns its data and wraps a
    /// `spinlock_t`, while this is the `raw_spinlock_t` embedded in the C
    /// `struct scx_dispatch_q`, which BPF iterators and the C side see.
    pub(crate) fn lock(&self) -> DsqGuard<'_> {
        // SAFETY: the DSQ is initialised, so its lock is.
        unsafe { raw_lock::lock(self.lock_ptr()) };
        // INVARIANT: we hold the lock until the guard drops.
        DsqGuard {
            q: DsqQueue { dsq: self },
            irq_flags: None,
            _not_send: PhantomData,
        }
    }

    /// Takes the DSQ's own lock with interrupts disabled, for a caller
    /// that may run with them on (a BPF iterator in any program): the core
    /// takes DSQ locks under rq locks, from interrupts too.
    pub(crate) fn lock_irqsave(&self) -> DsqGuard<'_> {
        // SAFETY: the DSQ is initialised, so its lock is.
        let flags = unsafe { raw_lock::lock_irqsave(self.lock_ptr()) };
        // INVARIANT: we hold the lock until the guard drops.
        DsqGuard {
            q: DsqQueue { dsq: self },
            irq_flags: Some(flags),
            _not_send: PhantomData,
        }
    }

    fn lock_ptr(&self) -> *mut bindings::raw_spinlock_t {
        // SAFETY: field address computation.
        unsafe { ptr::addr_of_mut!((*self.as_ptr()).lock) }
    }
}

impl RqLocked {
    /// The queue of this rq's local DSQ, which the rq lock protects.
    pub(crate) fn local_queue(&self) -> DsqQueue<'_> {
        // INVARIANT: we hold the rq lock, which protects the local DSQ.
        DsqQueue {
            dsq: self.rq().local_dsq(),
        }
    }
}

/// The list node of `p` in a DSQ.
///
/// A C `list_head`, not a `kernel::list` link: the node is part of
/// `task_struct` and the DSQ list is walked by the BPF DSQ iterator.
fn list_node(p: &Task) -> *mut bindings::list_head {
    // SAFETY: field address computation on a live task.
    unsafe { ptr::addr_of_mut!((*p.entity()).dsq_list.node) }
}

/// The rbtree node of `p` in a vtime-ordered DSQ.
///
/// Not a `kernel::rbtree` node, which the tree allocates and owns: this one
/// is embedded in `task_struct` (the user DSQ table does use `RBTree`).
fn rb_node(p: &Task) -> *mut bindings::rb_node {
    // SAFETY: field address computation on a live task.
    unsafe { ptr::addr_of_mut!((*p.entity()).dsq_priq) }
}

/// The task whose DSQ list node is `node`, or `None` for an iterator cursor.
///
/// # Safety
///
/// `node` must be a node in a DSQ list, which keeps its task alive.
unsafe fn task_of_list_node<'a>(node: *mut bindings::list_head) -> Option<&'a Task> {
    let off = core::mem::offset_of!(bindings::sched_ext_entity, dsq_list)
        + core::mem::offset_of!(bindings::scx_dsq_list_node, node);
    let lnode = (node as *mut u8)
        .wrapping_sub(core::mem::offset_of!(bindings::scx_dsq_list_node, node))
        as *mut bindings::scx_dsq_list_node;
    // SAFETY: `node` is inside a `scx_dsq_list_node` by the caller's guarantee.
    // A cursor's owner updates its other flags without the DSQ lock; the
    // cursor bit itself never changes while the node is on a list.
    if unsafe { ptr::read_volatile(ptr::addr_of!((*lnode).flags)) } & ITER_CURSOR != 0 {
        return None;
    }
    // SAFETY: a non-cursor node is inside a task's entity.
    Some(unsafe {
        Task::from_entity((node as *mut u8).sub(off) as *mut bindings::sched_ext_entity)
    })
}

/// The task whose rbtree node is `node`.
///
/// # Safety
///
/// `node` must be in a DSQ's rbtree.
unsafe fn task_of_rb_node<'a>(node: *mut bindings::rb_node) -> &'a Task {
    let off = core::mem::offset_of!(bindings::sched_ext_entity, dsq_priq);
    // SAFETY: rbtree nodes of DSQs are always inside task entities.
    unsafe { Task::from_entity((node as *mut u8).sub(off) as *mut bindings::sched_ext_entity) }
}

/// Exclusive access to the queue of a DSQ.
///
/// # Invariants
///
/// The lock that protects the queue is held: the DSQ's own lock, or for a
/// local DSQ the lock of its rq.
pub(crate) struct DsqQueue<'a> {
    dsq: &'a Dsq,
}

impl<'a> DsqQueue<'a> {
    fn raw(&self) -> *mut bindings::scx_dispatch_q {
        self.dsq.as_ptr()
    }

    fn set_nr(&self, nr: u32) {
        // SAFETY: we hold the lock; lockless readers use `Dsq::nr()`.
        unsafe { ptr::write_volatile(ptr::addr_of_mut!((*self.raw()).nr), nr) }
    }

    /// Marks the DSQ destroyed: later dispatches to it are redirected.
    pub(crate) fn set_destroyed(&self) {
        // SAFETY: we hold the lock, which orders this against dispatchers.
        unsafe { ptr::write_volatile(ptr::addr_of_mut!((*self.raw()).id), INVALID) }
    }

    /// Whether any task is queued in vtime order.
    pub(crate) fn has_vtime_tasks(&self) -> bool {
        // SAFETY: we hold the lock.
        unsafe { !(*self.raw()).priq.rb_node.is_null() }
    }

    /// Whether any task is queued in FIFO order.
    pub(crate) fn has_fifo_tasks(&self) -> bool {
        !self.has_vtime_tasks() && self.first().is_some()
    }

    /// Queues `p`, which must not be on any DSQ. `p` says who owns it, and
    /// is consumed: with `SCX_ENQ_CLEAR_OPSS`, or for a claimed task, the
    /// ownership ends here, under the lock (`TaskOwner::queued`).
    #[inline(always)]
    pub(crate) fn push<'t>(&self, p: impl TaskOwner<'t>, order: Order, enq_flags: u64) {
        let node = list_node(&p);
        let head = self.list_head();
        // SAFETY: we hold the lock; `p` is live and, per the caller, on no
        // other DSQ, so its nodes are free to link.
        unsafe {
            match order {
                Order::Tail => crate::list::add_tail(node, head),
                Order::Head => crate::list::add(node, head),
                Order::Vtime => {
                    let root = ptr::addr_of_mut!((*self.raw()).priq);
                    let mut link = ptr::addr_of_mut!((*root).rb_node);
                    let mut parent = ptr::null_mut();
                    let vtime = p.dsq_vtime();
                    while !(*link).is_null() {
                        parent = *link;
                        // BPF may change the vtime of a queued task; the
                        // tree then keeps the order it had at insertion,
                        // as in the C core.
                        link = if vtime_before(vtime, task_of_rb_node(parent).dsq_vtime()) {
                            ptr::addr_of_mut!((*parent).rb_left)
                        } else {
                            ptr::addr_of_mut!((*parent).rb_right)
                        };
                    }
                    let rb = rb_node(&p);
                    crate::list::rb_link_node(rb, parent, link);
                    bindings::rb_insert_color(rb, root);
                    // Keep the list in vtime order too: right after the
                    // task that precedes us in the tree, or first.
                    let prev = bindings::rb_prev(rb);
                    if prev.is_null() {
                        crate::list::add(node, head);
                    } else {
                        crate::list::add(node, list_node(task_of_rb_node(prev)));
                    }
                    (*p.entity()).dsq_flags |= ON_PRIQ;
                }
            }
            // Iterators read `seq` without the lock when they start.
            let seq = (*self.raw()).seq.wrapping_add(1);
            ptr::write_volatile(ptr::addr_of_mut!((*self.raw()).seq), seq);
            (*p.entity()).dsq_seq = seq;
        }
        self.set_nr(self.dsq.nr() + 1);
        p.set_dsq(self.raw());
        p.queued(enq_flags);
    }

    /// Takes `p` off the queue for a move to the CPU `by`, which records
    /// itself in `p->scx.holding_cpu`: see `class::consume()`.
    ///
    /// # Safety
    ///
    /// `p` must be on this queue.
    pub(crate) unsafe fn remove_for_move(&self, p: &Task, by: Cpu) {
        // SAFETY: a task on a DSQ leaves it only under the DSQ lock, which
        // we hold; `holding_cpu` is what `class::dispatch_dequeue()` reads
        // under this lock to learn that the task is being moved.
        unsafe { (*p.entity()).holding_cpu = by.id() };
        // SAFETY: by the caller's guarantee.
        unsafe { self.remove(p) };
    }

    /// Takes `p` off the queue. `p->scx.dsq` is left for the caller, which
    /// may still need it to synchronise with a racing dequeue.
    ///
    /// # Safety
    ///
    /// `p` must be on this queue: unlinking it from another one would
    /// corrupt that one, which we do not hold the lock of.
    pub(crate) unsafe fn remove(&self, p: &Task) {
        // SAFETY: we hold the lock and `p` is on this queue.
        unsafe {
            let ent = p.entity();
            if (*ent).dsq_flags & ON_PRIQ != 0 {
                bindings::rb_erase(rb_node(p), ptr::addr_of_mut!((*self.raw()).priq));
                crate::list::rb_clear_node(rb_node(p));
                (*ent).dsq_flags &= !ON_PRIQ;
            }
            crate::list::del_init(list_node(p));
        }
        self.set_nr(self.dsq.nr() - 1);
    }

    /// `p->scx.dsq_seq`: the DSQ's `seq` when `p` was queued on it.
    fn seq_of(&self, p: &Task) -> u32 {
        // SAFETY: written in `push()` under the lock of the DSQ `p` is
        // queued on; for a task on this queue that is the lock we hold.
        unsafe { (*p.entity()).dsq_seq }
    }

    /// Whether `p` is still on this queue, queued no later than `seq`, and
    /// not taken off by a CPU moving it (`holding_cpu`): for a mover that
    /// found `p` earlier and dropped the lock since.
    ///
    /// The caller holds the lock of the rq `p` was on when found, and has
    /// checked that `p` is still there: `p->scx.dsq` is then only cleared
    /// under that lock, after the task left the list under ours.
    pub(crate) fn still_holds(&self, p: &Task, seq: u32) -> bool {
        // SAFETY: a field of a live task; see above for why the answer is
        // stable while both locks are held.
        let dsq = unsafe { ptr::read_volatile(ptr::addr_of!((*p.entity()).dsq)) };
        dsq == self.raw() && !seq_before(seq, self.seq_of(p)) && p.holding_cpu_racy() < 0
    }

    fn list_head(&self) -> *mut bindings::list_head {
        // SAFETY: field address computation.
        unsafe { ptr::addr_of_mut!((*self.raw()).list) }
    }

    /// The first task, if any.
    pub(crate) fn first(&self) -> Option<&'a Task> {
        self.next_after(self.list_head())
    }

    /// The task after `p`, if any.
    pub(crate) fn next(&self, p: &Task) -> Option<&'a Task> {
        self.next_after(list_node(p))
    }

    fn next_after(&self, node: *mut bindings::list_head) -> Option<&'a Task> {
        self.step(node, false, None)
    }

    /// The first task after `node`, or before it with `rev`, that is not an
    /// iterator cursor and, with `seq`, was queued no later than `seq`.
    fn step(
        &self,
        mut node: *mut bindings::list_head,
        rev: bool,
        seq: Option<u32>,
    ) -> Option<&'a Task> {
        let head = self.list_head();
        loop {
            // SAFETY: we hold the lock, so the list is stable, and `node`
            // is its head or on it.
            node = unsafe {
                if rev {
                    (*node).prev
                } else {
                    (*node).next
                }
            };
            if node == head {
                return None;
            }
            // SAFETY: `node` is in this DSQ's list.
            match unsafe { task_of_list_node(node) } {
                Some(p) if !seq.is_some_and(|s| seq_before(s, self.seq_of(p))) => return Some(p),
                _ => {}
            }
        }
    }
}

/// Whether DSQ sequence number `a` is before `b`, with wraparound.
pub(crate) fn seq_before(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// Tasks taken off their DSQs, linked through their DSQ list nodes, which
/// are free while a task is on no DSQ: a private queue that lives on the
/// stack of [`with_detached`].
///
/// # Invariants
///
/// The head is initialised, does not move while borrowed, and links only
/// nodes of tasks that [`Detached::push`]'s caller keeps alive and off
/// every DSQ until they are popped.
pub(crate) struct Detached(Opaque<bindings::list_head>);

/// Runs `f` with an empty [`Detached`] list, which must be empty again
/// when `f` returns; what `f` leaves on it is unlinked with a warning, so
/// that no task keeps a link into a dead stack frame.
pub(crate) fn with_detached<R>(f: impl FnOnce(&Detached) -> R) -> R {
    let list = Detached(Opaque::uninit());
    // SAFETY: the head is ours, and does not move while it is borrowed.
    unsafe { crate::list::init(list.0.get()) };
    let r = f(&list);
    let mut left = 0;
    while list.pop().is_some() {
        left += 1;
    }
    if left != 0 {
        crate::warn!("{} tasks left on a detached list", left);
    }
    r
}

impl Detached {
    /// Appends `p`.
    ///
    /// # Safety
    ///
    /// `p` must be on no DSQ and no other list, and stay allocated and
    /// otherwise untouched until [`Self::pop`] returns it: in practice,
    /// queued on an rq whose lock the caller holds throughout.
    pub(crate) unsafe fn push(&self, p: &Task) {
        // SAFETY: by the caller's guarantee the node is free.
        unsafe { crate::list::add_tail(list_node(p), self.0.get()) };
    }

    /// Takes the first task off the list.
    pub(crate) fn pop(&self) -> Option<&Task> {
        let head = self.0.get();
        // SAFETY: the list only links nodes of tasks that `push` was
        // promised stay allocated while they are on it.
        unsafe {
            let node = (*head).next;
            if node == head {
                return None;
            }
            crate::list::del_init(node);
            task_of_list_node(node)
        }
    }
}

const ITER_REV: u32 = bindings::SCX_DSQ_ITER_REV;
const ITER_HAS_SLICE: u32 = bindings::__SCX_DSQ_ITER_HAS_SLICE;
const ITER_HAS_VTIME: u32 = bindings::__SCX_DSQ_ITER_HAS_VTIME;
const ITER_USER_FLAGS: u64 = bindings::__SCX_DSQ_ITER_USER_FLAGS as u64;

/// A BPF DSQ iterator (`struct bpf_iter_scx_dsq`), in the BPF program's
/// stack; the core's view of it is `struct bpf_iter_scx_dsq_kern`.
///
/// The iterator walks a user DSQ in dispatch order, or the reverse with
/// `SCX_DSQ_ITER_REV`, with a cursor node that it links into the DSQ's
/// list next to the last task it returned, so that each step takes the
/// DSQ lock only for itself. Consumers and other iterators skip cursors.
/// Tasks queued after the iteration began are skipped too: the DSQ's
/// `seq` at the start is in the cursor (`priv`), and each task carries
/// the `seq` it was queued with. Without that, a scheduler moving tasks
/// to the tail of the DSQ it iterates would meet them again, for ever.
///
/// # Invariants
///
/// `dsq` is NULL or a user DSQ that stays allocated while the iterator is
/// used: the verifier keeps the whole iteration in one RCU read-side
/// section (`KF_RCU_PROTECTED`) and a destroyed DSQ is freed only after a
/// grace period. The cursor is empty (self-linked) or on `dsq`'s list,
/// changed only under `dsq`'s lock.
#[repr(transparent)]
pub(crate) struct DsqIter(Opaque<bindings::bpf_iter_scx_dsq_kern>);

impl DsqIter {
    /// The iterator at `it`.
    ///
    /// # Safety
    ///
    /// `it` must be an iterator the verifier handed to a kfunc, exclusively
    /// ours for `'a`; for any use but [`Self::start`], one that `start`
    /// initialised.
    pub(crate) unsafe fn from_raw<'a>(it: *mut bindings::bpf_iter_scx_dsq) -> &'a DsqIter {
        // SAFETY: `DsqIter` is transparent, and the kernel view fits in the
        // BPF-visible one with the same alignment (static_assert in
        // ext_types.h).
        unsafe { &*(it as *const DsqIter) }
    }

    fn kit(&self) -> *mut bindings::bpf_iter_scx_dsq_kern {
        self.0.get()
    }

    fn cursor(&self) -> *mut bindings::list_head {
        // SAFETY: field address computation.
        unsafe { ptr::addr_of_mut!((*self.kit()).cursor.node) }
    }

    fn flags(&self) -> u32 {
        // SAFETY: the iterator is ours (see `from_raw`).
        unsafe { (*self.kit()).cursor.flags }
    }

    /// Sets the cursor's flags. Once, not bit by bit: CPUs walking the DSQ
    /// read the cursor bit, under the lock we do not hold here.
    fn set_flags(&self, flags: u32) {
        // SAFETY: as above.
        unsafe { ptr::write_volatile(ptr::addr_of_mut!((*self.kit()).cursor.flags), flags) }
    }

    /// `bpf_iter_scx_dsq_new()`: starts an iteration of the user DSQ
    /// `dsq_id`.
    ///
    /// The lookup is valid for `np`; the iterator keeps the DSQ past it
    /// because the verifier keeps the BPF program in the RCU read-side
    /// section it was called in until it destroys the iterator
    /// (`KF_RCU_PROTECTED`), and a destroyed DSQ is freed with `call_rcu()`.
    pub(crate) fn start(&self, np: NoPreempt<'_>, dsq_id: u64, flags: u64) -> Result {
        // SAFETY: the iterator is ours; NULL first, so that every failure
        // leaves an iterator that `next` and `destroy` know is empty.
        unsafe { (*self.kit()).dsq = ptr::null_mut() };
        if flags & !ITER_USER_FLAGS != 0 {
            return Err(EINVAL);
        }
        let dsq = find_user(dsq_id, np).ok_or(ENOENT)?;
        // SAFETY: the iterator is ours; see the type invariants for `dsq`.
        unsafe {
            crate::list::init(self.cursor());
            (*self.kit()).cursor.flags = ITER_CURSOR | flags as u32;
            (*self.kit()).cursor.priv_ = ptr::read_volatile(ptr::addr_of!((*dsq.as_ptr()).seq));
            (*self.kit()).dsq = dsq.as_ptr();
        }
        Ok(())
    }

    /// The DSQ, if the iteration started.
    pub(crate) fn dsq(&self) -> Option<&Dsq> {
        // SAFETY: the iterator is ours.
        let dsq = unsafe { (*self.kit()).dsq };
        // SAFETY: see the type invariants.
        (!dsq.is_null()).then(|| unsafe { Dsq::from_raw(dsq) })
    }

    /// The DSQ's `seq` when the iteration began.
    pub(crate) fn seq(&self) -> u32 {
        // SAFETY: the iterator is ours.
        unsafe { (*self.kit()).cursor.priv_ }
    }

    /// `bpf_iter_scx_dsq_next()`: the next task, if any.
    pub(crate) fn next(&self) -> Option<&Task> {
        let dsq = self.dsq()?;
        let q = dsq.lock_irqsave();
        let cursor = self.cursor();
        let rev = self.flags() & ITER_REV != 0;
        // SAFETY: the cursor is ours and, if linked, on this DSQ's list,
        // which we hold the lock of.
        let linked = unsafe { (*cursor).next != cursor };
        let from = if linked { cursor } else { q.list_head() };
        let p = q.step(from, rev, Some(self.seq()));
        // SAFETY: as above; a found task is on the list, and the cursor
        // goes next to it, on the side the iteration moves away from.
        unsafe {
            crate::list::del_init(cursor);
            if let Some(p) = p {
                if rev {
                    crate::list::add_tail(cursor, list_node(p));
                } else {
                    crate::list::add(cursor, list_node(p));
                }
            }
        }
        p
    }

    /// `bpf_iter_scx_dsq_destroy()`: unlinks the cursor.
    pub(crate) fn destroy(&self) {
        let Some(dsq) = self.dsq() else { return };
        let cursor = self.cursor();
        // Read without the lock: while the cursor is linked other CPUs
        // rewrite its `next`, but only we make it point to itself.
        // SAFETY: the cursor is ours (see `from_raw`).
        if unsafe { ptr::read_volatile(ptr::addr_of!((*cursor).next)) } != cursor {
            let _q = dsq.lock_irqsave();
            // SAFETY: it is on the DSQ's list, whose lock we hold.
            unsafe { crate::list::del_init(cursor) };
        }
        // SAFETY: the iterator is ours.
        unsafe { (*self.kit()).dsq = ptr::null_mut() };
    }

    /// Records the slice to give the next task moved with this iterator.
    pub(crate) fn set_slice(&self, slice: u64) {
        // SAFETY: the iterator is ours.
        unsafe { (*self.kit()).slice = slice };
        self.set_flags(self.flags() | ITER_HAS_SLICE);
    }

    /// Records the vtime to give the next task moved with this iterator.
    pub(crate) fn set_vtime(&self, vtime: u64) {
        // SAFETY: the iterator is ours.
        unsafe { (*self.kit()).vtime = vtime };
        self.set_flags(self.flags() | ITER_HAS_VTIME);
    }

    /// Takes what [`Self::set_slice`] and [`Self::set_vtime`] recorded:
    /// `(slice, vtime)`. Each move, done or not, uses them up.
    pub(crate) fn take_updates(&self) -> (Option<u64>, Option<u64>) {
        let flags = self.flags();
        self.set_flags(flags & !(ITER_HAS_SLICE | ITER_HAS_VTIME));
        // SAFETY: the iterator is ours.
        let (slice, vtime) = unsafe { ((*self.kit()).slice, (*self.kit()).vtime) };
        (
            (flags & ITER_HAS_SLICE != 0).then_some(slice),
            (flags & ITER_HAS_VTIME != 0).then_some(vtime),
        )
    }
}

impl RqLocked {
    /// Parks `p`, a task of this rq on no DSQ, on the rq's list of direct
    /// dispatches to other CPUs' local DSQs (`ddsp_deferred_locals`), which
    /// wait for a moment when the rq lock may be dropped.
    ///
    /// # Safety
    ///
    /// `p` must be queued on this rq and on no DSQ or list, and leave the
    /// list only through [`Self::pop_deferred_local`] or
    /// [`cancel_deferred_local`] (on its dequeue).
    pub(crate) unsafe fn defer_local(&self, p: &TaskScx<'_>) {
        let node = list_node(p);
        // SAFETY: a free node points to itself.
        if unsafe { (*node).next != node } {
            crate::warn!("{}[{}] deferred while on a list", p.comm(), p.pid());
            return;
        }
        // SAFETY: we hold the rq lock, which protects the list; the node is
        // free, and `p` stays queued here by the caller's guarantee.
        unsafe {
            crate::list::add_tail(
                list_node(p),
                ptr::addr_of_mut!((*self.rq().as_ptr()).scx.ddsp_deferred_locals),
            )
        };
    }

    /// Takes the first task off the list of [`Self::defer_local`].
    ///
    /// # Safety
    ///
    /// The caller must not use the task past `'t`, which must end before
    /// the task can leave the rqs whose locks the caller holds meanwhile:
    /// a queued task is not freed. (The lifetime is not this guard's, as
    /// moving the task drops and retakes the lock.)
    pub(crate) unsafe fn pop_deferred_local<'t>(&self) -> Option<&'t Task> {
        // SAFETY: we hold the rq lock, which protects the list; it only
        // links queued tasks of this rq.
        unsafe {
            let head = ptr::addr_of_mut!((*self.rq().as_ptr()).scx.ddsp_deferred_locals);
            let node = (*head).next;
            if node == head {
                return None;
            }
            crate::list::del_init(node);
            task_of_list_node(node)
        }
    }
}

/// Takes `p` off its rq's list of deferred direct dispatches if it is
/// there: a dequeue cancels the dispatch.
///
/// # Safety
///
/// `p` must be on no DSQ (`p->scx.dsq` NULL): its node is then free or on
/// that list, which the rq lock `p` proves protects.
pub(crate) unsafe fn cancel_deferred_local(p: &TaskScx<'_>) {
    let node = list_node(p);
    // SAFETY: by the caller's guarantee; a node on no list points to
    // itself.
    unsafe {
        if (*node).next != node {
            crate::list::del_init(node);
        }
    }
}

/// A held DSQ lock.
///
/// Not `Send`: a spinlock is released by the CPU that took it.
#[must_use = "the DSQ lock is released when the guard drops"]
pub(crate) struct DsqGuard<'a> {
    q: DsqQueue<'a>,
    /// The interrupt state to restore, for [`Dsq::lock_irqsave`].
    irq_flags: Option<usize>,
    _not_send: PhantomData<*mut ()>,
}

impl<'a> core::ops::Deref for DsqGuard<'a> {
    type Target = DsqQueue<'a>;

    fn deref(&self) -> &DsqQueue<'a> {
        &self.q
    }
}

impl Drop for DsqGuard<'_> {
    fn drop(&mut self) {
        let lock = self.q.dsq.lock_ptr();
        // SAFETY: the guard holds the lock, taken the way `irq_flags` says.
        unsafe {
            match self.irq_flags {
                None => raw_lock::unlock(lock),
                Some(flags) => raw_lock::unlock_irqrestore(lock, flags),
            }
        }
    }
}

/// The global DSQs, one per NUMA node, indexed by node: `SCX_DSQ_GLOBAL`
/// names the one of the node of the task's CPU, and a CPU consumes from
/// its own node's, so that without NUMA-aware BPF code tasks still stay
/// on their node.
///
/// # Invariants
///
/// Set once by [`init`] at boot, before any scheduler can load, to an
/// array of `nr_node_ids` pointers in which every possible node's entry
/// is an initialised DSQ; neither is ever freed.
struct GlobalDsqs(UnsafeCell<*mut *mut bindings::scx_dispatch_q>);

// SAFETY: written once at boot, before any reader; the DSQs are accessed
// through `Dsq`, whose lock protects them.
unsafe impl Sync for GlobalDsqs {}

static GLOBAL_DSQS: GlobalDsqs = GlobalDsqs(UnsafeCell::new(ptr::null_mut()));

/// The global DSQ of the node of `cpu`.
pub(crate) fn global_of(cpu: Cpu) -> &'static Dsq {
    // SAFETY: a possible CPU's node is a possible node, whose DSQ `init()`
    // set up at boot and nobody frees (see `GlobalDsqs`).
    unsafe {
        let node = crate::arch::cpu_to_node(cpu.id() as u32);
        Dsq::from_raw(*(*GLOBAL_DSQS.0.get()).add(node as usize))
    }
}

/// The global DSQ a dispatch of `p` to `SCX_DSQ_GLOBAL` goes to: the one
/// of the node of its CPU.
pub(crate) fn global_for(p: &Task) -> &'static Dsq {
    global_of(p.cpu())
}

/// A user DSQ, allocated by `create()` and freed after an RCU grace period.
struct DsqPtr(*mut bindings::scx_dispatch_q);

// SAFETY: the pointer is to a `kmalloc`ed DSQ, shared by design.
unsafe impl Send for DsqPtr {}
// SAFETY: as above.
unsafe impl Sync for DsqPtr {}

/// The user-created DSQs by id.
///
/// # Invariants
///
/// `tree` is only accessed with `scx_dsq_table_lock` held. A DSQ in the tree
/// is valid; once removed, it is freed only after an RCU grace period, so
/// a lookup may keep using what it found for as long as preemption stays
/// disabled, which [`find_user`] makes it prove with a [`NoPreempt`].
/// Removal marks the DSQ `SCX_DSQ_INVALID` under its lock, so a dispatcher
/// that looked it up just before notices.
struct UserDsqs {
    tree: UnsafeCell<Option<RBTree<u64, DsqPtr>>>,
}

// SAFETY: see the invariants.
unsafe impl Sync for UserDsqs {}

static USER_DSQS: UserDsqs = UserDsqs {
    tree: UnsafeCell::new(None),
};

/// `scx_dsq_table_lock`, held while the closure runs: a C raw spinlock
/// taken with interrupts off, which `kernel::sync` has no type for.
fn with_table<R>(f: impl FnOnce(&mut RBTree<u64, DsqPtr>) -> R) -> R {
    let mut flags = 0;
    // SAFETY: the helper takes the raw spinlock with interrupts saved.
    unsafe { bindings::scx_helper_dsq_table_lock(&mut flags) };
    // SAFETY: we hold the lock; `init()` filled the option at boot.
    let r = f(unsafe { (*USER_DSQS.tree.get()).as_mut().unwrap_unchecked() });
    // SAFETY: we took the lock above.
    unsafe { bindings::scx_helper_dsq_table_unlock(flags) };
    r
}

/// Sets up the global DSQs and the user DSQ table. Called once at boot.
pub(crate) fn init() {
    // SAFETY: plain allocation; boot fails without it, as the C core's
    // enable would.
    let dsqs = unsafe { bindings::scx_helper_alloc_node_dsqs() };
    if dsqs.is_null() {
        panic!("sched_ext: cannot allocate the global DSQs");
    }
    // SAFETY: `nr_node_ids` entries, the possible nodes' fresh and zeroed.
    unsafe {
        for node in 0..bindings::scx_helper_nr_node_ids() as usize {
            let dsq = *dsqs.add(node);
            if !dsq.is_null() {
                Dsq::init(dsq, GLOBAL);
            }
        }
    }
    // SAFETY: single-threaded at boot; no reader before this.
    unsafe { *GLOBAL_DSQS.0.get() = dsqs };
    // SAFETY: single-threaded at boot, before any user of the table.
    unsafe { *USER_DSQS.tree.get() = Some(RBTree::new()) };
    // SAFETY: as above, for the list and the irq_work.
    unsafe {
        bindings::scx_helper_init_llist_head(FREE_DSQS.list.get());
        bindings::scx_helper_init_irq_work(FREE_DSQS.work.get(), Some(free_dsqs_workfn));
    }
}

/// Looks up the user DSQ `id`, for as long as preemption stays disabled.
pub(crate) fn find_user<'a>(id: u64, _np: NoPreempt<'a>) -> Option<&'a Dsq> {
    // The table has user DSQs only; and a DSQ being destroyed reads
    // `SCX_DSQ_INVALID`, a built-in id, which must not match below.
    if id & FLAG_BUILTIN != 0 {
        return None;
    }
    let slot = LOOKUP_CACHE.slot(id);
    #[cfg(CONFIG_64BIT)]
    {
        let p = slot.load(Ordering::Acquire);
        if !p.is_null() {
            // SAFETY: see `LookupCache`: the DSQ was in the table when the
            // slot was loaded, and is freed only after an RCU grace period,
            // which cannot end while `_np` lives.
            let d = unsafe { Dsq::from_raw(p) };
            // Another id of the same slot, or destroyed meanwhile (which a
            // dispatcher rechecks under the DSQ's lock, as after any
            // lookup). The read cannot tear on 64-bit: it is the id or
            // `SCX_DSQ_INVALID`.
            if d.id() == id {
                return Some(d);
            }
        }
    }
    with_table(|t| {
        let p = t.get(&id)?.0;
        // INVARIANT: `p` is in the table, whose lock we hold. Stored only
        // if new, so that the lookups of a slot's DSQ do not write the line
        // every CPU reads.
        if slot.load(Ordering::Relaxed) != p {
            slot.store(p, Ordering::Release);
        }
        // SAFETY: see `UserDsqs`: a DSQ found in the table is freed only
        // after an RCU grace period, which cannot end while `_np` lives.
        Some(unsafe { Dsq::from_raw(p) })
    })
}

/// A direct-mapped cache of the user DSQ table, which spares the lookup of
/// every dispatch to and consumption from a user DSQ the table's lock: a
/// global lock, taken with interrupts off, that every CPU would share. The
/// C core looks them up in an RCU hash table, without a lock.
///
/// Only 64-bit kernels read it without the lock: telling a slot's DSQ from
/// another id's takes its 64-bit id, which a destruction changes, and a
/// torn read on 32-bit could match a third id.
///
/// # Invariants
///
/// A slot is null or holds a DSQ that is in the table: it is set under the
/// table lock after finding the DSQ there, and cleared under the table
/// lock when the DSQ leaves it, before the DSQ's grace period can start.
/// So a DSQ loaded from a slot with preemption disabled stays allocated as
/// long as preemption stays disabled, as one found in the table does.
struct LookupCache([LookupSlot; LOOKUP_SLOTS]);

/// One slot of [`LookupCache`], alone in its cache line: the CPUs that
/// read one DSQ's slot all the time do not share the line with the
/// writes of another's.
#[repr(align(64))]
struct LookupSlot(AtomicPtr<bindings::scx_dispatch_q>);

/// How many slots [`LookupCache`] has: a few more than the DSQs a
/// scheduler usually dispatches to all the time.
const LOOKUP_SLOTS: usize = 16;
const _: () = assert!(LOOKUP_SLOTS.is_power_of_two());

static LOOKUP_CACHE: LookupCache =
    LookupCache([const { LookupSlot(AtomicPtr::new(ptr::null_mut())) }; LOOKUP_SLOTS]);

impl LookupCache {
    /// The slot of `id`: the top bits of a multiplicative hash, as
    /// `hash_64()`, so that ids that differ in any bits (a scheduler's
    /// `node << 8 | n`, say) spread over the slots.
    fn slot(&self, id: u64) -> &AtomicPtr<bindings::scx_dispatch_q> {
        const GOLDEN_RATIO_64: u64 = 0x61c8_8646_80b5_83eb;
        const BITS: u32 = LOOKUP_SLOTS.trailing_zeros();
        &self.0[(id.wrapping_mul(GOLDEN_RATIO_64) >> (64 - BITS)) as usize].0
    }
}

/// Creates the user DSQ `id`.
pub(crate) fn create(id: u64) -> Result {
    if id & FLAG_BUILTIN != 0 {
        return Err(EINVAL);
    }
    let dsq = KBox::<bindings::scx_dispatch_q>::new_uninit(GFP_KERNEL)?;
    let raw = KBox::into_raw(dsq) as *mut bindings::scx_dispatch_q;
    // SAFETY: `raw` is a fresh allocation we own.
    unsafe { Dsq::init(raw, id) };
    let node = match RBTreeNode::new(id, DsqPtr(raw), GFP_KERNEL) {
        Ok(n) => n,
        Err(e) => {
            // SAFETY: `raw` came from `KBox::into_raw` and was never shared.
            drop(unsafe { KBox::from_raw(raw) });
            return Err(e);
        }
    };
    let clash = with_table(|t| {
        if t.get(&id).is_some() {
            Some(node)
        } else {
            t.insert(node);
            None
        }
    });
    if clash.is_some() {
        // SAFETY: `raw` was never published.
        drop(unsafe { KBox::from_raw(raw) });
        return Err(EEXIST);
    }
    Ok(())
}

/// Frees a destroyed user DSQ once no CPU can still see it.
///
/// # Safety
///
/// `head` must be the `rcu` member of a DSQ allocated by [`create`] and
/// removed from the table by [`destroy`].
unsafe extern "C" fn free_dsq_rcu(head: *mut bindings::callback_head) {
    let off = core::mem::offset_of!(bindings::scx_dispatch_q, rcu);
    // SAFETY: `head` is the `rcu` member of a DSQ that `destroy()` removed
    // from the table; no one can reach it after the grace period.
    drop(unsafe { KBox::from_raw((head as *mut u8).sub(off) as *mut bindings::scx_dispatch_q) });
}

/// Why [`destroy`] refused.
pub(crate) enum DestroyError {
    /// No DSQ has this id.
    NotFound,
    /// The DSQ still holds tasks.
    Busy(u32),
}

/// Destroys the user DSQ `id`, which must be empty.
///
/// Takes the DSQ's lock, then the table's: the order of a mover that looks
/// up its destination while it holds the source DSQ's lock
/// (`class::move_from_dsq`).
pub(crate) fn destroy(id: u64) -> core::result::Result<(), DestroyError> {
    let g = PreemptGuard::new();
    let dsq = find_user(id, g.no_preempt()).ok_or(DestroyError::NotFound)?;
    // Any context may destroy a DSQ, interrupts on or off.
    let q = dsq.lock_irqsave();
    // Another CPU destroyed it since the lookup.
    if dsq.id() == INVALID {
        return Err(DestroyError::NotFound);
    }
    if dsq.nr() != 0 {
        return Err(DestroyError::Busy(dsq.nr()));
    }
    // A DSQ leaves the table only here, marked destroyed under its lock,
    // which we hold: it is still the table's DSQ for `id`.
    let removed = with_table(|t| {
        // INVARIANT: the slot forgets the DSQ while it is still in the
        // table, under its lock.
        let _ = LOOKUP_CACHE.slot(id).compare_exchange(
            dsq.as_ptr(),
            ptr::null_mut(),
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
        t.remove(&id)
    });
    q.set_destroyed();
    drop(q);
    if let Some(d) = removed {
        // `scx_bpf_destroy_dsq()` may run under an rq lock (from
        // ops.dispatch()), and call_rcu() can wake RCU's kthreads, which
        // takes rq locks: hand the DSQ to an irq_work, which runs with none
        // held, to start the grace period.
        // SAFETY: the DSQ is out of the table and no one else frees it; its
        // `free_node` is unused until now.
        unsafe {
            bindings::scx_helper_llist_add(
                ptr::addr_of_mut!((*d.0).free_node),
                FREE_DSQS.list.get(),
            );
            bindings::irq_work_queue(FREE_DSQS.work.get());
        }
    }
    Ok(())
}

/// Destroyed DSQs on their way to `call_rcu()`, and the irq_work that
/// takes them there.
///
/// # Invariants
///
/// Initialised by [`init`] at boot. The list is a lock-free `llist`: any
/// CPU adds, the irq_work takes all.
struct FreeDsqs {
    list: Opaque<bindings::llist_head>,
    work: Opaque<bindings::irq_work>,
}

// SAFETY: see the invariants; the C objects are safe to share.
unsafe impl Sync for FreeDsqs {}

static FREE_DSQS: FreeDsqs = FreeDsqs {
    list: Opaque::uninit(),
    work: Opaque::uninit(),
};

/// Starts the grace period of every DSQ [`destroy`] handed over.
extern "C" fn free_dsqs_workfn(_work: *mut bindings::irq_work) {
    // SAFETY: initialised at boot; taking the whole list is lock-free.
    let mut node = unsafe { bindings::scx_helper_llist_del_all(FREE_DSQS.list.get()) };
    let off = core::mem::offset_of!(bindings::scx_dispatch_q, free_node);
    while !node.is_null() {
        // SAFETY: every node on the list is the `free_node` of a DSQ that
        // `destroy()` removed from the table; we took it off the list, so it
        // is ours. `call_rcu` frees it once every CPU that could have looked
        // it up has re-enabled preemption.
        unsafe {
            let next = (*node).next;
            let dsq = (node as *mut u8).sub(off) as *mut bindings::scx_dispatch_q;
            bindings::call_rcu(ptr::addr_of_mut!((*dsq).rcu), Some(free_dsq_rcu));
            node = next;
        }
    }
}

/// Destroys every user DSQ. Called when a scheduler is gone.
///
/// Walks the table by key instead of collecting the keys first: the
/// disable path must not be able to fail, and so must not allocate.
pub(crate) fn destroy_all() {
    let mut from = 0u64;
    loop {
        let id = with_table(|t| t.cursor_lower_bound(&from).map(|c| *c.current().0));
        let Some(id) = id else { break };
        // A DSQ still holding tasks cannot exist once every task left
        // sched_ext; an error here would be a core bug, and the DSQ stays.
        if let Err(DestroyError::Busy(nr)) = destroy(id) {
            crate::warn!("destroying DSQ {:#x} with {} tasks", id, nr);
        }
        match id.checked_add(1) {
            Some(next) => from = next,
            None => break,
        }
    }
}

/// The DSQ lock's operations, the way C reaches them.
///
/// `raw_spin_lock()` and friends are macros that C turns into calls of the
/// out-of-line `_raw_spin_*()` functions, unless the configuration inlines
/// them (`CONFIG_INLINE_SPIN_*`). Rust calls those functions directly where
/// they exist, rather than through a helper that calls them, and takes the
/// helper where they are inline. Lockdep, when configured, is inside them
/// either way.
mod raw_lock {
    use crate::bindings;

    type Lock = bindings::raw_spinlock_t;

    /// `raw_spin_lock()`.
    ///
    /// # Safety
    ///
    /// `lock` must be an initialized lock, valid until [`unlock`] releases
    /// it.
    #[inline(always)]
    pub(super) unsafe fn lock(lock: *mut Lock) {
        #[cfg(not(CONFIG_INLINE_SPIN_LOCK))]
        // SAFETY: the caller's guarantee is the function's.
        unsafe {
            bindings::_raw_spin_lock(lock)
        }
        #[cfg(CONFIG_INLINE_SPIN_LOCK)]
        // SAFETY: the caller's guarantee is the helper's.
        unsafe {
            bindings::scx_helper_raw_spin_lock(lock)
        }
    }

    /// `raw_spin_lock_irqsave()`: returns the interrupt state to restore.
    ///
    /// # Safety
    ///
    /// As for [`lock`], released by [`unlock_irqrestore`].
    #[inline(always)]
    pub(super) unsafe fn lock_irqsave(lock: *mut Lock) -> usize {
        #[cfg(not(CONFIG_INLINE_SPIN_LOCK_IRQSAVE))]
        // SAFETY: the caller's guarantee is the function's.
        unsafe {
            bindings::_raw_spin_lock_irqsave(lock) as usize
        }
        #[cfg(CONFIG_INLINE_SPIN_LOCK_IRQSAVE)]
        {
            let mut flags = 0;
            // SAFETY: the caller's guarantee is the helper's; `flags` is a
            // local.
            unsafe { bindings::scx_helper_raw_spin_lock_irqsave(lock, &mut flags) };
            flags as usize
        }
    }

    /// `raw_spin_unlock()`.
    ///
    /// 6.12 has no `CONFIG_INLINE_SPIN_UNLOCK`: the unlock is out of line
    /// when `CONFIG_UNINLINE_SPIN_UNLOCK` is set, which `PREEMPTION` and
    /// `DEBUG_SPINLOCK` select, and inline otherwise.
    ///
    /// # Safety
    ///
    /// The caller must hold `lock`, taken with [`lock`].
    #[inline(always)]
    pub(super) unsafe fn unlock(lock: *mut Lock) {
        #[cfg(CONFIG_UNINLINE_SPIN_UNLOCK)]
        // SAFETY: the caller's guarantee is the function's.
        unsafe {
            bindings::_raw_spin_unlock(lock)
        }
        #[cfg(not(CONFIG_UNINLINE_SPIN_UNLOCK))]
        // SAFETY: the caller's guarantee is the helper's.
        unsafe {
            bindings::scx_helper_raw_spin_unlock(lock)
        }
    }

    /// `raw_spin_unlock_irqrestore()`.
    ///
    /// # Safety
    ///
    /// The caller must hold `lock`, taken with [`lock_irqsave`], which
    /// returned `flags`.
    #[inline(always)]
    pub(super) unsafe fn unlock_irqrestore(lock: *mut Lock, flags: usize) {
        #[cfg(not(CONFIG_INLINE_SPIN_UNLOCK_IRQRESTORE))]
        // SAFETY: the caller's guarantee is the function's.
        unsafe {
            bindings::_raw_spin_unlock_irqrestore(lock, flags as _)
        }
        #[cfg(CONFIG_INLINE_SPIN_UNLOCK_IRQRESTORE)]
        // SAFETY: the caller's guarantee is the helper's.
        unsafe {
            bindings::scx_helper_raw_spin_unlock_irqrestore(lock, flags as _)
        }
    }
}
