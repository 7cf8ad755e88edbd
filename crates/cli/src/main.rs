//! The `steadfast` command line: the operator's front end to the Steadfast crates.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit code: everything passed (or only warned).
const EXIT_OK: u8 = 0;
/// Exit code: a usage or configuration error (also what clap uses for bad arguments).
const EXIT_USAGE: u8 = 2;

/// Make healthcare data pipelines production-grade: validate runs and data, watch disks,
/// serve health checks, compare profiles.
///
/// Exit codes: 0 ok (pass or warn), 1 a check failed, 2 usage or configuration error.
#[derive(Debug, Parser)]
#[command(name = "steadfast", version, about, long_about, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the demo pipeline: a mock FHIR server, bronze/silver/gold steps, metrics,
    /// retries, disk watch, profiling, health and validation, on local directories.
    Demo {
        /// Where the demo's run directories go.
        #[arg(long, default_value = "runs", value_name = "DIR")]
        runs_root: std::path::PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Demo { runs_root } => {
            println!(
                "steadfast {}: the demo pipeline arrives with its issue (\"The facade's Run API, \
                 the steadfast CLI, and the demo pipeline\").",
                env!("CARGO_PKG_VERSION")
            );
            println!(
                "Its runs will go under {}; the foundation it stands on is in place: \
                 run directories, manifests, locks, atomic writes.",
                runs_root.display()
            );
            Ok(EXIT_OK)
        }
    }
}
