//! [`init`]: the `steadfast` command's logging — `tracing-subscriber`, text or JSON on
//! stderr, the level from `RUST_LOG` or `-v` count, colour only on a terminal — so spans
//! such as a run's (`run{run_id=…}`) appear on every line logged inside them.

use std::io::IsTerminal as _;
use std::str::FromStr;

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum LogFormat {
    /// Human-readable lines, coloured on a terminal unless `NO_COLOR` is set.
    #[default]
    Text,
    /// One JSON object per line, with the current span's fields (`run_id`).
    Json,
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            other => Err(format!("unknown log format '{other}'; use text or json")),
        }
    }
}

/// Installs the global subscriber: `format` on stderr; the level from `RUST_LOG` when set
/// (`target=level` pairs), else warn, raised by `verbosity` (1: info, 2: debug, 3+: trace).
///
/// Inside `info_span!("run", run_id = …)`, `info!("extracting")` is written as
/// `INFO run{run_id=demo-…}: extracting`.
///
/// # Errors
/// An invalid `RUST_LOG` (the message says how to write one), or a second installation.
pub(crate) fn init(format: LogFormat, verbosity: u8) -> anyhow::Result<()> {
    #[allow(
        clippy::disallowed_methods,
        reason = "RUST_LOG is read where logging is installed"
    )]
    let env = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty());
    let filter = match env {
        Some(value) => Targets::from_str(&value).map_err(|e| {
            anyhow::anyhow!(
                "invalid RUST_LOG {value:?}: {e}; write e.g. `info` or `steadfast=debug,warn`"
            )
        })?,
        None => Targets::new().with_default(match verbosity {
            0 => LevelFilter::WARN,
            1 => LevelFilter::INFO,
            2 => LevelFilter::DEBUG,
            _ => LevelFilter::TRACE,
        }),
    };
    #[allow(
        clippy::disallowed_methods,
        reason = "NO_COLOR is read where colour is decided"
    )]
    let color = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let registry = tracing_subscriber::registry().with(filter);
    let installed = match format {
        LogFormat::Text => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(line_start_writer)
                    .with_ansi(color),
            )
            .try_init(),
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_writer(std::io::stderr),
            )
            .try_init(),
    };
    installed.map_err(|_| anyhow::anyhow!("a tracing subscriber is already installed"))
}

/// stderr; on a terminal each event first clears the current line, so a progress line a
/// command draws there (`\r…`) never runs into a log line.
fn line_start_writer() -> LineStart {
    LineStart {
        inner: std::io::stderr(),
        clear: std::io::stderr().is_terminal(),
    }
}

struct LineStart {
    inner: std::io::Stderr,
    clear: bool,
}

impl std::io::Write for LineStart {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if std::mem::take(&mut self.clear) {
            self.inner.write_all(b"\r\x1b[K")?;
        }
        self.inner.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
