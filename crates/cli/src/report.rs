//! `steadfast report`: a run's self-contained HTML page, or two runs compared.

use std::path::PathBuf;

use clap::Args;
use steadfast::report::{RunView, render, render_compare};

use crate::{EXIT_OK, EXIT_USAGE};

/// Arguments of `report`.
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// The run directory.
    #[arg(value_name = "RUN_DIR", required_unless_present = "compare")]
    run_dir: Option<PathBuf>,
    /// Compare two runs side by side (A is the baseline).
    #[arg(long, num_args = 2, value_names = ["RUN_A", "RUN_B"], conflicts_with = "run_dir")]
    compare: Option<Vec<PathBuf>>,
    /// Write the page here (default: report.html in the run, or compare.html).
    #[arg(long, value_name = "FILE.html")]
    out: Option<PathBuf>,
}

pub(crate) fn report(args: &ReportArgs) -> u8 {
    let load = |dir: &PathBuf| {
        RunView::load(dir).map_err(|e| {
            eprintln!("error: {}", steadfast::run::escape_terminal(&e.to_string()));
        })
    };
    let (page, default_out) = match (&args.compare, &args.run_dir) {
        (Some(pair), _) if pair.len() == 2 => {
            let (Ok(a), Ok(b)) = (load(&pair[0]), load(&pair[1])) else {
                return EXIT_USAGE;
            };
            (render_compare(&a, &b), PathBuf::from("compare.html"))
        }
        (_, Some(dir)) => {
            let Ok(v) = load(dir) else { return EXIT_USAGE };
            (render(&v), dir.join(steadfast::run::files::REPORT_PAGE))
        }
        _ => {
            eprintln!("error: give a run directory, or --compare RUN_A RUN_B");
            return EXIT_USAGE;
        }
    };
    let out = args.out.clone().unwrap_or(default_out);
    match steadfast::run::atomic_write(&out, page) {
        Ok(()) => {
            println!("wrote {}", crate::shown(&out));
            EXIT_OK
        }
        Err(e) => {
            eprintln!("error: {}", steadfast::run::escape_terminal(&e.to_string()));
            EXIT_USAGE
        }
    }
}
