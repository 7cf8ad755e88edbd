//! [`Run::serve`]: the run's health and metrics server from `[health]`, in one call.
//!
//! The checks are `[[health.checks]]` when declared, else the standard set (alive,
//! scheduling lag, the runs root's disk against `[disk]`'s watermarks, memory); a
//! `run:state` readiness check follows the run (pass while it runs, warn once finished,
//! fail once aborted). `/metrics` serves the run's registry — every series of what the run
//! runs, the checks' and the server's own requests.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering::Relaxed};
use std::time::Duration;

use steadfast_healthcheck::{CheckOutput, Group, HealthRegistry, Registration, ServerOptions};

use crate::Run;
use crate::error::RunError;

/// How long a stopping server's runtime waits for a check stuck in blocking work (a read
/// on a hung mount) before it is left behind.
const BLOCKING_GRACE: Duration = Duration::from_secs(1);

/// Where a run is, as its readiness check sees it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Liveness(Arc<AtomicU8>);

impl Liveness {
    const RUNNING: u8 = 0;
    const FINISHED: u8 = 1;
    const ABORTED: u8 = 2;

    pub(crate) fn finished(&self) {
        self.0.store(Self::FINISHED, Relaxed);
    }

    pub(crate) fn aborted(&self) {
        self.0.store(Self::ABORTED, Relaxed);
    }

    fn output(&self) -> CheckOutput {
        match self.0.load(Relaxed) {
            Self::RUNNING => CheckOutput::pass(),
            Self::FINISHED => CheckOutput::warn("the run finished"),
            _ => CheckOutput::fail("the run was aborted"),
        }
    }
}

/// The run's health server, on a runtime of its own thread (the pipeline keeps its
/// thread). It serves until dropped or [`stop`](Self::stop)ped — past the run's finish, if
/// kept — and drains first: readiness answers 503 for `[health] drain`.
#[derive(Debug)]
pub struct RunServer {
    addr: SocketAddr,
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RunServer {
    /// The address it listens on (`[health] addr`; port 0 picks a free one).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Drains and stops the server, waiting for it.
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for RunServer {
    fn drop(&mut self) {
        self.shut_down();
    }
}

impl Run {
    /// The health registry and server options this run serves from `[health]`: declared
    /// checks or the standard set, `run:state` for readiness, every series of the run at
    /// `/metrics`. For serving on a runtime of the caller's:
    /// `steadfast_healthcheck::serve(registry.start(), addr, options).await`.
    ///
    /// # Errors
    /// [`RunError::Health`] when a declared check cannot be built or a name repeats.
    pub fn health_registry(&self) -> Result<(HealthRegistry, ServerOptions), RunError> {
        let s = self.settings.value();
        let cfg = &s.health;
        let registry = HealthRegistry::from_config(cfg)
            .version(env!("CARGO_PKG_VERSION"))
            .service_id(self.dir.id())
            .disk_watermarks(s.disk.watermarks.clone());
        let registry = if cfg.checks.is_empty() {
            registry.standard_checks(&self.runs_root)?
        } else {
            registry.declare(&cfg.checks)?
        };
        let state = self.liveness.clone();
        let prefix = s.metrics.prefix()?;
        let registry = registry
            .register(
                Registration::new("run:state", move || {
                    let out = state.output();
                    async move { out }
                })
                .groups([Group::Ready])
                .ttl(Duration::from_millis(200)),
            )?
            .metrics(self.series.registry(), &prefix)?;
        let mut options = cfg.server_options();
        options.metrics = Some(self.series.registry().clone());
        options.prefix = prefix;
        Ok((registry, options))
    }

    /// Starts the run's health server on `[health] addr` (`/health`, `/health/live`,
    /// `/health/ready`, `/metrics`), on a tokio runtime of its own thread.
    ///
    /// ```
    /// let root = tempfile::tempdir()?;
    /// let run = steadfast_run::Run::builder("epic")
    ///     .runs_root(root.path())
    ///     .set("health.addr=\"127.0.0.1:0\"")
    ///     .env_vars::<_, String, String>([])
    ///     .start()?;
    /// let server = run.serve()?;
    /// println!("health at http://{}/health", server.addr());
    /// run.finish()?;
    /// server.stop();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`RunError::Health`] when the checks cannot be built or the address cannot be
    /// bound; [`RunError::Runtime`] when no runtime or thread can be started.
    pub fn serve(&self) -> Result<RunServer, RunError> {
        let (registry, options) = self.health_registry()?;
        let addr = self.settings.value().health.addr;
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("steadfast-health")
            .enable_all()
            .build()
            .map_err(RunError::Runtime)?;
        let thread = std::thread::Builder::new()
            .name("steadfast-health".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let health = registry.start();
                    match steadfast_healthcheck::serve(health.clone(), addr, options).await {
                        Ok(server) => {
                            let _ = addr_tx.send(Ok(server.addr));
                            let _ = tokio::task::spawn_blocking(move || stop_rx.recv()).await;
                            server.shutdown().await;
                        }
                        Err(e) => {
                            let _ = addr_tx.send(Err(e));
                        }
                    }
                    health.close();
                });
                runtime.shutdown_timeout(BLOCKING_GRACE);
            })
            .map_err(RunError::Runtime)?;
        let addr = match addr_rx.recv() {
            Ok(Ok(addr)) => addr,
            Ok(Err(e)) => {
                let _ = thread.join();
                return Err(e.into());
            }
            Err(_) => {
                let _ = thread.join();
                return Err(RunError::Runtime(std::io::Error::other(
                    "the health server's thread ended before it started",
                )));
            }
        };
        Ok(RunServer {
            addr,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }
}
