/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __DESTROY_DSQ_DISPATCH_TEST_H__
#define __DESTROY_DSQ_DISPATCH_TEST_H__

/* The DSQs that ops.dispatch() destroys, one a call. */
#define FIRST_VICTIM_DSQ	1
#define NR_VICTIM_DSQS		512

#endif /* __DESTROY_DSQ_DISPATCH_TEST_H__ */
