//! Operator commands over existing runs and disks: `disk check`, `disk clean`,
//! `profile report`, `profile compare`, `metrics show`.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Subcommand;
use steadfast::diskwatch::{CleanupPolicy, CleanupReport, DeleteReason, SkipReason, Statvfs};
use steadfast::perf_profiler::{CompareOptions, Snapshot, compare};
use steadfast::run::{ByteSize, HumanDuration, RunDir, escape_terminal};

use crate::output::{self, OutputFormat, print_json};
use crate::{EXIT_FAIL, EXIT_OK};

/// `steadfast disk …`.
#[derive(Debug, Subcommand)]
pub(crate) enum DiskCommand {
    /// Free space and inodes of the file system holding PATH; exit 1 below --min-free.
    Check {
        /// Any path on the file system to check.
        path: PathBuf,
        /// Fail (exit 1) when less than this is available, like `10GiB`.
        #[arg(long, value_name = "SIZE")]
        min_free: Option<ByteSize>,
        /// `text` or `json` (docs/cli-json.md).
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// Delete old runs under ROOT, oldest first: those older than --older-than, or with
    /// --target-free only while less than that is available; never an active run, never
    /// one on hold (a .hold file in it), never the newest N, never a directory that is not
    /// a Steadfast run (no run.json naming it). Exit 1 when a deletion failed.
    Clean {
        /// The runs root.
        root: PathBuf,
        /// Only runs of this pipeline (default: every pipeline's runs under ROOT).
        #[arg(long, value_name = "NAME")]
        pipeline: Option<String>,
        /// Keep at least the newest N runs.
        #[arg(long, value_name = "N", default_value_t = 5)]
        keep: usize,
        /// Only runs older than this, like `7d`.
        #[arg(long, value_name = "DURATION", default_value = "1h")]
        older_than: HumanDuration,
        /// Delete only while less than this is available (then --older-than is a floor,
        /// not a reason to delete).
        #[arg(long, value_name = "SIZE")]
        target_free: Option<ByteSize>,
        /// Also delete the oldest while the runs in scope hold more than this in all (per
        /// pipeline), like `200GiB`.
        #[arg(long, value_name = "SIZE")]
        max_total: Option<ByteSize>,
        /// Say what would be deleted, delete nothing.
        #[arg(long)]
        dry_run: bool,
        /// `text` or `json` (docs/cli-json.md).
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
}

/// `steadfast profile …`.
#[derive(Debug, Subcommand)]
pub(crate) enum ProfileCommand {
    /// Show a profile.json: components, bottlenecks; optionally write a flame graph.
    Report {
        /// A profile.json (or a run directory holding one).
        file: PathBuf,
        /// Also write a flame graph (SVG) of the saved call paths (those of timed calls, at
        /// levels basic and detailed).
        #[arg(long, value_name = "OUT.svg")]
        flamegraph: Option<PathBuf>,
        /// `text`, or `json`: the profile (profile.json's document) and its bottlenecks.
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// Compare CURRENT against BASELINE: exit 1 when a component regressed (a CI gate).
    Compare {
        /// The baseline profile.json (or run directory).
        baseline: PathBuf,
        /// The current profile.json (or run directory).
        current: PathBuf,
        /// Relative change of the median below which nothing is called a change.
        #[arg(long, value_name = "RATIO", default_value_t = 0.05)]
        noise: f64,
    },
}

fn profile_path(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join(steadfast::run::files::PROFILE)
    } else {
        path.to_path_buf()
    }
}

pub(crate) fn disk(cmd: &DiskCommand) -> anyhow::Result<u8> {
    match cmd {
        DiskCommand::Check {
            path,
            min_free,
            format,
        } => {
            let space = steadfast::diskwatch::check(path)?;
            let pass = min_free.is_none_or(|need| space.available >= need.bytes());
            if *format == OutputFormat::Json {
                let need = min_free.map(|n| n.bytes());
                print_json(&output::DiskCheck::new(&space, need, pass))?;
                return Ok(if pass { EXIT_OK } else { EXIT_FAIL });
            }
            let used = space.used_ratio() * 100.0;
            println!(
                "{}: {} available of {} ({used:.1}% used), inodes {:.1}% used",
                crate::shown(&space.path),
                ByteSize::new(space.available).human(),
                ByteSize::new(space.total).human(),
                space.inodes_used_ratio() * 100.0
            );
            if let Some(need) = min_free {
                if space.available < need.bytes() {
                    println!(
                        "FAIL: less than {} available; free space or point the pipeline elsewhere",
                        need.human()
                    );
                    return Ok(EXIT_FAIL);
                }
                println!("ok: at least {} available", need.human());
            }
            Ok(EXIT_OK)
        }
        DiskCommand::Clean {
            root,
            pipeline,
            keep,
            older_than,
            target_free,
            max_total,
            dry_run,
            format,
        } => {
            if let Some(name) = pipeline {
                steadfast::run::validate_pipeline_name(name)
                    .with_context(|| "--pipeline names no pipeline a run could have")?;
            }
            // An operator's explicit cleanup: without a free-space target, every run past
            // the floors and older than --older-than goes (a `max_age` cap); it never waits
            // for the cooldown of automatic cleanups.
            let policy = CleanupPolicy {
                keep_newest: *keep,
                min_age: *older_than,
                target_free: *target_free,
                max_age: target_free.is_none().then_some(*older_than),
                max_total: *max_total,
                cooldown: HumanDuration::from_secs(0),
                dry_run: *dry_run,
                pipeline: pipeline.clone(),
                ..CleanupPolicy::default()
            };
            let report = steadfast::diskwatch::clean_runs(
                root,
                &policy,
                &Statvfs,
                std::time::SystemTime::now(),
            )?;
            if *format == OutputFormat::Json {
                print_json(&output::DiskClean::new(&report))?;
                return Ok(if report.failed.is_empty() {
                    EXIT_OK
                } else {
                    EXIT_FAIL
                });
            }
            Ok(print_cleanup(&report))
        }
    }
}

fn print_cleanup(report: &CleanupReport) -> u8 {
    let verb = if report.dry_run {
        "would delete"
    } else {
        "deleted"
    };
    for d in &report.deleted {
        let why = match d.reason {
            Some(DeleteReason::MaxAge) => ", older than --older-than",
            Some(DeleteReason::Pressure) => ", less than --target-free available",
            Some(DeleteReason::MaxTotal) => ", over --max-total",
            Some(DeleteReason::Leftover) => ", leftover of a crash",
            _ => "",
        };
        println!("{verb} {} ({}{why})", d.id, ByteSize::new(d.bytes).human());
    }
    for (d, why) in &report.skipped {
        let why = match why {
            SkipReason::TooYoung => "younger than --older-than",
            other => other.describe(),
        };
        println!("kept {} ({why})", d.id);
    }
    for (_, err) in &report.failed {
        eprintln!("error: {}", steadfast::run::escape_terminal(err));
    }
    for warning in &report.not_recorded {
        eprintln!("warning: {}", steadfast::run::escape_terminal(warning));
    }
    println!(
        "{} {} run(s), {} freed",
        verb,
        report.deleted.len(),
        ByteSize::new(report.bytes_freed).human()
    );
    if report.failed.is_empty() {
        EXIT_OK
    } else {
        eprintln!(
            "error: {} run(s) could not be deleted (see above)",
            report.failed.len()
        );
        EXIT_FAIL
    }
}

pub(crate) fn profile(cmd: &ProfileCommand) -> anyhow::Result<u8> {
    match cmd {
        ProfileCommand::Report {
            file,
            flamegraph,
            format,
        } => {
            let snapshot = Snapshot::read(profile_path(file))?;
            let json = *format == OutputFormat::Json;
            if !json {
                print!("{}", snapshot.to_text());
            }
            if let Some(out) = flamegraph {
                if snapshot.folded.is_empty() {
                    anyhow::bail!(
                        "{} has no call paths for a flame graph (recorded at [profiler] level = \"off\", or by an earlier Steadfast); record at level \"basic\" or \"detailed\", with spans or `record` calls",
                        profile_path(file).display()
                    );
                }
                steadfast::run::atomic_write(out, snapshot.flamegraph_svg())?;
                if !json {
                    println!("\nflame graph: {}", crate::shown(out));
                }
            }
            let bottlenecks = snapshot.bottlenecks(None);
            if json {
                print_json(&output::ProfileReport::new(&snapshot, bottlenecks))?;
                return Ok(EXIT_OK);
            }
            if !bottlenecks.is_empty() {
                println!("\nBottlenecks:");
                for b in bottlenecks {
                    for s in &b.suggestions {
                        println!("  {}: {s}", b.component);
                    }
                }
            }
            Ok(EXIT_OK)
        }
        ProfileCommand::Compare {
            baseline,
            current,
            noise,
        } => {
            let base = Snapshot::read(profile_path(baseline))?;
            let cur = Snapshot::read(profile_path(current))?;
            let options = CompareOptions {
                noise: *noise,
                ..CompareOptions::default()
            };
            let cmp = compare(&base, &cur, &options);
            print!("{}", cmp.to_text());
            let mut code = cmp.exit_code();
            // Two run directories with database profiles: their statements too, matched by
            // fingerprint, under the same test.
            if baseline.is_dir() && current.is_dir() {
                let read = |dir: &Path| {
                    steadfast::db::DbProfile::read(dir).with_context(|| {
                        format!("cannot read the database profile of {}", dir.display())
                    })
                };
                if let (Some(b), Some(c)) = (read(baseline)?, read(current)?) {
                    let statements = steadfast::report::compare_statements(&b, &c, &options);
                    println!("\nStatements (by fingerprint):");
                    print!("{}", statements.to_text());
                    code = code.max(statements.exit_code());
                }
            }
            Ok(u8::try_from(code).unwrap_or(EXIT_FAIL))
        }
    }
}

/// `steadfast metrics show RUN_DIR`: every series' total.
pub(crate) fn metrics_show(run_dir: &Path, format: OutputFormat) -> anyhow::Result<u8> {
    let run = RunDir::open(run_dir)?;
    let metrics = steadfast::metrics::read_run(&run)
        .with_context(|| format!("cannot read the metrics of {}", run_dir.display()))?;
    if format == OutputFormat::Json {
        print_json(&output::MetricsShow::new(&metrics))?;
        return Ok(EXIT_OK);
    }
    println!(
        "{:<10} {:<22} {:<34} {:>14}",
        "STEP", "NAME", "LABELS", "TOTAL"
    );
    let mut histograms = Vec::new();
    for (key, total) in &metrics.totals.series {
        let labels: Vec<String> = key.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        if total.kind == steadfast::metrics::Kind::Histogram {
            histograms.push((key, labels.join(","), total));
            continue;
        }
        println!(
            "{:<10} {:<22} {:<34} {:>14}",
            escape_terminal(&key.step),
            escape_terminal(&key.name),
            escape_terminal(&labels.join(",")),
            total.value
        );
    }
    // Histograms: how many, their sum and mean, and percentiles estimated from the buckets.
    if !histograms.is_empty() {
        println!(
            "\n{:<10} {:<22} {:<34} {:>8} {:>12} {:>10} {:>10} {:>10} {:>10}",
            "STEP", "HISTOGRAM", "LABELS", "COUNT", "SUM", "MEAN", "P50", "P95", "P99"
        );
    }
    for (key, labels, t) in histograms {
        let n = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.4}"));
        #[allow(clippy::cast_precision_loss, reason = "a mean")]
        let mean = (t.count > 0).then(|| t.value / t.count as f64);
        println!(
            "{:<10} {:<22} {:<34} {:>8} {:>12.4} {:>10} {:>10} {:>10} {:>10}",
            escape_terminal(&key.step),
            escape_terminal(&key.name),
            escape_terminal(&labels),
            t.count,
            t.value,
            n(mean),
            n(output::quantile(t, 0.5)),
            n(output::quantile(t, 0.95)),
            n(output::quantile(t, 0.99)),
        );
    }
    if let Some(torn) = &metrics.torn_tail {
        println!(
            "\nnote: metrics.ndjson ends with a torn line {} ({} bytes), skipped",
            torn.line, torn.bytes
        );
    }
    Ok(EXIT_OK)
}
