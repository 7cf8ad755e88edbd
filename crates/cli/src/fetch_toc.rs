//! `steadfast fetch --toc URL --out DIR`: a Transparency-in-Coverage table of contents
//! fetched into DIR, then every `reporting_structure[*].in_network_files[*].location` and
//! `reporting_structure[*].allowed_amount_file.location` queued and downloaded, at most
//! `--parallel` at once, each resumable — named after its URL's last path segment,
//! de-duplicated (`name-2.json.gz`), a name that could leave DIR refused. Only `http(s)`
//! locations; under an https table of contents a plain-http location is refused unless
//! `--allow-http`; a redirect to another origin is followed only to a host
//! `--allow-redirect-host` names (for every file alike). DIR's state file ([`STATE`]: url,
//! size, sha256 of each file done, written atomically after each) lets a rerun skip what
//! is complete. Which files and under which names is `toc_plan.rs`.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use steadfast::fhir::{Download, DownloadEvent, FhirError};
use steadfast::http::reqwest::Url;
use steadfast::run::{ByteSize, Links, escape_terminal};

use crate::progress::Progress;
use crate::toc_plan::{Queued, bare, local_name, plan, shown_location, unique};
use crate::{EXIT_FAIL, EXIT_OK, EXIT_USAGE};

/// The state file in the output directory.
pub(crate) const STATE: &str = ".steadfast-fetch.json";
/// The largest table of contents read (they are KB to a few MB).
const TOC_LIMIT: u64 = 256 << 20;

/// The parts of a table of contents this command reads (the schema's other fields are
/// `validate-data`'s business).
#[derive(Debug, Deserialize)]
struct Toc {
    reporting_structure: Vec<Structure>,
}

#[derive(Debug, Deserialize)]
struct Structure {
    #[serde(default)]
    in_network_files: Vec<Location>,
    allowed_amount_file: Option<Location>,
}

#[derive(Debug, Deserialize)]
struct Location {
    location: String,
}

/// The state file: what is complete, by local name.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct State {
    pub(crate) version: u32,
    pub(crate) files: BTreeMap<String, Done>,
}

/// One complete file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Done {
    pub(crate) url: String,
    pub(crate) bytes: u64,
    pub(crate) sha256: String,
}

/// The state of an earlier run; empty when there is none, or (said on stderr) when it
/// cannot be read — every file is then fetched again.
fn read_state(dir: &Path) -> State {
    let path = dir.join(STATE);
    if !path.exists() {
        return State::default();
    }
    steadfast::run::read_regular_to_string(&path, Links::Refuse, 64 << 20)
        .map_err(anyhow::Error::from)
        .and_then(|t| serde_json::from_str(&t).map_err(anyhow::Error::from))
        .unwrap_or_else(|e| {
            eprintln!(
                "warning: {} cannot be read ({}); fetching every file again",
                crate::shown(&path),
                escape_terminal(&e.to_string())
            );
            State::default()
        })
}

fn write_state(dir: &Path, state: &State) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(state)?;
    steadfast::run::atomic_write(dir.join(STATE), text)?;
    Ok(())
}

/// Whether `q` is complete from an earlier run: the state names the same URL (query
/// aside) and the file on disk has the recorded size.
fn complete(dir: &Path, state: &State, q: &Queued) -> bool {
    state.files.get(&q.name).is_some_and(|d| {
        d.url == bare(&q.url)
            && std::fs::symlink_metadata(dir.join(&q.name))
                .is_ok_and(|m| m.is_file() && m.len() == d.bytes)
    })
}

/// The progress line of a table of contents' files.
struct Shown {
    progress: Progress,
    started: Instant,
    files: usize,
    done: usize,
    bytes: u64,
}

impl Shown {
    fn show(&mut self) {
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "a display rate"
        )]
        let rate = ByteSize::new((self.bytes as f64 / secs) as u64).human();
        let text = format!(
            "files {}/{}, {}, {rate}/s",
            self.done,
            self.files,
            ByteSize::new(self.bytes).human()
        );
        self.progress.show(|| text);
    }
}

/// What `fetch --toc` is asked.
pub(crate) struct TocArgs<'a> {
    /// The table of contents' URL.
    pub(crate) url: &'a str,
    /// The output directory.
    pub(crate) out: &'a Path,
    /// Files downloaded at once.
    pub(crate) parallel: u16,
    /// Plain-http files under an https table of contents too.
    pub(crate) allow_http: bool,
}

/// Whether an error is the caller's to fix (exit 2) rather than the download's (exit 1).
pub(crate) fn is_usage(e: &FhirError) -> bool {
    matches!(
        e,
        FhirError::InvalidDownload { .. }
            | FhirError::File {
                action: "create" | "replace",
                ..
            }
    )
}

pub(crate) fn fetch_toc(args: &TocArgs<'_>, download: Download) -> anyhow::Result<u8> {
    let dir = args.out;
    let toc_url = match Url::parse(args.url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u,
        _ => {
            eprintln!(
                "error: --toc: {} is not an http(s) URL",
                escape_terminal(args.url)
            );
            return Ok(EXIT_USAGE);
        }
    };
    if let Err(e) = std::fs::create_dir_all(dir) {
        eprintln!("error: cannot create {}: {e}", crate::shown(dir));
        return Ok(EXIT_USAGE);
    }
    let mut taken = HashSet::new();
    let toc_name = match local_name(&toc_url) {
        Ok(n) => unique(&n, &mut taken),
        Err(_) => unique("table-of-contents.json", &mut taken),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let toc_path = dir.join(&toc_name);
    if let Err(e) = runtime.block_on(download.to_file(toc_url.as_str(), &toc_path)) {
        eprintln!(
            "error: table of contents: {}",
            escape_terminal(&e.to_string())
        );
        return Ok(if is_usage(&e) { EXIT_USAGE } else { EXIT_FAIL });
    }
    let toc: Toc = match steadfast::run::read_regular_to_string(&toc_path, Links::Refuse, TOC_LIMIT)
        .map_err(anyhow::Error::from)
        .and_then(|t| serde_json::from_str(&t).map_err(anyhow::Error::from))
    {
        Ok(t) => t,
        Err(e) => {
            eprintln!(
                "error: {} is not a table of contents: {}",
                crate::shown(&toc_path),
                escape_terminal(&e.to_string())
            );
            return Ok(EXIT_FAIL);
        }
    };
    let locations: Vec<String> = toc
        .reporting_structure
        .into_iter()
        .flat_map(|s| s.in_network_files.into_iter().chain(s.allowed_amount_file))
        .map(|l| l.location)
        .collect();
    let (queued, refused) = plan(&toc_url, &locations, args.allow_http, &mut taken);
    for (location, why) in &refused {
        eprintln!(
            "refused: {}: {why}",
            escape_terminal(&shown_location(location))
        );
    }
    let mut state = read_state(dir);
    state.version = 1;
    let (skip, todo): (Vec<_>, Vec<_>) = queued.into_iter().partition(|q| complete(dir, &state, q));
    let shown = Arc::new(Mutex::new(Shown {
        progress: Progress::new(),
        started: Instant::now(),
        files: todo.len(),
        done: 0,
        bytes: 0,
    }));
    let (fetched, failed) = runtime.block_on(run_all(
        dir,
        &download,
        todo,
        args.parallel,
        &shown,
        &mut state,
    ))?;
    if let Ok(mut s) = shown.lock() {
        s.progress.done();
    }
    for q in &skip {
        println!(
            "  {:<40} complete from an earlier run",
            escape_terminal(&q.name)
        );
    }
    println!(
        "table of contents {}: {} file(s) listed, {} fetched, {} skipped as complete, {} refused, {} failed; state {}",
        escape_terminal(&toc_name),
        locations.iter().collect::<HashSet<_>>().len(),
        fetched,
        skip.len(),
        refused.len(),
        failed,
        crate::shown(&dir.join(STATE)),
    );
    Ok(if failed == 0 && refused.is_empty() {
        EXIT_OK
    } else {
        EXIT_FAIL
    })
}

/// Downloads `todo`, at most `parallel` at once, recording each file done in the state
/// file as it completes; the numbers fetched and failed.
async fn run_all(
    dir: &Path,
    download: &Download,
    todo: Vec<Queued>,
    parallel: u16,
    shown: &Arc<Mutex<Shown>>,
    state: &mut State,
) -> anyhow::Result<(usize, usize)> {
    let permits = Arc::new(tokio::sync::Semaphore::new(usize::from(parallel)));
    let mut tasks = tokio::task::JoinSet::new();
    for q in todo {
        let permits = permits.clone();
        let shown2 = shown.clone();
        let d = download.clone().on_event(move |e| {
            if let (DownloadEvent::Bytes { bytes }, Ok(mut s)) = (e, shown2.lock()) {
                s.bytes += bytes;
                s.show();
            }
        });
        let out: PathBuf = dir.join(&q.name);
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let got = d.to_file(q.url.as_str(), &out).await;
            (q, got)
        });
    }
    let (mut fetched, mut failed) = (0, 0);
    while let Some(joined) = tasks.join_next().await {
        let (q, got) = joined?;
        match got {
            Ok(got) => {
                if let Ok(mut s) = shown.lock() {
                    s.done += 1;
                    s.progress.done();
                }
                println!(
                    "  {:<40} {:>12}  sha256 {}",
                    escape_terminal(&q.name),
                    ByteSize::new(got.bytes).human(),
                    got.sha256
                );
                state.files.insert(
                    q.name.clone(),
                    Done {
                        url: bare(&q.url),
                        bytes: got.bytes,
                        sha256: got.sha256,
                    },
                );
                write_state(dir, state)?;
                fetched += 1;
            }
            Err(e) => {
                failed += 1;
                eprintln!(
                    "failed: {}: {}",
                    escape_terminal(&q.name),
                    escape_terminal(&e.to_string())
                );
            }
        }
    }
    Ok((fetched, failed))
}
