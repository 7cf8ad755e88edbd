//! `steadfast fetch URL --out FILE [--sha256 HEX]`: one URL into a verified local file
//! through steadfast-fhir's `Download` — the `[retry]` policy of the configuration, a
//! dropped connection resumed with `Range`, the size checked against what the server
//! announced, sha256 computed (and compared when `--sha256` is given), fsync and an atomic
//! rename; a progress line on a terminal (bytes, rate, ETA). Redirects to another origin
//! are followed only to the hosts `--allow-redirect-host` names. With `--toc` the URL is a
//! price-transparency table of contents and `--out` a directory: see `fetch_toc.rs`.
//! Exit 0 when the file is in place, 1 when the download failed or its sha256 is wrong
//! (nothing is left at `--out` then), 2 on a usage or configuration error.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args;
use steadfast::fhir::{Download, DownloadEvent};
use steadfast::http::{HostPattern, HttpSettings, Redirects};
use steadfast::run::{ByteSize, HumanDuration, escape_terminal};

use crate::fetch_toc::{TocArgs, fetch_toc, is_usage};
use crate::progress::Progress;
use crate::{EXIT_FAIL, EXIT_OK, EXIT_USAGE};

/// Arguments of `fetch`.
#[derive(Debug, Args)]
pub(crate) struct FetchArgs {
    /// The file's URL (`http` or `https`); with --toc, the table of contents' URL.
    #[arg(value_name = "URL")]
    pub(crate) url: String,
    /// The local file (with --toc: the directory, created if missing). The file appears
    /// only complete and verified; `.<name>.part` beside it holds the bytes meanwhile.
    #[arg(long, value_name = "PATH")]
    pub(crate) out: PathBuf,
    /// The sha256 the file must have (64 hex digits); a mismatch leaves no file at --out.
    #[arg(long, value_name = "HEX", conflicts_with = "toc")]
    pub(crate) sha256: Option<String>,
    /// The URL is a Transparency-in-Coverage table of contents: fetch it, then every
    /// in-network and allowed-amount file it lists into the --out directory.
    #[arg(long)]
    pub(crate) toc: bool,
    /// With --toc: files downloaded at once.
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub(crate) parallel: u16,
    /// With --toc under an https table of contents: also fetch plain-http file locations.
    #[arg(long)]
    pub(crate) allow_http: bool,
    /// Also follow redirects to HOST (the CDN a file server answers with a 302 to): a host
    /// name or address, or `*.example.com` for any name below it; any port; repeatable.
    /// Without it only redirects to the same origin are followed; from https to http
    /// never. With --toc it applies to the table of contents and every listed file.
    #[arg(long = "allow-redirect-host", value_name = "HOST")]
    pub(crate) allow_redirect_host: Vec<HostPattern>,
    /// The longest wait for an answer or its next bytes before resuming.
    #[arg(long, value_name = "DURATION", default_value = "60s")]
    pub(crate) read_timeout: HumanDuration,
    #[command(flatten)]
    pub(crate) config: crate::ConfigArgs,
}

/// What the progress line of one download shows.
pub(crate) struct Shown {
    progress: Progress,
    started: Instant,
    /// Bytes of the file so far (back to 0 when it restarts).
    got: u64,
    /// Bytes that arrived in all (the rate).
    arrived: u64,
    total: Option<u64>,
}

impl Shown {
    pub(crate) fn new() -> Self {
        Self {
            progress: Progress::new(),
            started: Instant::now(),
            got: 0,
            arrived: 0,
            total: None,
        }
    }

    fn on_event(&mut self, event: DownloadEvent) {
        match event {
            DownloadEvent::Bytes { bytes } => {
                self.got += bytes;
                self.arrived += bytes;
            }
            DownloadEvent::Size { bytes } => self.total = Some(bytes),
            DownloadEvent::Restarted => self.got = 0,
            _ => {}
        }
        let text = line(self.got, self.total, self.arrived, self.started.elapsed());
        self.progress.show(|| text);
    }

    pub(crate) fn done(&mut self) {
        self.progress.done();
    }
}

/// `1.2 GiB of 4.0 GiB (30%), 80.0 MiB/s, ETA 35s`.
#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "a display rate, percentage and estimate"
)]
pub(crate) fn line(got: u64, total: Option<u64>, arrived: u64, elapsed: Duration) -> String {
    let rate = arrived as f64 / elapsed.as_secs_f64().max(0.001);
    let per_second = ByteSize::new(rate as u64).human();
    let got_text = ByteSize::new(got).human();
    let Some(total) = total.filter(|t| *t > 0) else {
        return format!("{got_text}, {per_second}/s");
    };
    let pct = got as f64 * 100.0 / total as f64;
    let mut text = format!(
        "{got_text} of {} ({pct:.0}%), {per_second}/s",
        ByteSize::new(total).human()
    );
    if rate >= 1.0 {
        let eta = (total.saturating_sub(got) as f64 / rate).ceil();
        text.push_str(&format!(", ETA {eta:.0}s"));
    }
    text
}

/// The `Download` of the configuration's `[retry]` policy.
pub(crate) fn download(args: &FetchArgs) -> anyhow::Result<Option<Download>> {
    let Some(settings) = args.config.settings() else {
        return Ok(None);
    };
    let policy = settings.retry.policy()?;
    let http = HttpSettings::default()
        .redirects(Redirects::Hosts(args.allow_redirect_host.clone()))
        .build()?;
    Ok(Some(
        Download::new(http, policy).read_idle_timeout(args.read_timeout.get()),
    ))
}

pub(crate) fn fetch(args: &FetchArgs) -> anyhow::Result<u8> {
    let Some(download) = download(args)? else {
        return Ok(EXIT_USAGE);
    };
    if args.toc {
        let toc = TocArgs {
            url: &args.url,
            out: &args.out,
            parallel: args.parallel,
            allow_http: args.allow_http,
        };
        return fetch_toc(&toc, download);
    }
    let download = match &args.sha256 {
        Some(hex) => match download.expect_sha256(hex) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("error: --sha256: {e}");
                return Ok(EXIT_USAGE);
            }
        },
        None => download,
    };
    let shown = Arc::new(Mutex::new(Shown::new()));
    let download = download.on_event({
        let shown = shown.clone();
        move |e| {
            if let Ok(mut s) = shown.lock() {
                s.on_event(e);
            }
        }
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(download.to_file(&args.url, &args.out));
    if let Ok(mut s) = shown.lock() {
        s.done();
    }
    match result {
        Ok(got) => {
            println!(
                "{}  {}  ({})",
                got.sha256,
                crate::shown(&args.out),
                ByteSize::new(got.bytes).human()
            );
            Ok(EXIT_OK)
        }
        Err(e) => {
            eprintln!("error: {}", escape_terminal(&e.to_string()));
            Ok(if is_usage(&e) { EXIT_USAGE } else { EXIT_FAIL })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_shows_size_rate_and_eta_when_the_size_is_known() {
        let s = Duration::from_secs(2);
        assert_eq!(line(2 << 20, None, 2 << 20, s), "2.0 MiB, 1.0 MiB/s");
        assert_eq!(
            line(2 << 20, Some(8 << 20), 2 << 20, s),
            "2.0 MiB of 8.0 MiB (25%), 1.0 MiB/s, ETA 6s"
        );
    }
}
