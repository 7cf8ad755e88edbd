//! The `steadfast` command line: the operator's front end to the Steadfast crates.

mod audit;
mod config_cmd;
mod deadletter;
mod deadletter_replay;
mod demo;
mod fetch;
mod fetch_toc;
mod fhir_export;
mod health;
mod logging;
mod ops;
mod output;
mod progress;
mod report;
mod toc_plan;
mod validate;
mod validate_document;
mod validate_shard;

use std::path::PathBuf;
use std::process::ExitCode;
use steadfast::run::escape_terminal;

use clap::{Args, Parser, Subcommand};

/// Exit code: everything passed (or only warned).
const EXIT_OK: u8 = 0;
/// Exit code: a check failed.
const EXIT_FAIL: u8 = 1;
/// Exit code: a usage or configuration error (also what clap uses for bad arguments).
const EXIT_USAGE: u8 = 2;

/// Make healthcare data pipelines production-grade: validate runs and data, watch disks,
/// serve health checks, compare profiles.
///
/// Exit codes: 0 ok (pass or warn), 1 a check failed, 2 usage or configuration error.
#[derive(Debug, Parser)]
#[command(name = "steadfast", version, about, long_about, max_term_width = 100)]
struct Cli {
    /// Log lines on stderr: text, or one JSON object per line (with the run id inside a run).
    #[arg(long, global = true, value_name = "FORMAT", default_value = "text",
          value_parser = ["text", "json"])]
    log_format: String,
    /// More log detail: -v info, -vv debug, -vvv trace (RUST_LOG, when set, wins).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

/// Configuration layers shared by commands that read configuration.
#[derive(Debug, Args)]
struct ConfigArgs {
    /// Configuration file (TOML, JSON or YAML, by extension).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Profile overlay: reads FILE's sibling `<name>.<PROFILE>.<ext>` over FILE.
    #[arg(long, value_name = "PROFILE")]
    profile: Option<String>,
    /// Override one key, highest precedence (repeatable): `--set row_count_threshold=0.9`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
}

impl ConfigArgs {
    /// The layered settings these flags ask for; `None` after printing why they are
    /// invalid (the caller exits 2).
    fn settings(&self) -> Option<steadfast::Settings> {
        let mut loader = steadfast::run::config::Loader::new().profile(self.profile.as_deref());
        if let Some(file) = &self.config {
            loader = loader.file(file);
        }
        for assignment in &self.set {
            loader = loader.set(assignment);
        }
        match steadfast::Settings::load(&loader) {
            Ok(s) => Some(s.into_value()),
            Err(e) => {
                eprintln!("error: invalid configuration\n{e}");
                None
            }
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the demo pipeline: a mock FHIR server, bronze/silver/gold steps, metrics,
    /// retries, disk watch, profiling, health and validation, on local directories.
    Demo(demo::DemoArgs),
    /// Validate a finished run against thresholds; write reports into its validation/.
    ///
    /// Thresholds come from built-in defaults < the run's saved
    /// validation/thresholds.effective.toml (unless --fresh) < --config <
    /// STEADFAST_VALIDATION__* < --set and the two threshold flags. A run still live (its lock held) or crashed fails
    /// the run_complete rule unless --allow-incomplete. Exit 0 pass or warn, 1 fail, 2 usage
    /// error.
    ValidateRun(validate::ValidateRunArgs),
    /// Check FHIR NDJSON files, directories or bulk export manifests against data rules.
    ///
    /// Required fields, unique ids, allowed values, ranges, patterns, references,
    /// manifest counts and checksums. Exit 0 pass or warn, 1 a rule failed, 2 usage
    /// error. Values stay out of the report unless --show-values.
    ValidateData(validate::ValidateDataArgs),
    /// Work with configuration files.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Check disks and clean old runs.
    #[command(subcommand)]
    Disk(ops::DiskCommand),
    /// Read and compare profiles (profile.json).
    #[command(subcommand)]
    Profile(ops::ProfileCommand),
    /// Read a run's metrics.
    #[command(subcommand)]
    Metrics(MetricsCommand),
    /// A run's self-contained HTML page (charts, steps, profile, validation), or two runs
    /// compared side by side.
    Report(report::ReportArgs),
    /// Prometheus alerting rules from the thresholds that validate runs.
    #[command(subcommand)]
    Alerts(AlertsCommand),
    /// Serve health checks.
    #[command(subcommand)]
    Health(HealthCommand),
    /// A run's dead letters: what failed for good.
    #[command(subcommand)]
    Deadletter(DeadletterCommand),
    /// Check the hash-chained audit trail of a run or a runs root.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Get data out of a FHIR server.
    #[command(subcommand)]
    Fhir(FhirCommand),
    /// Download a URL into a verified local file, or every file a price-transparency table
    /// of contents lists (--toc)
    ///
    /// Resumed with Range when the connection drops, size and sha256 checked, renamed into
    /// place only when complete. Exit 0 done, 1 a download failed or a checksum did not
    /// match (nothing is left at --out), 2 usage or configuration error.
    Fetch(fetch::FetchArgs),
}

#[derive(Debug, Subcommand)]
enum FhirCommand {
    /// A Bulk Data $export into a directory: polls the job (honouring Retry-After),
    /// downloads the files in parallel (resumed with Range), writes manifest.json with
    /// sha256 and counts, deletes the job. Run again with the same --out to resume. Exit 0
    /// all files in, 1 the export failed, 2 usage error.
    Export(fhir_export::ExportArgs),
}

#[derive(Debug, Subcommand)]
enum DeadletterCommand {
    /// List a run's dead letters: decision, attempts, times, error kind and status,
    /// resource type and an item digest; items and error texts only with --reveal (they may
    /// hold patient data).
    List(deadletter::ListArgs),
    /// Show one dead letter in full (N as `list` numbers them): its error's kind, status,
    /// resource type and id hash; the item and error text only with --reveal.
    Show(deadletter::ShowArgs),
    /// Send a run's HTTP-request dead letters again (--base URL) through the [retry]
    /// policy and breaker; write recovered pages to data/replayed/<Type>.ndjson. Exit 0 when
    /// the queue is empty afterwards, 1 when letters remain, 2 usage error.
    Replay(deadletter_replay::ReplayArgs),
}

#[derive(Debug, Subcommand)]
enum HealthCommand {
    /// Serve /health, /health/live, /health/ready, /health/startup until Ctrl-C.
    Serve(health::ServeArgs),
}

#[derive(Debug, Subcommand)]
enum AlertsCommand {
    /// Write a Prometheus rules file: the thresholds' rules plus the standard alerts
    /// (disk, circuit breaker, retries, health, profiler SLOs, validation).
    Generate {
        #[command(flatten)]
        config: ConfigArgs,
        /// A thresholds file (the `[validation]` section alone) used instead of the
        /// configuration's `[validation]`.
        #[arg(long, value_name = "FILE")]
        thresholds: Option<PathBuf>,
        /// Write here (atomically) instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum MetricsCommand {
    /// Every series' total in a run's metrics.ndjson.
    Show {
        /// The run directory.
        run_dir: PathBuf,
        /// `text` (a table) or `json` (docs/cli-json.md).
        #[arg(long, value_enum, default_value_t)]
        format: output::OutputFormat,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Check a steadfast.toml (every section): report every problem at once, each at
    /// file:line:col; print the effective configuration with --show.
    Check {
        /// The file to check.
        file: PathBuf,
        /// Profile overlay, as for other commands.
        #[arg(long, value_name = "PROFILE")]
        profile: Option<String>,
        /// Override one key (repeatable), as for other commands.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Print the effective configuration, each value with its origin, secrets redacted.
        #[arg(long, conflicts_with = "format")]
        show: bool,
        /// `text` or `json` (every problem with its place; docs/cli-json.md).
        #[arg(long, value_enum, default_value_t)]
        format: output::OutputFormat,
    },
}

fn main() -> ExitCode {
    quiet_on_closed_pipe();
    let cli = Cli::parse();
    let format = cli.log_format.parse().unwrap_or_default();
    if let Err(e) = logging::init(format, cli.verbose) {
        eprintln!("error: {e}");
        return ExitCode::from(EXIT_USAGE);
    }
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("error: {}", escape_terminal(&format!("{err:#}")));
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// A path for the terminal: control characters in a name (ESC, newline) printed escaped,
/// never raw, so a hostile file name cannot drive the terminal or forge a line.
pub(crate) fn shown(path: &std::path::Path) -> String {
    escape_terminal(&path.display().to_string()).into_owned()
}

/// `steadfast … | head` closes stdout early; like other Unix tools, end quietly instead of
/// printing a panic (Rust ignores SIGPIPE, so `print!` panics on a closed pipe).
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.contains("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Demo(args) => demo::run(&args),
        Command::ValidateRun(args) => Ok(validate::validate_run(&args)),
        Command::ValidateData(args) => Ok(args
            .shard
            .merge()
            .unwrap_or_else(|| validate::validate_data(&args))),
        Command::Config(ConfigCommand::Check {
            file,
            profile,
            set,
            show,
            format,
        }) => config_cmd::config_check(&file, profile.as_deref(), &set, show, format),
        Command::Disk(cmd) => ops::disk(&cmd),
        Command::Profile(cmd) => ops::profile(&cmd),
        Command::Metrics(MetricsCommand::Show { run_dir, format }) => {
            ops::metrics_show(&run_dir, format)
        }
        Command::Report(args) => Ok(report::report(&args)),
        Command::Deadletter(DeadletterCommand::List(args)) => deadletter::list(&args),
        Command::Deadletter(DeadletterCommand::Show(args)) => deadletter::show(&args),
        Command::Deadletter(DeadletterCommand::Replay(args)) => deadletter_replay::replay(&args),
        Command::Audit(cmd) => audit::run(&cmd),
        Command::Fhir(FhirCommand::Export(args)) => fhir_export::export(&args),
        Command::Fetch(args) => fetch::fetch(&args),
        Command::Alerts(AlertsCommand::Generate {
            config,
            thresholds,
            out,
        }) => Ok(config_cmd::alerts_generate(
            &config,
            thresholds.as_deref(),
            out.as_deref(),
        )),
        Command::Health(HealthCommand::Serve(args)) => health::serve_forever(&args),
    }
}
