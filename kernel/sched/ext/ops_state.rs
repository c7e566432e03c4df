// SPDX-License-Identifier: GPL-2.0

//! Who owns a queued task: the per-task `ops_state` word.
//!
//! When the core hands a task to the BPF scheduler (`ops.enqueue()`), the BPF
//! side may keep it for as long as it likes and dispatch it later from any
//! CPU, while the task itself can be dequeued, migrated and enqueued again on
//! another CPU in the meantime. `sched_ext_entity.ops_state` arbitrates:
//!
//! ```text
//!   NONE --enqueue--> QUEUEING --ops.enqueue() returns--> QUEUED
//!    ^                   |                                   |
//!    |          direct dispatch                dispatch (cmpxchg, qseq match)
//!    |                   v                                   v
//!    +------------------ NONE <---- on a DSQ ------------ DISPATCHING
//! ```
//!
//! The low [`QSEQ_SHIFT`] bits hold the state, the rest hold a sequence
//! number (QSEQ) that changes every time the task is enqueued. A dispatcher
//! remembers the QSEQ it saw when BPF handed it the task; if the task was
//! dequeued and enqueued again since, the QSEQ differs and the stale dispatch
//! is dropped instead of claiming a task that BPF now owns afresh.
//!
//! The word is the C `atomic_long_t`, so it is 32 bits on 32-bit machines and
//! QSEQ has 30 bits there. A wrapped QSEQ is only a problem if a dispatcher
//! sleeps through 2^30 enqueues of the same task, which the rq lock rules out
//! in practice.

use crate::arch;
use crate::bindings;
use kernel::types::Opaque;

/// Number of low bits of the word that encode [`OpsState`].
pub(crate) const QSEQ_SHIFT: u32 = bindings::SCX_OPSS_QSEQ_SHIFT;

/// Mask of the state bits.
const STATE_MASK: usize = (1 << QSEQ_SHIFT) - 1;

/// Largest QSEQ that fits in an `unsigned long` next to the state bits.
pub(crate) const QSEQ_MAX: usize = usize::MAX >> QSEQ_SHIFT;

/// The owner of a task in the enqueue/dispatch protocol.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum OpsState {
    /// The core owns the task: it is not queued with the BPF scheduler.
    None,
    /// `ops.enqueue()` is running for the task.
    Queueing,
    /// The BPF scheduler owns the task.
    Queued,
    /// A CPU is moving the task from the BPF scheduler to a DSQ.
    Dispatching,
}

impl OpsState {
    /// The `SCX_OPSS_*` value.
    pub(crate) fn bits(self) -> usize {
        match self {
            OpsState::None => bindings::SCX_OPSS_NONE as usize,
            OpsState::Queueing => bindings::SCX_OPSS_QUEUEING as usize,
            OpsState::Queued => bindings::SCX_OPSS_QUEUED as usize,
            OpsState::Dispatching => bindings::SCX_OPSS_DISPATCHING as usize,
        }
    }
}

/// A value of the `ops_state` word: an [`OpsState`] and a QSEQ.
///
/// # Invariants
///
/// The QSEQ part is at most [`QSEQ_MAX`]; every bit pattern decodes to a state.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct OpssWord(usize);

impl OpssWord {
    /// The word for `state` with sequence number `qseq`.
    ///
    /// Bits of `qseq` above [`QSEQ_MAX`] are dropped.
    pub(crate) fn new(state: OpsState, qseq: usize) -> Self {
        OpssWord(((qseq & QSEQ_MAX) << QSEQ_SHIFT) | state.bits())
    }

    /// Decodes the raw value of the C `atomic_long_t`.
    pub(crate) fn from_raw(raw: isize) -> Self {
        OpssWord(raw as usize)
    }

    /// The raw value to store in the C `atomic_long_t`.
    pub(crate) fn to_raw(self) -> isize {
        self.0 as isize
    }

    /// The state part.
    pub(crate) fn state(self) -> OpsState {
        match self.0 & STATE_MASK {
            0 => OpsState::None,
            1 => OpsState::Queueing,
            2 => OpsState::Queued,
            _ => OpsState::Dispatching,
        }
    }

    /// The QSEQ part.
    pub(crate) fn qseq(self) -> usize {
        self.0 >> QSEQ_SHIFT
    }
}

/// The QSEQ after `prev` for the per-task counter `sched_ext_entity.ops_qseq`.
///
/// Wraps within [`QSEQ_MAX`] and the 32 bits of the counter, and skips 0 so
/// that a queued task never carries the QSEQ of a never-queued one.
pub(crate) fn next_qseq(prev: u32) -> u32 {
    let next = (prev.wrapping_add(1) as usize) & QSEQ_MAX;
    if next == 0 {
        1
    } else {
        next as u32
    }
}

/// The `ops_state` of one task: a C `atomic_long_t`, borrowed from its task
/// ([`crate::task::Task::ops_state`]).
#[repr(transparent)]
pub(crate) struct OpsStateCell(Opaque<bindings::atomic_long_t>);

impl OpsStateCell {
    /// Borrows the word at `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` must point to an `atomic_long_t`, only accessed atomically, that
    /// stays valid for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::atomic_long_t) -> &'a OpsStateCell {
        // SAFETY: `OpsStateCell` is transparent; the caller guarantees the
        // lifetime.
        unsafe { &*(ptr as *const OpsStateCell) }
    }

    fn ptr(&self) -> *mut bindings::atomic_long_t {
        self.0.get()
    }

    /// Reads the word without ordering; for the rq lock holder's own checks.
    pub(crate) fn read(&self) -> OpssWord {
        // SAFETY: `self` borrows a valid word.
        OpssWord::from_raw(unsafe { arch::atomic_long_read(self.ptr()) })
    }

    /// Reads the word, ordering later accesses to the task after it.
    ///
    /// Pairs with [`Self::set_release`]: whoever observes NONE after
    /// DISPATCHING also observes the task on its DSQ.
    pub(crate) fn read_acquire(&self) -> OpssWord {
        // SAFETY: `self` borrows a valid word.
        OpssWord::from_raw(unsafe { arch::atomic_long_read_acquire(self.ptr()) })
    }

    /// Sets the word without ordering.
    pub(crate) fn set(&self, w: OpssWord) {
        // SAFETY: `self` borrows a valid word.
        unsafe { arch::atomic_long_set(self.ptr(), w.to_raw()) }
    }

    /// Sets the word, ordering earlier accesses to the task before it.
    pub(crate) fn set_release(&self, w: OpssWord) {
        // SAFETY: `self` borrows a valid word.
        unsafe { arch::atomic_long_set_release(self.ptr(), w.to_raw()) }
    }

    /// Replaces `old` with `new` if the word still is `old`; fully ordered.
    ///
    /// Returns the value found on failure.
    pub(crate) fn try_cmpxchg(&self, old: OpssWord, new: OpssWord) -> Result<(), OpssWord> {
        // SAFETY: `self` borrows a valid word.
        let found = unsafe { arch::atomic_long_cmpxchg(self.ptr(), old.to_raw(), new.to_raw()) };
        if found == old.to_raw() {
            Ok(())
        } else {
            Err(OpssWord::from_raw(found))
        }
    }

    /// Spins while the word is `w`.
    ///
    /// The other side finishes its transition with the rq lock of another
    /// CPU at most, never waiting for us, so this always ends.
    pub(crate) fn wait_while(&self, w: OpssWord) {
        while self.read_acquire() == w {
            // SAFETY: `cpu_relax()` has no preconditions.
            unsafe { bindings::scx_helper_cpu_relax() };
        }
    }
}
