//! `steadfast demo`: a real small FHIR pipeline on embedded defaults — extract from a mock
//! FHIR server by a Bulk Data export (polled, resumed, retried) and a paged search, with
//! retries, breaker, budget and rate limiting, into bronze NDJSON, flatten to silver,
//! aggregate to gold — with metrics, profiling, disk watch and validation, then a summary
//! of where everything is. With `--cache` (or `[cache]`), the search GETs go through a
//! response cache, and its statistics onto the run's page.

mod bulk_files;
mod bulk_server;
mod cache;
mod client;
mod export;
mod series;
mod server;
mod steps;

use std::path::PathBuf;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use steadfast::Run;
use steadfast::run::HumanDuration;

/// The demo's configuration, layered under any `--config` and `--set` given.
const DEMO_CONFIG: &str = include_str!("demo.toml");

/// Options of `steadfast demo`.
#[derive(Debug, clap::Args)]
pub(crate) struct DemoArgs {
    /// Where the demo's run directories go.
    #[arg(long, default_value = "runs", value_name = "DIR")]
    runs_root: PathBuf,
    /// Patients on the mock server (each with 2 encounters, 1 condition and 3 observations).
    #[arg(long, default_value_t = 1000, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    patients: u32,
    /// Serve /health and /metrics on this address during the run, and print the URL.
    #[arg(long, value_name = "ADDR")]
    serve: Option<std::net::SocketAddr>,
    /// With --serve: keep serving after the run until Ctrl-C.
    #[arg(long, requires = "serve")]
    keep_serving: bool,
    /// Answer the search GETs through a response cache: `memory` (this run only), or a Redis
    /// URL (redis://host:6379, rediss:// for TLS) for memory in front of Redis, shared with
    /// later runs. Off by default; `[cache]` in --config sets it too.
    #[arg(long, value_name = "memory|REDIS_URL", value_parser = cache_flag)]
    cache: Option<CacheFlag>,
    #[command(flatten)]
    config: crate::ConfigArgs,
}

/// `--cache`: where the demo's response cache keeps its entries.
#[derive(Debug, Clone)]
enum CacheFlag {
    Memory,
    Redis(String),
}

fn cache_flag(s: &str) -> Result<CacheFlag, String> {
    if s == "memory" {
        Ok(CacheFlag::Memory)
    } else if s.starts_with("redis://") || s.starts_with("rediss://") {
        Ok(CacheFlag::Redis(s.to_owned()))
    } else {
        Err("expected `memory` or a Redis URL (redis://host:6379, rediss://… for TLS)".to_owned())
    }
}

/// `--cache` as `[cache]` overrides, above any `--config` and `--set`.
fn cache_overrides(flag: &CacheFlag) -> Vec<String> {
    let mut set = vec!["cache.enabled=true".to_owned()];
    match flag {
        CacheFlag::Memory => set.push("cache.tiers=\"memory\"".to_owned()),
        CacheFlag::Redis(url) => {
            set.push("cache.tiers=\"both\"".to_owned());
            // A JSON string is a TOML basic string: quotes and backslashes escaped.
            let quoted = serde_json::Value::from(url.as_str()).to_string();
            set.push(format!("cache.redis_url={quoted}"));
        }
    }
    set
}

pub(crate) fn run(args: &DemoArgs) -> anyhow::Result<u8> {
    let began = Instant::now();
    let patients = args.patients as usize;
    let server =
        server::start(patients).context("cannot start the mock FHIR server on 127.0.0.1")?;
    let mut builder = Run::builder("demo")
        .runs_root(&args.runs_root)
        .config_text("demo.toml", DEMO_CONFIG)
        .profile(args.config.profile.as_deref())
        .min_free("100MB".parse()?);
    if let Some(file) = &args.config.config {
        builder = builder.config_file(file);
    }
    for s in &args.config.set {
        builder = builder.set(s);
    }
    if let Some(addr) = args.serve {
        // The flag names the address; draining is for load balancers, not a local demo.
        builder = builder
            .set(&format!("health.addr=\"{addr}\""))
            .set("health.drain=\"0s\"");
    }
    for s in args.cache.iter().flat_map(cache_overrides) {
        builder = builder.set(&s);
    }
    let run = match builder.start() {
        Ok(run) => run,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    // `[health]` from the run's configuration, `/metrics` with every series of the run.
    let health_server = match args.serve {
        Some(_) => {
            let s = run.serve()?;
            println!(
                "health: http://{0}/health  ready: http://{0}/health/ready  metrics: http://{0}/metrics",
                s.addr()
            );
            Some(s)
        }
        None => None,
    };
    let cache = match cache::DemoCache::new(&run.settings().cache, &server::dataset(patients)) {
        Ok(cache) => cache,
        Err(e) => {
            eprintln!("error: [cache]: {e}");
            return Ok(2);
        }
    };
    // Every log line from here on carries the run id.
    // An error-level span is enabled whatever the level, so even warnings carry the id.
    let span = tracing::error_span!("run", run_id = %run.id());
    let _inside = span.enter();
    tracing::info!(patients, server = %server.addr, "demo run started");
    println!(
        "steadfast demo: {patients} patients from a mock FHIR server at http://{} (with injected faults)",
        server.addr
    );
    println!("run {}", crate::shown(run.dir().path()));
    if let Some(c) = &cache {
        println!(
            "cache: search GETs through a response cache ({})",
            c.tiers()
        );
    }
    if run.cleaned_runs() > 0 {
        // Only this pipeline's old runs (`[disk.cleanup] scope`); each is a disk event.
        println!(
            "cleanup: deleted {} old demo run(s) under {} (listed in disk-events.ndjson)",
            run.cleaned_runs(),
            crate::shown(&args.runs_root)
        );
    }
    println!();

    let bronze = steps::extract(&run, &server, cache.as_ref())?;
    // Into the run's metrics before it finishes, so its page shows them.
    let cached = cache.as_ref().map(|c| c.record(&run));
    let silver = steps::transform(&run, &bronze.export)?;
    let gold = steps::aggregate(&run)?;
    let dir = run.dir().clone();
    let report = run.finish()?;

    println!(
        "  bronze  {}",
        export::summary(&bronze.export, &server.bulk.faults)
    );
    let f = &server.faults;
    println!(
        "  bronze  {:>6} Conditions by search in {} pages; {} retries over {} injected faults ({} x 503, {} x 429, {} resets, {} slow); {} dead letters",
        bronze.resources,
        bronze.pages,
        bronze.retries,
        f.unavailable.load(Relaxed)
            + f.throttled.load(Relaxed)
            + f.reset.load(Relaxed)
            + f.slow.load(Relaxed),
        f.unavailable.load(Relaxed),
        f.throttled.load(Relaxed),
        f.reset.load(Relaxed),
        f.slow.load(Relaxed),
        bronze.dead_letters,
    );
    if let (Some(c), Some(s)) = (&cache, &cached) {
        println!("  cache   {}", c.summary(s));
    }
    println!(
        "  silver  {:>6} rows ({} rejected)",
        silver.rows, silver.rejected
    );
    let q = &silver.quality;
    let failed = q.results.iter().filter(|r| r.status.is_fail()).count();
    println!(
        "  quality {:>6} bronze records checked as they passed: {} rules, {} failed (validation/data-quality.json)",
        q.records(),
        q.results.len(),
        failed
    );
    println!("  gold    {:>6} aggregates\n", gold.aggregates);
    print!(
        "{}",
        steadfast::validation::render(
            &report.validation,
            steadfast::validation::Format::Text,
            steadfast::validation::color_for_stdout()
        )
    );
    println!("\nTop components (profiler):");
    let mut top = report.profile.clone();
    top.components.truncate(6);
    print!("{}", top.to_text());
    // The latency targets of `[[profiler.slos]]`, judged at finish, and the health score.
    for r in &report.profile.slos {
        let observed = r.observed_ns.map_or_else(
            || "not seen".to_owned(),
            |ns| HumanDuration::new(Duration::from_nanos(ns)).approx(),
        );
        println!(
            "SLO {} p{} {observed} (target {}): {}",
            r.slo.component,
            // p95, p99.9: as many digits as the percentile has.
            format!("{:.1}", r.slo.percentile * 100.0).trim_end_matches(".0"),
            HumanDuration::new(r.slo.target).approx(),
            r.status.as_str()
        );
    }
    if let Some(health) = &report.profile.health {
        println!(
            "health score {:.0}/100 (Apdex of the SLO components)",
            health.score
        );
    }
    println!("\nArtefacts:");
    let a = &report.artefacts;
    let r = &report.reports;
    for (what, path) in [
        ("manifest", Some(&a.manifest)),
        ("metrics", Some(&a.metrics)),
        ("profile", Some(&a.profile)),
        ("dead letters", Some(&a.dead_letters)),
        ("disk events", Some(&a.disk_events)),
        ("audit", Some(&a.audit)),
        ("page", a.page.as_ref()),
        ("report", Some(&r.markdown)),
        ("junit", Some(&r.junit)),
        ("thresholds", r.thresholds.as_ref()),
        ("data", Some(&dir.data_dir(None))),
    ] {
        if let Some(path) = path {
            println!("  {what:<13} {}", crate::shown(path));
        }
    }
    println!(
        "\ndone in {:.1}s; exit code {}",
        began.elapsed().as_secs_f64(),
        report.exit_code()
    );
    // Readiness now says the run finished (`run:state`).
    if let Some(s) = &health_server
        && args.keep_serving
    {
        println!("still serving http://{}/health (Ctrl-C to stop)", s.addr());
        crate::health::wait_for_ctrl_c();
    }
    Ok(u8::try_from(report.exit_code()).unwrap_or(1))
}
