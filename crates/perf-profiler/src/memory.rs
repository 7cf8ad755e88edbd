//! Process memory: resident set size and its peak, sampled on a background thread (feature
//! `memory`, through sysinfo) and attached to snapshots.

use serde::{Deserialize, Serialize};

use crate::Profiler;

/// Process memory as last sampled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryStats {
    /// Resident set size, bytes.
    pub rss_bytes: u64,
    /// Largest RSS seen by the sampler, bytes.
    pub peak_rss_bytes: u64,
    /// Samples taken.
    pub samples: u64,
}

pub(crate) fn latest(profiler: &Profiler) -> Option<MemoryStats> {
    *profiler
        .shared
        .memory
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(feature = "memory")]
pub use sampler::MemorySampler;

#[cfg(feature = "memory")]
mod sampler {
    use std::sync::Arc;
    use std::sync::mpsc::{self, RecvTimeoutError, Sender};
    use std::thread::JoinHandle;
    use std::time::Duration;

    use super::MemoryStats;
    use crate::Profiler;

    /// Samples the process's RSS every `interval` until dropped; snapshots of the profiler
    /// carry the latest value and the peak.
    ///
    /// ```
    /// let profiler = steadfast_perf_profiler::Profiler::new();
    /// let sampler = steadfast_perf_profiler::MemorySampler::start(&profiler, std::time::Duration::from_millis(50));
    /// sampler.sample_now();
    /// assert!(profiler.snapshot().memory.unwrap().rss_bytes > 0);
    /// ```
    pub struct MemorySampler {
        profiler: Profiler,
        on_sample: Arc<OnSample>,
        stop: Option<Sender<()>>,
        thread: Option<JoinHandle<()>>,
    }

    /// Called with each sample's RSS in bytes.
    type OnSample = dyn Fn(u64) + Send + Sync;

    impl std::fmt::Debug for MemorySampler {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("MemorySampler").finish_non_exhaustive()
        }
    }

    impl MemorySampler {
        /// Starts sampling on a background thread.
        pub fn start(profiler: &Profiler, interval: Duration) -> Self {
            Self::start_with(profiler, interval, |_| {})
        }

        /// Starts sampling, calling `on_sample` with each sample's RSS in bytes (a run's
        /// memory gauge in its metrics file, say — the run page draws it).
        ///
        /// ```
        /// use std::sync::{Arc, atomic::{AtomicU64, Ordering::Relaxed}};
        ///
        /// let seen = Arc::new(AtomicU64::new(0));
        /// let last = Arc::clone(&seen);
        /// let profiler = steadfast_perf_profiler::Profiler::new();
        /// let sampler = steadfast_perf_profiler::MemorySampler::start_with(
        ///     &profiler,
        ///     std::time::Duration::from_secs(60),
        ///     move |rss| last.store(rss, Relaxed),
        /// );
        /// sampler.sample_now();
        /// assert!(seen.load(Relaxed) > 0);
        /// ```
        pub fn start_with(
            profiler: &Profiler,
            interval: Duration,
            on_sample: impl Fn(u64) + Send + Sync + 'static,
        ) -> Self {
            let on_sample: Arc<OnSample> = Arc::new(on_sample);
            let (tx, rx) = mpsc::channel::<()>();
            let p = profiler.clone();
            let hook = Arc::clone(&on_sample);
            let thread = std::thread::Builder::new()
                .name("steadfast-memory".into())
                .spawn(move || {
                    loop {
                        sample(&p, &*hook);
                        match rx.recv_timeout(interval) {
                            Err(RecvTimeoutError::Timeout) => {}
                            _ => return,
                        }
                    }
                })
                .ok();
            Self {
                profiler: profiler.clone(),
                on_sample,
                stop: Some(tx),
                thread,
            }
        }

        /// Takes one sample now, on this thread.
        pub fn sample_now(&self) {
            sample(&self.profiler, &*self.on_sample);
        }
    }

    impl Drop for MemorySampler {
        fn drop(&mut self) {
            drop(self.stop.take());
            if let Some(t) = self.thread.take() {
                let _ = t.join();
            }
        }
    }

    fn sample(profiler: &Profiler, on_sample: &OnSample) {
        let Ok(pid) = sysinfo::get_current_pid() else {
            return;
        };
        let Ok(mut system) = sysinfo::System::new() else {
            return;
        };
        system.refresh_processes_specifics(
            sysinfo::ProcessesToUpdate::Some(&[pid]),
            true,
            sysinfo::ProcessRefreshKind::nothing().with_memory(),
        );
        let Some(rss) = system.process(pid).map(sysinfo::Process::memory) else {
            return;
        };
        on_sample(rss);
        let mut slot = profiler
            .shared
            .memory
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let prev = slot.unwrap_or(MemoryStats {
            rss_bytes: 0,
            peak_rss_bytes: 0,
            samples: 0,
        });
        *slot = Some(MemoryStats {
            rss_bytes: rss,
            peak_rss_bytes: prev.peak_rss_bytes.max(rss),
            samples: prev.samples + 1,
        });
    }
}
