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
    #[derive(Debug)]
    pub struct MemorySampler {
        profiler: Profiler,
        stop: Option<Sender<()>>,
        thread: Option<JoinHandle<()>>,
    }

    impl MemorySampler {
        /// Starts sampling on a background thread.
        pub fn start(profiler: &Profiler, interval: Duration) -> Self {
            let (tx, rx) = mpsc::channel::<()>();
            let p = profiler.clone();
            let thread = std::thread::Builder::new()
                .name("steadfast-memory".into())
                .spawn(move || {
                    loop {
                        sample(&p);
                        match rx.recv_timeout(interval) {
                            Err(RecvTimeoutError::Timeout) => {}
                            _ => return,
                        }
                    }
                })
                .ok();
            Self {
                profiler: profiler.clone(),
                stop: Some(tx),
                thread,
            }
        }

        /// Takes one sample now, on this thread.
        pub fn sample_now(&self) {
            sample(&self.profiler);
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

    fn sample(profiler: &Profiler) {
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
