/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The KUnit cases of the Rust sched_ext core, implemented in tests.rs, and
 * the failure report they call back into.
 */
#ifndef _KERNEL_SCHED_EXT_KUNIT_H
#define _KERNEL_SCHED_EXT_KUNIT_H

struct kunit;

void scx_rs_test_ops_state_encoding(struct kunit *test);
void scx_rs_test_qseq_wrap(struct kunit *test);
void scx_rs_test_ops_state_atomic(struct kunit *test);
void scx_rs_test_kf_nesting(struct kunit *test);
void scx_rs_test_kf_check(struct kunit *test);
void scx_rs_test_kf_scope(struct kunit *test);
void scx_rs_test_dsq_fifo(struct kunit *test);
void scx_rs_test_dsq_vtime(struct kunit *test);
void scx_rs_test_inline_reads(struct kunit *test);

/* A static key of the suite's own, switched and read by C. */
struct static_key;
struct static_key *scx_kunit_key(void);
void scx_kunit_key_set(bool on);
bool scx_kunit_key_c(void);

/* Called from Rust when a check fails. */
void scx_kunit_fail(struct kunit *test, const char *file, int line,
		    const char *cond);

#endif /* _KERNEL_SCHED_EXT_KUNIT_H */
