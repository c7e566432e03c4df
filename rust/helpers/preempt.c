// SPDX-License-Identifier: GPL-2.0

#include <linux/lockdep.h>
#include <linux/preempt.h>
#include <linux/smp.h>

void rust_helper_preempt_disable(void)
{
	preempt_disable();
}

void rust_helper_preempt_enable(void)
{
	preempt_enable();
}

void rust_helper_lockdep_assert_preemption_disabled(void)
{
	lockdep_assert_preemption_disabled();
}

unsigned int rust_helper_smp_processor_id(void)
{
	return smp_processor_id();
}
