//! `steadfast config check` and `steadfast alerts generate`: commands that read the layered
//! configuration and print what it yields.

use std::path::Path;

use steadfast::run::config::Loader;
use steadfast::validation::Thresholds;

use crate::validate::loader;
use crate::{ConfigArgs, EXIT_OK, EXIT_USAGE};

pub(crate) fn alerts_generate(
    config: &ConfigArgs,
    thresholds: Option<&Path>,
    out: Option<&Path>,
) -> u8 {
    let loader = loader(
        config.config.as_deref(),
        config.profile.as_deref(),
        &config.set,
    );
    let mut settings = match steadfast::Settings::load(&loader) {
        Ok(s) => s.into_value(),
        Err(e) => {
            eprintln!("error: invalid configuration\n{e}");
            return EXIT_USAGE;
        }
    };
    if let Some(file) = thresholds {
        match Thresholds::load(&Loader::new().file(file)) {
            Ok(t) => settings.validation = t.into_value(),
            Err(e) => {
                eprintln!("error: invalid thresholds\n{e}");
                return EXIT_USAGE;
            }
        }
    }
    let prefix = match settings.metrics.prefix() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: invalid configuration\n{e}");
            return EXIT_USAGE;
        }
    };
    let inputs = steadfast::prometheus::AlertInputs::new(&settings.validation)
        .prefix(prefix)
        .disk_horizon(settings.disk.horizon.get())
        .slos(&settings.profiler.slos);
    let rules = steadfast::prometheus::alert_rules(&inputs);
    match out {
        Some(path) => match steadfast::run::atomic_write(path, &rules) {
            Ok(()) => {
                println!("wrote {}", crate::shown(path));
                EXIT_OK
            }
            Err(e) => {
                eprintln!("error: {e}");
                EXIT_USAGE
            }
        },
        None => {
            print!("{rules}");
            EXIT_OK
        }
    }
}

pub(crate) fn config_check(
    file: &Path,
    profile: Option<&str>,
    set: &[String],
    show: bool,
    format: crate::output::OutputFormat,
) -> anyhow::Result<u8> {
    let loaded = steadfast::Settings::load(&loader(Some(file), profile, set));
    if format == crate::output::OutputFormat::Json {
        crate::output::print_json(&crate::output::ConfigCheck::new(
            file,
            loaded.as_ref().err(),
        ))?;
        return Ok(if loaded.is_ok() { EXIT_OK } else { EXIT_USAGE });
    }
    Ok(match loaded {
        Ok(effective) => {
            if show {
                print!("{}", effective.to_toml());
            } else {
                println!("{}: ok", crate::shown(file));
            }
            EXIT_OK
        }
        Err(e) => {
            eprintln!("{e}");
            let n = e.problems().len();
            eprintln!(
                "error: {n} problem{} in the configuration",
                if n == 1 { "" } else { "s" }
            );
            EXIT_USAGE
        }
    })
}
