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
use crate::pcpu::NoPreempt;
use crate::rq::Cpu;
use crate::rq::RqLocked;
use crate::task::{Task, TaskOwner};
use core::cell::UnsafeCell;
use core::marker::PhantomData;
use core::ptr;
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
            bindings::scx_helper_init_list_head(ptr::addr_of_mut!((*ptr).list));
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
        unsafe { bindings::scx_helper_raw_spin_lock(ptr::addr_of_mut!((*self.as_ptr()).lock)) };
        // INVARIANT: we hold the lock until the guard drops.
        DsqGuard {
            q: DsqQueue { dsq: self },
            _not_send: PhantomData,
        }
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
    if unsafe { (*lnode).flags } & ITER_CURSOR != 0 {
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
    pub(crate) fn push<'t>(&self, p: impl TaskOwner<'t>, order: Order, enq_flags: u64) {
        let node = list_node(&p);
        let head = self.list_head();
        // SAFETY: we hold the lock; `p` is live and, per the caller, on no
        // other DSQ, so its nodes are free to link.
        unsafe {
            match order {
                Order::Tail => bindings::scx_helper_list_add_tail(node, head),
                Order::Head => bindings::scx_helper_list_add(node, head),
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
                    bindings::scx_helper_rb_link_node(rb, parent, link);
                    bindings::rb_insert_color(rb, root);
                    // Keep the list in vtime order too: right after the
                    // task that precedes us in the tree, or first.
                    let prev = bindings::rb_prev(rb);
                    if prev.is_null() {
                        bindings::scx_helper_list_add(node, head);
                    } else {
                        bindings::scx_helper_list_add(node, list_node(task_of_rb_node(prev)));
                    }
                    (*p.entity()).dsq_flags |= ON_PRIQ;
                }
            }
            let seq = (*self.raw()).seq.wrapping_add(1);
            (*self.raw()).seq = seq;
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
                bindings::scx_helper_rb_clear_node(rb_node(p));
                (*ent).dsq_flags &= !ON_PRIQ;
            }
            bindings::scx_helper_list_del_init(list_node(p));
        }
        self.set_nr(self.dsq.nr() - 1);
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

    fn next_after(&self, mut node: *mut bindings::list_head) -> Option<&'a Task> {
        let head = self.list_head();
        loop {
            // SAFETY: we hold the lock, so the list is stable.
            node = unsafe { (*node).next };
            if node == head {
                return None;
            }
            // SAFETY: `node` is in this DSQ's list.
            if let Some(p) = unsafe { task_of_list_node(node) } {
                return Some(p);
            }
        }
    }
}

/// A held DSQ lock.
///
/// Not `Send`: a spinlock is released by the CPU that took it.
#[must_use = "the DSQ lock is released when the guard drops"]
pub(crate) struct DsqGuard<'a> {
    q: DsqQueue<'a>,
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
        // SAFETY: the guard holds the lock.
        unsafe { bindings::scx_helper_raw_spin_unlock(ptr::addr_of_mut!((*self.q.raw()).lock)) }
    }
}

/// Storage for the global DSQ.
struct GlobalDsq(Opaque<bindings::scx_dispatch_q>);

// SAFETY: accessed through `Dsq`, whose lock protects it.
unsafe impl Sync for GlobalDsq {}

static GLOBAL_DSQ: GlobalDsq = GlobalDsq(Opaque::uninit());

/// The global DSQ.
pub(crate) fn global() -> &'static Dsq {
    // SAFETY: initialised by `init()` at boot, before any scheduler can load.
    unsafe { Dsq::from_raw(GLOBAL_DSQ.0.get()) }
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

/// Sets up the global DSQ and the user DSQ table. Called once at boot.
pub(crate) fn init() {
    // SAFETY: nothing uses the global DSQ before this.
    unsafe { Dsq::init(GLOBAL_DSQ.0.get(), GLOBAL) };
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
    // SAFETY: see `UserDsqs`: a DSQ found in the table is freed only after
    // an RCU grace period, which cannot end while `_np` lives.
    with_table(|t| t.get(&id).map(|d| unsafe { Dsq::from_raw(d.0) }))
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
pub(crate) fn destroy(id: u64) -> core::result::Result<(), DestroyError> {
    let removed = with_table(|t| {
        let dsq = match t.get(&id) {
            // SAFETY: the table holds valid DSQs.
            Some(d) => unsafe { Dsq::from_raw(d.0) },
            None => return Err(DestroyError::NotFound),
        };
        let q = dsq.lock();
        if dsq.nr() != 0 {
            return Err(DestroyError::Busy(dsq.nr()));
        }
        q.set_destroyed();
        drop(q);
        Ok(t.remove(&id))
    })?;
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
