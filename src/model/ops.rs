//! A count of the steps whose number could grow faster than n log n on hostile input
//! (comparisons between copies of one span id, lookups by id or key), so that tests can check
//! how the count grows with the input instead of timing it. Counted per thread, in test builds
//! only: a release build pays nothing.

#[cfg(test)]
thread_local! {
    static STEPS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Counts `n` steps.
#[inline(always)]
pub(crate) fn count(n: u64) {
    #[cfg(test)]
    STEPS.with(|c| c.set(c.get() + n));
    #[cfg(not(test))]
    let _ = n;
}

/// The steps counted on this thread since the last call.
#[cfg(test)]
pub(crate) fn take() -> u64 {
    STEPS.with(|c| c.replace(0))
}

/// Runs `f` on a one-thread pool (so that parallel work is counted on one thread) and returns
/// its result with the steps it counted.
#[cfg(test)]
pub(crate) fn counted<T: Send>(f: impl FnOnce() -> T + Send) -> (T, u64) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a one-thread pool");
    pool.install(|| {
        take();
        let out = f();
        (out, take())
    })
}

/// Asserts that `steps(n)` grows no faster than n log n between the two sizes (with room for
/// constant terms), given the counts at `small` and `large` inputs.
#[cfg(test)]
pub(crate) fn assert_n_log_n(
    what: &str,
    (small, small_steps): (u64, u64),
    (large, large_steps): (u64, u64),
) {
    let n_log_n = |n: u64| n as f64 * (n as f64).log2();
    let allowed = 1.5 * n_log_n(large) / n_log_n(small);
    let grew = large_steps as f64 / small_steps.max(1) as f64;
    assert!(
        small_steps > 0 && grew <= allowed,
        "{what}: {small_steps} steps at n={small}, {large_steps} at n={large}: grew {grew:.1}x, \
         n log n allows {allowed:.1}x"
    );
}

/// `assert_n_log_n` of `steps` counted at 10,000 and 100,000: large enough for the constant
/// terms to fade, small enough for a test.
#[cfg(test)]
pub(crate) fn assert_steps_n_log_n(what: &str, steps: impl Fn(u64) -> u64) {
    assert_n_log_n(what, (10_000, steps(10_000)), (100_000, steps(100_000)));
}
