// SPDX-License-Identifier: GPL-2.0

//! A boot-time check that the bindings agree with C on struct layout.
//!
//! bindgen can get a layout wrong without any error: it once dropped the
//! cacheline alignment of the empty `struct sched_statistics`, which moved
//! every later `task_struct` field by 8 bytes. Everything the crate reads
//! from C memory directly is listed here and compared with `offsetof()` and
//! `sizeof()` computed by the C compiler (`scx_helper_layout()`). On a
//! mismatch the kernel panics at boot, in `init_early()`, naming each field
//! that differs: that runs before the core writes any rq or task, and every
//! later access would use the wrong offsets.

use crate::bindings::{
    rq, sched_ext_entity, sched_ext_ops, scx_dispatch_q, scx_exit_info, scx_rq, task_struct,
};
use core::mem::{offset_of, size_of};
use kernel::prelude::*;

/// What the crate reads directly, in the order of `scx_helper_layout()`.
const LAYOUT: &[(&str, usize)] = &[
    ("sizeof(task_struct)", size_of::<task_struct>()),
    ("task_struct.scx", offset_of!(task_struct, scx)),
    ("task_struct.pid", offset_of!(task_struct, pid)),
    ("task_struct.comm", offset_of!(task_struct, comm)),
    ("task_struct.policy", offset_of!(task_struct, policy)),
    ("task_struct.prio", offset_of!(task_struct, prio)),
    ("task_struct.flags", offset_of!(task_struct, flags)),
    (
        "task_struct.sched_class",
        offset_of!(task_struct, sched_class),
    ),
    (
        "task_struct.se.exec_start",
        offset_of!(task_struct, se.exec_start),
    ),
    (
        "task_struct.se.sched_delayed",
        offset_of!(task_struct, se.sched_delayed),
    ),
    ("sizeof(sched_ext_entity)", size_of::<sched_ext_entity>()),
    (
        "sched_ext_entity.ops_state",
        offset_of!(sched_ext_entity, ops_state),
    ),
    (
        "sched_ext_entity.slice",
        offset_of!(sched_ext_entity, slice),
    ),
    (
        "sched_ext_entity.dsq_vtime",
        offset_of!(sched_ext_entity, dsq_vtime),
    ),
    (
        "sched_ext_entity.tasks_node",
        offset_of!(sched_ext_entity, tasks_node),
    ),
    ("sizeof(scx_dispatch_q)", size_of::<scx_dispatch_q>()),
    ("scx_dispatch_q.rcu", offset_of!(scx_dispatch_q, rcu)),
    ("rq.cpu", offset_of!(rq, cpu)),
    ("rq.scx", offset_of!(rq, scx)),
    ("scx_rq.local_dsq", offset_of!(scx_rq, local_dsq)),
    ("scx_rq.flags", offset_of!(scx_rq, flags)),
    ("scx_rq.runnable_list", offset_of!(scx_rq, runnable_list)),
    ("sizeof(sched_ext_ops)", size_of::<sched_ext_ops>()),
    ("sched_ext_ops.name", offset_of!(sched_ext_ops, name)),
    ("sizeof(scx_exit_info)", size_of::<scx_exit_info>()),
];

/// Compares [`LAYOUT`] with the C compiler's view.
pub(crate) fn check() -> Result {
    let mut ok = true;
    for (i, (what, rust)) in LAYOUT.iter().enumerate() {
        // SAFETY: pure lookup in a C table.
        let c = unsafe { crate::bindings::scx_helper_layout(i as u32) } as usize;
        if c != *rust {
            pr_err!(
                "layout mismatch: {} is {} in C but {} in Rust\n",
                what,
                c,
                rust
            );
            ok = false;
        }
    }
    // SAFETY: as above; the table must not be longer than ours.
    if unsafe { crate::bindings::scx_helper_layout(LAYOUT.len() as u32) } != !0 {
        pr_err!("layout table lengths differ between C and Rust\n");
        ok = false;
    }
    if ok {
        Ok(())
    } else {
        Err(EINVAL)
    }
}
