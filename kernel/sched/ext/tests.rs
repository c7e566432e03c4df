// SPDX-License-Identifier: GPL-2.0

//! KUnit cases for the pure logic of the core, registered by kunit.c.
//!
//! They run on every architecture the kernel builds for; on 32-bit they
//! check that QSEQ really has 30 bits, which is where the C `atomic_long_t`
//! layout and the protocol meet.

use crate::bindings;
use crate::dsq::{self, Dsq, Order};
use crate::kf::{self, KfDenied, KfMask};
use crate::ops_state::{next_qseq, OpsState, OpsStateCell, OpssWord, QSEQ_MAX, QSEQ_SHIFT};
use crate::pcpu::IrqGuard;
use crate::task::{Task, TaskScx};
use kernel::prelude::*;
use kernel::types::Opaque;

/// The running test, `struct kunit`.
type Kunit = bindings::kunit;

/// Fails the test with the source location if `$cond` is false.
macro_rules! check {
    ($test:expr, $cond:expr) => {
        if !$cond {
            // SAFETY: `$test` is the running test; the strings are
            // NUL-terminated literals.
            unsafe {
                bindings::scx_kunit_fail(
                    $test,
                    concat!(file!(), "\0").as_ptr().cast(),
                    line!() as i32,
                    concat!(stringify!($cond), "\0").as_ptr().cast(),
                )
            };
        }
    };
}

#[no_mangle]
extern "C" fn scx_rs_test_ops_state_encoding(t: *mut Kunit) {
    for st in [
        OpsState::None,
        OpsState::Queueing,
        OpsState::Queued,
        OpsState::Dispatching,
    ] {
        for q in [0, 1, 2, 12345, QSEQ_MAX - 1, QSEQ_MAX] {
            let w = OpssWord::new(st, q);
            check!(t, w.state() == st);
            check!(t, w.qseq() == q);
            check!(t, OpssWord::from_raw(w.to_raw()) == w);
        }
    }
    // The state lives in the low bits, matching the C SCX_OPSS_* values.
    check!(
        t,
        OpssWord::new(OpsState::Queued, 1).to_raw() == (1 << QSEQ_SHIFT) | 2
    );
    check!(
        t,
        OpssWord::new(OpsState::None, 0).to_raw() == bindings::SCX_OPSS_NONE as isize
    );
    check!(
        t,
        OpssWord::new(OpsState::Dispatching, 0).to_raw() == bindings::SCX_OPSS_DISPATCHING as isize
    );
    // QSEQ is the width of unsigned long minus the state bits.
    check!(t, QSEQ_MAX == usize::MAX >> 2);
    check!(t, usize::BITS != 32 || QSEQ_MAX == (1 << 30) - 1);
    check!(
        t,
        core::mem::size_of::<bindings::atomic_long_t>() == core::mem::size_of::<usize>()
    );
}

#[no_mangle]
extern "C" fn scx_rs_test_qseq_wrap(t: *mut Kunit) {
    check!(t, next_qseq(0) == 1);
    check!(t, next_qseq(41) == 42);
    // Wrapping skips 0, so a requeued task never looks never-queued.
    check!(t, next_qseq(u32::MAX) == 1);
    if usize::BITS == 32 {
        // On 32-bit, QSEQ has 30 bits and wraps there, not at 2^32.
        check!(t, next_qseq((1 << 30) - 2) == (1 << 30) - 1);
        check!(t, next_qseq((1 << 30) - 1) == 1);
        let w = OpssWord::new(OpsState::Queued, next_qseq((1 << 30) - 2) as usize);
        check!(
            t,
            w.state() == OpsState::Queued && w.qseq() == (1 << 30) - 1
        );
        // A qseq past the width is truncated, never spilling into the state.
        check!(
            t,
            OpssWord::new(OpsState::Queueing, 1 << 30).state() == OpsState::Queueing
        );
        check!(t, OpssWord::new(OpsState::Queueing, 1 << 30).qseq() == 0);
    } else {
        check!(t, next_qseq((1 << 30) - 1) == 1 << 30);
    }
}

#[no_mangle]
extern "C" fn scx_rs_test_ops_state_atomic(t: *mut Kunit) {
    // SAFETY: zeroed is a valid atomic_long_t holding 0.
    let v: Opaque<bindings::atomic_long_t> = Opaque::new(unsafe { core::mem::zeroed() });
    // SAFETY: `v` outlives the borrow and is only used through it.
    let cell = unsafe { OpsStateCell::from_raw(v.get()) };
    check!(t, cell.read().state() == OpsState::None);
    let queued = OpssWord::new(OpsState::Queued, 7);
    cell.set_release(queued);
    check!(t, cell.read_acquire() == queued);
    // A dispatcher holding a stale QSEQ must lose.
    let stale = OpssWord::new(OpsState::Queued, 6);
    check!(
        t,
        cell.try_cmpxchg(stale, OpssWord::new(OpsState::Dispatching, 0)) == Err(queued)
    );
    check!(
        t,
        cell.try_cmpxchg(queued, OpssWord::new(OpsState::Dispatching, 0))
            .is_ok()
    );
    check!(t, cell.read().state() == OpsState::Dispatching);
    cell.set(OpssWord::new(OpsState::None, 0));
    // Returns at once: the word is not the one waited on.
    cell.wait_while(OpssWord::new(OpsState::Dispatching, 0));
    check!(t, cell.read().state() == OpsState::None);
}

#[no_mangle]
extern "C" fn scx_rs_test_kf_nesting(t: *mut Kunit) {
    let (cr, d, e, s, r) = (
        KfMask::CPU_RELEASE,
        KfMask::DISPATCH,
        KfMask::ENQUEUE,
        KfMask::SELECT_CPU,
        KfMask::REST,
    );
    // Anything may start from no context.
    for m in [cr, d, e, e.or(s), r] {
        check!(t, KfMask::UNLOCKED.can_nest(m));
    }
    // Only towards higher bits.
    check!(t, cr.can_nest(e));
    check!(t, d.can_nest(r));
    check!(t, d.can_nest(e.or(s)));
    check!(t, !r.can_nest(e));
    check!(t, !r.can_nest(r));
    check!(t, !e.can_nest(d));
    check!(t, !d.can_nest(cr));
    check!(t, !e.or(s).can_nest(e));
}

#[no_mangle]
extern "C" fn scx_rs_test_kf_check(t: *mut Kunit) {
    let (d, e, s, r) = (
        KfMask::DISPATCH,
        KfMask::ENQUEUE,
        KfMask::SELECT_CPU,
        KfMask::REST,
    );
    // scx_bpf_dispatch() from ops.enqueue(), ops.dispatch(), ops.select_cpu().
    check!(t, e.check(e.or(d)).is_ok());
    check!(t, d.check(e.or(d)).is_ok());
    check!(t, e.or(s).check(e.or(d)).is_ok());
    // scx_bpf_select_cpu_dfl() from ops.enqueue(): the enq_select_cpu_fails
    // selftest.
    check!(t, e.check(s) == Err(KfDenied::Context));
    check!(t, KfMask::UNLOCKED.check(d) == Err(KfDenied::Context));
    // scx_bpf_consume() from ops.dequeue() nested in ops.dispatch().
    check!(t, d.or(r).check(d) == Err(KfDenied::NestedDispatch));
    check!(
        t,
        KfMask::CPU_RELEASE.or(e).check(KfMask::CPU_RELEASE) == Err(KfDenied::NestedCpuRelease)
    );
}

#[no_mangle]
extern "C" fn scx_rs_test_kf_scope(t: *mut Kunit) {
    let cur = Task::current();
    let before = cur.kf_mask();
    check!(t, before == 0);
    kf::scoped(KfMask::DISPATCH, || {
        check!(t, cur.kf_mask() == KfMask::DISPATCH.0);
        kf::scoped(KfMask::REST, || {
            check!(t, cur.kf_mask() == KfMask::DISPATCH.or(KfMask::REST).0);
        });
        check!(t, cur.kf_mask() == KfMask::DISPATCH.0);
    });
    check!(t, cur.kf_mask() == before);
}

/// A zero-filled heap allocation: task_struct is too large for the stack.
fn zeroed_box<T>() -> Result<KBox<T>> {
    let mut b = KBox::<T>::new_uninit(GFP_KERNEL)?;
    // SAFETY: the allocation is ours and sized for one `T`.
    unsafe { core::ptr::write_bytes(b.as_mut_ptr(), 0, 1) };
    // SAFETY: the types used here (C structs) are valid when all-zero.
    Ok(unsafe { b.assume_init() })
}

/// A DSQ and zeroed tasks that only the DSQ code looks at.
struct Fixture {
    dsq: KBox<bindings::scx_dispatch_q>,
    tasks: KVec<KBox<bindings::task_struct>>,
}

impl Fixture {
    fn new(n: usize) -> Result<Self> {
        let dsq = zeroed_box::<bindings::scx_dispatch_q>()?;
        // SAFETY: we own the allocation.
        unsafe { Dsq::init(&*dsq as *const _ as *mut _, 0x1234) };
        let mut tasks = KVec::new();
        for _ in 0..n {
            // A zeroed task_struct is enough for the DSQ code, which only
            // touches `scx`; init_entity() sets that up.
            let mut p = zeroed_box::<bindings::task_struct>()?;
            // SAFETY: the entity is ours.
            unsafe { crate::abi::init_entity(&mut p.scx) };
            tasks.push(p, GFP_KERNEL)?;
        }
        Ok(Fixture { dsq, tasks })
    }

    fn dsq(&self) -> &Dsq {
        // SAFETY: initialised in `new`, lives as long as `self`.
        unsafe { Dsq::from_raw(&*self.dsq as *const _ as *mut _) }
    }

    fn task(&self, i: usize) -> &Task {
        // SAFETY: lives as long as `self`.
        unsafe { Task::from_raw(&*self.tasks[i]) }
    }

    fn scx(&self, i: usize) -> TaskScx<'_> {
        // SAFETY: the fixture's tasks are on no rq; only this test uses them.
        unsafe { TaskScx::assume(self.task(i)) }
    }

    /// The indices of the queued tasks, in queue order.
    fn order(&self) -> KVec<usize> {
        let mut v = KVec::new();
        let q = self.dsq().lock();
        let mut cur = q.first();
        while let Some(p) = cur {
            if let Some(i) = (0..self.tasks.len()).find(|&i| core::ptr::eq(self.task(i), p)) {
                let _ = v.push(i, GFP_ATOMIC);
            }
            cur = q.next(p);
        }
        v
    }
}

#[no_mangle]
extern "C" fn scx_rs_test_dsq_fifo(t: *mut Kunit) {
    let f = match Fixture::new(4) {
        Ok(f) => f,
        Err(_) => {
            check!(t, false);
            return;
        }
    };
    // DSQ locks are always taken with interrupts off outside the tests,
    // and lockdep must see the tests do the same.
    let _irq = IrqGuard::new();
    {
        let q = f.dsq().lock();
        q.push(f.scx(0), Order::Tail, 0);
        q.push(f.scx(1), Order::Tail, 0);
        q.push(f.scx(2), Order::Head, 0);
        q.push(f.scx(3), Order::Tail, 0);
        check!(t, !q.has_vtime_tasks() && q.has_fifo_tasks());
    }
    check!(t, f.dsq().nr() == 4);
    check!(t, f.order()[..] == [2, 0, 1, 3]);
    check!(t, f.scx(1).dsq() == f.dsq().as_ptr());
    {
        let q = f.dsq().lock();
        // SAFETY: queued on this DSQ above.
        unsafe { q.remove(f.task(0)) };
    }
    check!(t, f.dsq().nr() == 3);
    check!(t, f.order()[..] == [2, 1, 3]);
    let q = f.dsq().lock();
    for i in [1, 2, 3] {
        // SAFETY: queued on this DSQ above.
        unsafe { q.remove(f.task(i)) };
    }
    check!(t, q.first().is_none());
}

#[no_mangle]
extern "C" fn scx_rs_test_dsq_vtime(t: *mut Kunit) {
    let f = match Fixture::new(6) {
        Ok(f) => f,
        Err(_) => {
            check!(t, false);
            return;
        }
    };
    // Out of order, with a tie and a wrapped vtime: u64::MAX - 5 is before
    // 10 modulo 2^64, as time_before64() sees it.
    let vt = [30u64, 10, 50, 30, u64::MAX - 5, 20];
    // DSQ locks are always taken with interrupts off outside the tests,
    // and lockdep must see the tests do the same.
    let _irq = IrqGuard::new();
    {
        let q = f.dsq().lock();
        for (i, v) in vt.iter().enumerate() {
            f.scx(i).set_dsq_vtime(*v);
            q.push(f.scx(i), Order::Vtime, 0);
        }
        check!(t, q.has_vtime_tasks() && !q.has_fifo_tasks());
    }
    // Equal vtimes keep insertion order (0 before 3).
    check!(t, f.order()[..] == [4, 1, 5, 0, 3, 2]);
    {
        let q = f.dsq().lock();
        // SAFETY: queued on this DSQ above.
        unsafe { q.remove(f.task(1)) };
        // SAFETY: queued on this DSQ above.
        unsafe { q.remove(f.task(2)) };
        f.scx(1).set_dsq_vtime(25);
        q.push(f.scx(1), Order::Vtime, 0);
    }
    check!(t, f.order()[..] == [4, 5, 1, 0, 3]);
    check!(t, dsq::vtime_before(u64::MAX, 0));
    check!(t, !dsq::vtime_before(0, u64::MAX));
    let q = f.dsq().lock();
    for i in [0, 1, 3, 4, 5] {
        // SAFETY: queued on this DSQ above.
        unsafe { q.remove(f.task(i)) };
    }
    check!(
        t,
        !q.has_vtime_tasks() && q.first().is_none() && f.dsq().nr() == 0
    );
}

/// The inline reads of C state (`crate::arch`, `crate::rq`) against C's
/// own functions, on every architecture, whichever of them is inline there.
#[no_mangle]
extern "C" fn scx_rs_test_inline_reads(t: *mut Kunit) {
    for cpu in crate::rq::possible_cpus() {
        let id = cpu.id();
        // SAFETY: the C functions read global masks and per-CPU data of a
        // possible CPU.
        let (active, online, node) = unsafe {
            (
                bindings::scx_helper_cpu_active(id),
                bindings::scx_helper_cpu_online(id),
                bindings::scx_helper_cpu_to_node(id),
            )
        };
        check!(t, cpu.active() == active && cpu.online() == online);
        // SAFETY: `id` is a possible CPU.
        check!(t, unsafe { crate::arch::cpu_to_node(id as u32) } == node);
        check!(t, crate::rq::Cpu::new(id) == Some(cpu));
    }
    check!(
        t,
        crate::rq::Cpu::new(crate::rq::nr_cpu_ids() as i32).is_none()
    );
    // SAFETY: the C functions read static keys.
    let (enabled, smt) = unsafe {
        (
            bindings::scx_helper_scx_enabled(),
            bindings::scx_helper_sched_smt_active(),
        )
    };
    check!(
        t,
        crate::scx_enabled() == enabled && crate::idle::smt_active() == smt
    );
    #[cfg(CONFIG_SCHED_CORE)]
    {
        // SAFETY: as above.
        let core_off = unsafe { bindings::scx_helper_sched_core_disabled() };
        check!(t, crate::rq::sched_core_disabled() == core_off);
    }
    let me = Task::current();
    // SAFETY: the C function reads a field of the running task.
    let cpus = unsafe { bindings::scx_helper_task_cpus_ptr(me.as_ptr()) };
    check!(t, me.cpus_ptr() == cpus);
    // A key of our own, switched by C both ways: the global keys above are
    // all off at boot in most guests.
    // SAFETY: the suite's key, which lives forever.
    let key = unsafe { bindings::scx_kunit_key() };
    // Rust's read and C's of the key.
    // SAFETY: as above; C reads its own key.
    let read = || unsafe {
        (
            crate::arch::static_key_enabled(key),
            bindings::scx_kunit_key_c(),
        )
    };
    check!(t, read() == (false, false));
    // SAFETY: C switches its own key, from this sleepable test thread.
    unsafe { bindings::scx_kunit_key_set(true) };
    check!(t, read() == (true, true));
    // SAFETY: as above.
    unsafe { bindings::scx_kunit_key_set(false) };
    check!(t, read() == (false, false));
    // The bit operations, on a mask of our own that C reads back; on the
    // heap, as a cpumask can be 1 KiB.
    let mut mask = match zeroed_box::<bindings::cpumask>() {
        Ok(m) => m,
        Err(_) => {
            check!(t, false);
            return;
        }
    };
    let mask: *mut bindings::cpumask = &mut *mask;
    // SAFETY: the box outlives the set, and the mask is only changed
    // through it.
    let set = unsafe { crate::rq::CpuSet::from_raw(mask) };
    for cpu in crate::rq::possible_cpus() {
        // SAFETY: C reads the mask, a valid one, at a possible CPU.
        let c_test = || unsafe { bindings::scx_helper_cpumask_test_cpu(cpu.id(), mask) };
        check!(t, !set.test(cpu) && !c_test());
        set.set(cpu);
        check!(t, set.test(cpu) && c_test());
        check!(t, set.test_and_clear(cpu) && !c_test());
        check!(t, !set.test_and_clear(cpu));
        set.set(cpu);
        set.clear(cpu);
        check!(t, !set.test(cpu) && !c_test());
        // Left set, so that the next CPU's bit is tested beside a set one.
        set.set(cpu);
    }
    check!(t, set.iter().eq(crate::rq::possible_cpus()));
}

crate::bindings::check_prototypes! {
    scx_rs_test_ops_state_encoding,
    scx_rs_test_qseq_wrap,
    scx_rs_test_ops_state_atomic,
    scx_rs_test_kf_nesting,
    scx_rs_test_kf_check,
    scx_rs_test_kf_scope,
    scx_rs_test_dsq_fifo,
    scx_rs_test_dsq_vtime,
    scx_rs_test_inline_reads,
}
