//! Synchronous check work — file reads, `statvfs`, `/proc` and cgroup files — run on tokio's
//! blocking pool, never on the async workers: a read that blocks (a hung NFS mount, a FIFO)
//! makes its check time out instead of freezing `/health/live`. At most one call per check
//! is in flight, so a read stuck for good holds one thread, not one per refresh.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::AcqRel, Ordering::Release};

use crate::check::{BoxFuture, Check, CheckOutput};

/// The output while an earlier call of the same check is still blocked.
pub(crate) const STILL_BLOCKED: &str = "previous run still blocked";

/// Clears the in-flight flag when the blocking call ends (returns, panics, or is never run
/// because the runtime is shutting down).
struct Busy(Arc<AtomicBool>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.store(false, Release);
    }
}

/// Runs `work` on the blocking pool unless the previous call guarded by `busy` is still
/// running; then the check fails at once with [`STILL_BLOCKED`].
pub(crate) async fn off_the_workers<F>(busy: &Arc<AtomicBool>, work: F) -> CheckOutput
where
    F: FnOnce() -> CheckOutput + Send + 'static,
{
    if busy.swap(true, AcqRel) {
        return CheckOutput::fail(STILL_BLOCKED);
    }
    let guard = Busy(Arc::clone(busy));
    let call = tokio::task::spawn_blocking(move || {
        let _guard = guard;
        work()
    });
    // Dropping the handle on timeout detaches the thread; the flag stays set until it ends.
    call.await
        .unwrap_or_else(|_| CheckOutput::fail("check panicked"))
}

/// A check written as a synchronous function (reading a file, calling a blocking driver),
/// run on tokio's blocking pool under the registration's timeout. While an earlier run is
/// still blocked, a run fails at once with "previous run still blocked" instead of taking
/// another thread.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use steadfast_core::Status;
/// use steadfast_healthcheck::{BlockingCheck, Check, CheckOutput};
///
/// let check = BlockingCheck::new(|| match std::fs::metadata("/") {
///     Ok(_) => CheckOutput::pass(),
///     Err(_) => CheckOutput::fail("root unreadable"),
/// });
/// assert_eq!(check.check().await.status, Status::Pass);
/// # });
/// ```
pub struct BlockingCheck<F> {
    work: Arc<F>,
    busy: Arc<AtomicBool>,
}

impl<F> BlockingCheck<F>
where
    F: Fn() -> CheckOutput + Send + Sync + 'static,
{
    /// A check that calls `work` on the blocking pool.
    pub fn new(work: F) -> Self {
        Self {
            work: Arc::new(work),
            busy: Arc::new(AtomicBool::new(false)),
        }
    }
}

impl<F> std::fmt::Debug for BlockingCheck<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockingCheck").finish_non_exhaustive()
    }
}

impl<F> Check for BlockingCheck<F>
where
    F: Fn() -> CheckOutput + Send + Sync + 'static,
{
    fn check(&self) -> BoxFuture<'_, CheckOutput> {
        let work = Arc::clone(&self.work);
        Box::pin(off_the_workers(&self.busy, move || work()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    #[tokio::test]
    async fn a_stuck_call_holds_one_thread_and_later_runs_fail_at_once() {
        let (release, wait) = mpsc::channel::<()>(); // dropped to release
        let wait = std::sync::Mutex::new(wait);
        let calls = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let counted = Arc::clone(&calls);
        let check = BlockingCheck::new(move || {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let _ = wait.lock().map(|w| w.recv());
            CheckOutput::pass()
        });
        let first = tokio::time::timeout(Duration::from_millis(50), check.check()).await;
        assert!(first.is_err(), "the first call is stuck");
        for _ in 0..5 {
            assert_eq!(check.check().await.output, Some(STILL_BLOCKED));
        }
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
        drop(release);
        // Once the stuck call returns, the check runs again.
        let mut out = check.check().await;
        for _ in 0..100 {
            if out.output != Some(STILL_BLOCKED) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
            out = check.check().await;
        }
        assert_eq!(out.status, steadfast_core::Status::Pass);
    }
}
