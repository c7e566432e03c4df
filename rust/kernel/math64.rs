// SPDX-License-Identifier: GPL-2.0

//! Division of 64-bit integers.
//!
//! C header: [`include/linux/math64.h`](srctree/include/linux/math64.h)
//!
//! On a 32-bit architecture, `/` and `%` on `u64` compile to a call into a
//! run-time library routine; on 32-bit arm the kernel deliberately has none
//! for C code, so that every 64-bit division is written down as one.  Kernel
//! Rust code follows the same rule and divides 64-bit values with these
//! functions, which use the hardware where it divides 64 bits and the
//! kernel's own routine where it does not.
//!
//! The divisors are [`NonZeroU64`] and [`NonZeroU32`], so a division by zero
//! is ruled out where the divisor is made rather than checked here.
//!
//! # Examples
//!
//! ```
//! use core::num::{NonZeroU32, NonZeroU64};
//! use kernel::math64::{div64_u64, div64_u64_rem, div_u64_rem};
//!
//! let ten = NonZeroU64::new(10).unwrap();
//! assert_eq!(div64_u64(u64::MAX, ten), 1_844_674_407_370_955_161);
//! assert_eq!(div64_u64_rem(u64::MAX, ten), (1_844_674_407_370_955_161, 5));
//!
//! // A divisor above 32 bits takes the slow path on 32-bit architectures.
//! let big = NonZeroU64::new((1 << 40) + 3).unwrap();
//! assert_eq!(div64_u64_rem(u64::MAX, big), (16_777_215, 1_099_461_296_130));
//! assert_eq!(div64_u64_rem(7, big), (0, 7));
//!
//! let billion = NonZeroU32::new(1_000_000_000).unwrap();
//! assert_eq!(div_u64_rem(12_345_678_901_234, billion), (12_345, 678_901_234));
//! ```
//!
//! `core` cannot follow the rule: it formats integers by dividing them.  On
//! 32-bit arm, `compiler_builtins` gives it `__aeabi_uldivmod` and
//! `__aeabi_ldivmod` on top of the kernel's routine.  Formatting the extremes
//! checks that they give the right digits, and the divisions below check the
//! signs, the one place where native `/` on 64-bit values is meant:
//!
//! ```
//! use core::hint::black_box;
//! use kernel::{fmt, str::CString};
//!
//! let s = CString::try_from_fmt(fmt!("{} {} {}", u64::MAX, i64::MIN, 1u64 << 63))?;
//! assert_eq!(
//!     s.as_bytes(),
//!     b"18446744073709551615 -9223372036854775808 9223372036854775808"
//! );
//!
//! // `black_box` keeps the compiler from folding these at build time.
//! let (n, d) = (black_box(-7_000_000_000_007i64), black_box(2_000_000_000_000i64));
//! assert_eq!((n / d, n % d), (-3, -1_000_000_000_007));
//! assert_eq!((n / -d, n % -d), (3, -1_000_000_000_007));
//! assert_eq!((-n / -d, -n % -d), (-3, 1_000_000_000_007));
//! assert_eq!(black_box(u64::MAX) / black_box(3), 6_148_914_691_236_517_205);
//! # Ok::<(), Error>(())
//! ```

use crate::bindings;
use core::num::{NonZeroU32, NonZeroU64};

/// Returns the quotient and the remainder of `dividend / divisor`.
pub fn div64_u64_rem(dividend: u64, divisor: NonZeroU64) -> (u64, u64) {
    let mut remainder = 0;
    // SAFETY: `remainder` is a local, valid for the write, and the divisor is
    // not zero.
    let quotient = unsafe { bindings::div64_u64_rem(dividend, divisor.get(), &mut remainder) };
    (quotient, remainder)
}

/// Returns `dividend / divisor`.
pub fn div64_u64(dividend: u64, divisor: NonZeroU64) -> u64 {
    // SAFETY: The divisor is not zero; the function has no other requirement.
    unsafe { bindings::div64_u64(dividend, divisor.get()) }
}

/// Returns the quotient and the remainder of `dividend / divisor`, for a
/// 32-bit divisor, which is cheaper than a 64-bit one on 32-bit architectures.
pub fn div_u64_rem(dividend: u64, divisor: NonZeroU32) -> (u64, u32) {
    let mut remainder = 0;
    // SAFETY: `remainder` is a local, valid for the write, and the divisor is
    // not zero.
    let quotient = unsafe { bindings::div_u64_rem(dividend, divisor.get(), &mut remainder) };
    (quotient, remainder)
}
