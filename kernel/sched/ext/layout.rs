// SPDX-License-Identifier: GPL-2.0

//! A boot-time check that the bindings agree with C on struct layout.
//!
//! bindgen can get a layout wrong without any error: it once dropped the
//! cacheline alignment of the empty `struct sched_statistics`, which moved
//! every later `task_struct` field by 8 bytes. Every struct the crate
//! shares with C and every field of it that the crate touches is listed in
//! `layout.list`, from which the build generates both the table of
//! `offsetof()` and `sizeof()` that the C compiler computes
//! (`scx_helper_layout()`) and the one that Rust computes, compared here.
//! On a mismatch the kernel panics at boot, in `init_early()`, naming each
//! field that differs: that runs before the core writes any rq or task, and
//! every later access would use the wrong offsets.

#[allow(clippy::wildcard_imports)]
use crate::bindings::*;
use core::mem::{offset_of, size_of};
use kernel::prelude::*;

/// What the crate relies on, generated from `layout.list` in the order of
/// `scx_helper_layout()`, which is generated from the same list.
const LAYOUT: &[(&str, usize)] = &include!(concat!(
    env!("OBJTREE"),
    "/kernel/sched/ext/layout_generated.rs"
));

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
