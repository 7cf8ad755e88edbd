//! `steadfast health serve`: the health server on a tokio runtime of its own thread (the
//! demo serves through `Run::serve`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use steadfast::healthcheck::{HealthConfig, HealthRegistry, Registration, StalenessCheck, serve};

/// How long a stopping runtime waits for blocking work (a check's file read stuck on a
/// hung mount) before the process exits without it; dropping a runtime would wait forever.
const BLOCKING_GRACE: Duration = Duration::from_secs(1);

/// Options of `steadfast health serve`.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on (default: `[health] addr`, 127.0.0.1:9464).
    #[arg(long, value_name = "ADDR")]
    addr: Option<SocketAddr>,
    /// Runs root whose disk is checked (when `[[health.checks]]` declares no checks).
    #[arg(long, default_value = "runs", value_name = "DIR")]
    runs_root: PathBuf,
    /// Also fail readiness when this pipeline's last finished run is older than --max-age.
    #[arg(long, value_name = "NAME")]
    pipeline: Option<String>,
    /// Staleness limit for --pipeline, like `26h`.
    #[arg(long, default_value = "26h", value_name = "DURATION")]
    max_age: steadfast::run::HumanDuration,
    /// On Ctrl-C: how long readiness answers 503 before the listener closes (default:
    /// `[health] drain`, 5s).
    #[arg(long, value_name = "DURATION")]
    drain: Option<steadfast::run::HumanDuration>,
    #[command(flatten)]
    config: crate::ConfigArgs,
}

/// A registry with `[health]`'s check defaults and `[disk]`'s watermarks.
fn configured(health: &HealthConfig, disk: &steadfast::diskwatch::DiskConfig) -> HealthRegistry {
    HealthRegistry::from_config(health)
        .version(env!("CARGO_PKG_VERSION"))
        .service_id("steadfast")
        .disk_watermarks(disk.watermarks.clone())
}

/// How long start-up waits for every check's first result before announcing itself
/// anyway (a check still running is reported as not yet ready).
const FIRST_ROUND: Duration = Duration::from_secs(10);

pub(crate) fn serve_forever(args: &ServeArgs) -> anyhow::Result<u8> {
    let Some(settings) = args.config.settings() else {
        return Ok(crate::EXIT_USAGE);
    };
    let cfg = &settings.health;
    let addr = args.addr.unwrap_or(cfg.addr);
    let mut options = cfg.server_options();
    if let Some(d) = args.drain {
        options.drain = d.get();
    }
    let registry = configured(cfg, &settings.disk);
    // Declared checks are served exactly; none declared: the default set.
    let registry = if cfg.checks.is_empty() {
        registry.standard_checks(args.runs_root.clone())
    } else {
        registry.declare(&cfg.checks)
    };
    let mut registry = match registry {
        Ok(registry) => registry,
        Err(e) => {
            eprintln!("error: invalid configuration\n{e}");
            return Ok(crate::EXIT_USAGE);
        }
    };
    if let Some(pipeline) = &args.pipeline {
        registry = registry.register(
            Registration::new(
                "pipeline:staleness",
                StalenessCheck::new(&args.runs_root, pipeline, args.max_age.get()),
            )
            .interval(Duration::from_secs(30)),
        )?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let prom = prometheus::Registry::new();
    let prefix = settings.metrics.prefix()?;
    let registry = registry.metrics(&prom, &prefix)?;
    options.metrics = Some(prom);
    options.prefix = prefix;
    let outcome = runtime.block_on(async {
        // Handlers first: a SIGTERM right after start-up must drain, not kill.
        let stop = steadfast::healthcheck::shutdown_signal();
        let health = registry.start();
        let internal = match cfg.internal_options() {
            Some((addr, mut internal)) => {
                internal.metrics.clone_from(&options.metrics);
                internal.prefix.clone_from(&options.prefix);
                Some(serve(health.clone(), addr, internal).await?)
            }
            None => None,
        };
        let server = serve(health.clone(), addr, options).await?;
        // Listening already (liveness answers), but announced only once every check has a
        // first result, so whoever waits for this line sees readiness that means something.
        health.first_round(FIRST_ROUND).await;
        println!(
            "serving health at http://{}/health (Ctrl-C or SIGTERM to stop)",
            server.addr
        );
        if let Some(internal) = &internal {
            println!(
                "internal listener (details, /metrics) at http://{}/health",
                internal.addr
            );
        }
        stop.await;
        println!("stopping: readiness is 503 while in-flight requests drain");
        if let Some(internal) = internal {
            tokio::join!(server.shutdown(), internal.shutdown());
        } else {
            server.shutdown().await;
        }
        // Abort checks still running (a hung dependency); no new run starts.
        health.close();
        Ok::<_, anyhow::Error>(crate::EXIT_OK)
    });
    // A blocking read still stuck (a hung mount) is left behind, not waited for.
    runtime.shutdown_timeout(BLOCKING_GRACE);
    outcome
}

/// Waits for Ctrl-C (the demo's `--keep-serving`).
pub(crate) fn wait_for_ctrl_c() {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    runtime.block_on(async {
        let _ = tokio::signal::ctrl_c().await;
    });
}
