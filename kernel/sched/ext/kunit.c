// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for the Rust sched_ext core: the pure logic that must hold on
 * every architecture, 32-bit included. The test cases are written in Rust
 * (tests.rs); this file only registers them with KUnit, which has no Rust
 * registration interface in this kernel.
 */
#include <kunit/test.h>

#include "kunit.h"

void scx_kunit_fail(struct kunit *test, const char *file, int line,
		    const char *cond)
{
	KUNIT_FAIL(test, "%s:%d: check failed: %s", file, line, cond);
}

/*
 * A static key for the inline-reads case to read the Rust way while C
 * switches it and tests it with static_branch_unlikely(), a patched jump
 * with CONFIG_JUMP_LABEL.
 */
static DEFINE_STATIC_KEY_FALSE(scx_kunit_static_key);

struct static_key *scx_kunit_key(void)
{
	return &scx_kunit_static_key.key;
}

void scx_kunit_key_set(bool on)
{
	if (on)
		static_branch_enable(&scx_kunit_static_key);
	else
		static_branch_disable(&scx_kunit_static_key);
}

bool scx_kunit_key_c(void)
{
	return static_branch_unlikely(&scx_kunit_static_key);
}

static struct kunit_case scx_rs_cases[] = {
	KUNIT_CASE(scx_rs_test_ops_state_encoding),
	KUNIT_CASE(scx_rs_test_qseq_wrap),
	KUNIT_CASE(scx_rs_test_ops_state_atomic),
	KUNIT_CASE(scx_rs_test_kf_nesting),
	KUNIT_CASE(scx_rs_test_kf_check),
	KUNIT_CASE(scx_rs_test_kf_scope),
	KUNIT_CASE(scx_rs_test_dsq_fifo),
	KUNIT_CASE(scx_rs_test_dsq_vtime),
	KUNIT_CASE(scx_rs_test_inline_reads),
	{}
};

static struct kunit_suite scx_rs_suite = {
	.name = "sched_ext_rust",
	.test_cases = scx_rs_cases,
};

kunit_test_suite(scx_rs_suite);

MODULE_LICENSE("GPL");
