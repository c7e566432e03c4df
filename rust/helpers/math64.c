// SPDX-License-Identifier: GPL-2.0

#include <linux/math64.h>

/*
 * On 64-bit architectures these are static inlines; on 32-bit ones some are
 * real functions.  Either way, Rust reaches them through these helpers.
 */

u64 rust_helper_div64_u64_rem(u64 dividend, u64 divisor, u64 *remainder)
{
	return div64_u64_rem(dividend, divisor, remainder);
}

u64 rust_helper_div64_u64(u64 dividend, u64 divisor)
{
	return div64_u64(dividend, divisor);
}

u64 rust_helper_div_u64_rem(u64 dividend, u32 divisor, u32 *remainder)
{
	return div_u64_rem(dividend, divisor, remainder);
}
