// SPDX-License-Identifier: GPL-2.0

//! `struct list_head` operations, and the two store-only rbtree macros,
//! inline as C has them.
//!
//! The DSQ FIFOs, the runnable lists and the task list are C `list_head`s,
//! declared in `struct scx_dispatch_q`, `struct sched_ext_entity` and
//! `struct rq`. Their operations are static inlines in C, which Rust
//! reaches only through out-of-line helpers: a context switch under a BPF
//! scheduler adds and removes a task from a DSQ and from its rq's runnable
//! list, calls that C does not make.
//!
//! The stores follow `include/linux/list.h` one for one, with the same
//! `WRITE_ONCE()`s, so that lockless readers such as `list_empty()` see a
//! whole pointer, as they do on C's lists.
//!
//! With `CONFIG_LIST_HARDENED` (which `CONFIG_DEBUG_LIST` selects; the
//! cfgs name both), C checks every insertion and removal and reports a
//! corrupted list; the helpers stay there, so that those kernels check the
//! Rust core's lists as they check C's, at the cost of the call.

use crate::bindings;
#[cfg(not(any(CONFIG_DEBUG_LIST, CONFIG_LIST_HARDENED)))]
use core::ptr::{addr_of_mut, write_volatile};

type ListHead = bindings::list_head;

/// Makes `list` an empty list, or an entry on no list: `INIT_LIST_HEAD()`.
///
/// # Safety
///
/// `list` must be valid for writes, and not on a list that others walk.
#[inline(always)]
pub(crate) unsafe fn init(list: *mut ListHead) {
    #[cfg(not(any(CONFIG_DEBUG_LIST, CONFIG_LIST_HARDENED)))]
    // SAFETY: the caller guarantees `list` is valid for writes.
    unsafe {
        write_volatile(addr_of_mut!((*list).next), list);
        write_volatile(addr_of_mut!((*list).prev), list);
    }
    #[cfg(any(CONFIG_DEBUG_LIST, CONFIG_LIST_HARDENED))]
    // SAFETY: as above.
    unsafe {
        bindings::scx_helper_init_list_head(list)
    }
}

/// Links `new` between the adjacent entries `prev` and `next`: C's
/// `__list_add()`.
///
/// # Safety
///
/// As for [`add`]; `next` must follow `prev` on their list.
#[cfg(not(any(CONFIG_DEBUG_LIST, CONFIG_LIST_HARDENED)))]
#[inline(always)]
unsafe fn insert(new: *mut ListHead, prev: *mut ListHead, next: *mut ListHead) {
    // SAFETY: the three entries are valid, and the caller holds what
    // serializes changes to their list. `prev->next` is written last and
    // whole, as C does, for readers that only look at it.
    unsafe {
        (*next).prev = new;
        (*new).next = next;
        (*new).prev = prev;
        write_volatile(addr_of_mut!((*prev).next), new);
    }
}

/// Adds `new` after `head`, at the front of the list: `list_add()`.
///
/// # Safety
///
/// `head` must be a valid list and `new` a valid entry on no list, and the
/// caller must hold whatever serializes changes to the list.
#[inline(always)]
pub(crate) unsafe fn add(new: *mut ListHead, head: *mut ListHead) {
    #[cfg(not(any(CONFIG_DEBUG_LIST, CONFIG_LIST_HARDENED)))]
    // SAFETY: the caller's guarantees; `head->next` follows `head`.
    unsafe {
        insert(new, head, (*head).next)
    }
    #[cfg(any(CONFIG_DEBUG_LIST, CONFIG_LIST_HARDENED))]
    // SAFETY: the caller's guarantees are the helper's.
    unsafe {
        bindings::scx_helper_list_add(new, head)
    }
}

/// Adds `new` before `head`, at the back of the list: `list_add_tail()`.
///
/// # Safety
///
/// As for [`add`].
#[inline(always)]
pub(crate) unsafe fn add_tail(new: *mut ListHead, head: *mut ListHead) {
    #[cfg(not(any(CONFIG_DEBUG_LIST, CONFIG_LIST_HARDENED)))]
    // SAFETY: the caller's guarantees; `head` follows `head->prev`.
    unsafe {
        insert(new, (*head).prev, head)
    }
    #[cfg(any(CONFIG_DEBUG_LIST, CONFIG_LIST_HARDENED))]
    // SAFETY: the caller's guarantees are the helper's.
    unsafe {
        bindings::scx_helper_list_add_tail(new, head)
    }
}

/// Takes `entry` off its list and leaves it empty: `list_del_init()`.
///
/// An entry that is on no list (initialized, or taken off with this
/// function) stays so: its neighbours are itself.
///
/// # Safety
///
/// `entry` must be a valid entry, on a list or empty, and the caller must
/// hold whatever serializes changes to its list.
#[inline(always)]
pub(crate) unsafe fn del_init(entry: *mut ListHead) {
    #[cfg(not(any(CONFIG_DEBUG_LIST, CONFIG_LIST_HARDENED)))]
    // SAFETY: the caller guarantees that `entry` and its neighbours are
    // valid and that nobody else changes the list meanwhile. As in C,
    // `prev->next` and the entry's own pointers are written whole.
    unsafe {
        let prev = (*entry).prev;
        let next = (*entry).next;
        (*next).prev = prev;
        write_volatile(addr_of_mut!((*prev).next), next);
        init(entry);
    }
    #[cfg(any(CONFIG_DEBUG_LIST, CONFIG_LIST_HARDENED))]
    // SAFETY: the caller's guarantees are the helper's.
    unsafe {
        bindings::scx_helper_list_del_init(entry)
    }
}

/// Marks `node` as on no rbtree: `RB_CLEAR_NODE()`, a node that is its own
/// parent.
///
/// The two rbtree macros are stores only, inline in C as here; the tree
/// operations themselves (`rb_insert_color()`, `rb_erase()`) are C
/// functions, which the core calls.
///
/// # Safety
///
/// `node` must be valid for writes and on no tree.
#[inline(always)]
pub(crate) unsafe fn rb_clear_node(node: *mut bindings::rb_node) {
    // SAFETY: the caller's guarantee; `RB_EMPTY_NODE()` readers look at
    // this word alone, so it is written whole.
    unsafe {
        core::ptr::write_volatile(
            core::ptr::addr_of_mut!((*node).__rb_parent_color),
            node as _,
        )
    }
}

/// Links `node` as a leaf in the place `link` of `parent`, before it is
/// rebalanced with `rb_insert_color()`: `rb_link_node()`.
///
/// # Safety
///
/// `node` must be valid for writes and on no tree, `link` the empty child
/// pointer of `parent` (or the root's pointer, with a null `parent`), and
/// the caller must hold what serializes changes to the tree.
#[inline(always)]
pub(crate) unsafe fn rb_link_node(
    node: *mut bindings::rb_node,
    parent: *mut bindings::rb_node,
    link: *mut *mut bindings::rb_node,
) {
    // SAFETY: the caller's guarantees. A new node is red, whose colour
    // bit is 0, so the parent pointer is the whole word, as in C.
    unsafe {
        (*node).__rb_parent_color = parent as _;
        (*node).rb_left = core::ptr::null_mut();
        (*node).rb_right = core::ptr::null_mut();
        *link = node;
    }
}
