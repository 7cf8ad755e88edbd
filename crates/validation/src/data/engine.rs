//! The parallel scan: plain files are split into chunks at newline boundaries, gzip files
//! are one chunk each (a deflate stream cannot be entered midway), checksums are one job per
//! file; workers take jobs from a shared counter, each with its own [`Tally`], merged at the
//! end. Memory is a read buffer per worker (at most `max_line_bytes`, see `lines.rs`) plus
//! the id and reference sets. Standard input is one job, read once.

use std::io::{self, Read, Seek, SeekFrom};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::lines::{BLOCK, Piece, lines};
use super::plan::{INVALID_LINES, Plan};
use super::source::Source;
use super::tally::{ChunkStats, Finding, IdSet, Tally, loc};
use crate::Error;
use crate::error::io_error;

const MIN_CHUNK: u64 = 1 << 20;
const MAX_CHUNK: u64 = 64 << 20;
/// Chunks per worker thread: enough that the workers finish within a small chunk of each
/// other (at 8, two workers ended 17–20 ms apart on a 175 MiB file; at 32, ~3 ms).
const CHUNKS_PER_THREAD: u64 = 32;

/// A job: a byte range of a source, or the checksum of a whole source.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Job {
    Scan {
        source: usize,
        chunk: u32,
        start: u64,
        end: u64,
    },
    Checksum {
        source: usize,
    },
}

/// A byte range of a source to scan: a whole file, or a shard's part of a plain one
/// (`shard.rs`). A line belongs to the range its first byte is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unit {
    pub(crate) source: usize,
    pub(crate) start: u64,
    pub(crate) end: u64,
}

/// Every source whole, as an unsharded check reads them.
pub(crate) fn whole(sources: &[Source]) -> Vec<Unit> {
    (0..sources.len())
        .map(|source| Unit {
            source,
            start: 0,
            end: sources[source].size,
        })
        .collect()
}

/// The byte ranges `units` are split into, in file order; chunk ids index the lists
/// returned (each chunk's source and byte range). A checksum runs for each source whose
/// start is among `units`.
fn plan_jobs(
    sources: &[Source],
    units: &[Unit],
    threads: usize,
    checksums: bool,
) -> (Vec<Job>, Vec<usize>, Vec<(u64, u64)>) {
    let total: u64 = units.iter().map(|u| u.end.saturating_sub(u.start)).sum();
    let target = (total / (threads as u64 * CHUNKS_PER_THREAD).max(1)).clamp(MIN_CHUNK, MAX_CHUNK);
    let mut jobs = Vec::new();
    let mut chunk_source = Vec::new();
    let mut chunk_range = Vec::new();
    if checksums {
        for u in units {
            if u.start == 0 && sources[u.source].sha256.is_some() {
                jobs.push(Job::Checksum { source: u.source });
            }
        }
    }
    for &Unit { source, start, end } in units {
        let s = &sources[source];
        let whole = s.gzip || s.stdin;
        let len = end.saturating_sub(start);
        let pieces = if whole {
            1
        } else {
            len.div_ceil(target).max(1)
        };
        let step = len.div_ceil(pieces).max(1);
        for p in 0..pieces {
            let chunk = u32::try_from(chunk_source.len()).unwrap_or(u32::MAX);
            chunk_source.push(source);
            let (from, to) = if whole {
                (0, u64::MAX)
            } else {
                (start + p * step, (start + (p + 1) * step).min(end))
            };
            chunk_range.push((from, to));
            jobs.push(Job::Scan {
                source,
                chunk,
                start: from,
                end: to,
            });
        }
    }
    (jobs, chunk_source, chunk_range)
}

/// Everything the workers produced.
pub(crate) struct Outcome {
    pub(crate) tally: Tally,
    pub(crate) chunks: Vec<ChunkStats>,
    /// Per source: the sha256 computed, when a checksum job ran.
    pub(crate) digests: Vec<Option<String>>,
    /// Per source: a read error that cut the file short (a corrupt gzip stream).
    pub(crate) cut_short: Vec<Option<String>>,
    /// Per chunk (in file order): its source.
    pub(crate) chunk_source: Vec<usize>,
    /// Per chunk: the byte range of its source it scanned (`u64::MAX` ends a whole stream).
    pub(crate) chunk_range: Vec<(u64, u64)>,
}

pub(crate) fn run(
    plan: &Plan,
    sources: &[Source],
    units: &[Unit],
    threads: usize,
    checksums: bool,
) -> Result<Outcome, Error> {
    let (jobs, chunk_source, chunk_range) = plan_jobs(sources, units, threads, checksums);
    let next = AtomicUsize::new(0);
    let chunks = Mutex::new(vec![ChunkStats::default(); chunk_source.len()]);
    let digests = Mutex::new(vec![None; sources.len()]);
    let cut_short = Mutex::new(vec![None; sources.len()]);
    let workers = threads.clamp(1, jobs.len().max(1));
    let sets: Vec<Arc<IdSet>> = (0..plan.set_rules.len()).map(|_| Arc::default()).collect();
    let results: Vec<Result<Tally, Error>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| -> Result<Tally, Error> {
                    let mut tally = Tally::sharing(plan, &sets);
                    let mut buf = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&job) = jobs.get(i) else {
                            tally.settle(plan);
                            return Ok(tally);
                        };
                        match job {
                            Job::Checksum { source } => {
                                let digest = sha256_file(&sources[source])?;
                                lock(&digests)[source] = Some(digest);
                            }
                            Job::Scan {
                                source,
                                chunk,
                                start,
                                end,
                            } => {
                                let src = &sources[source];
                                let mut stats = ChunkStats::default();
                                let expect = src
                                    .manifest_type
                                    .as_deref()
                                    .zip(plan.sources[source].manifest);
                                let cut = scan_chunk(
                                    plan, &mut tally, &mut buf, src, expect, chunk, start, end,
                                    &mut stats,
                                )?;
                                lock(&chunks)[chunk as usize] = stats;
                                if let Some(why) = cut {
                                    lock(&cut_short)[source] = Some(why);
                                }
                            }
                        }
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::Internal("a scan worker panicked".to_owned())))
            })
            .collect()
    });
    let mut merged: Option<Tally> = None;
    for result in results {
        let tally = result?;
        match &mut merged {
            None => merged = Some(tally),
            Some(m) => m.merge(plan, tally),
        }
    }
    let mut tally = merged.unwrap_or_else(|| Tally::sharing(plan, &sets));
    for rule in &mut tally.rules {
        rule.prune(plan.locations);
    }
    Ok(Outcome {
        tally,
        chunks: chunks
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
        digests: digests
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
        cut_short: cut_short
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
        chunk_source,
        chunk_range,
    })
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn sha256_file(source: &Source) -> Result<String, Error> {
    use sha2::Digest as _;
    let mut file = source.open()?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; BLOCK];
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| io_error("read", &source.path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Scans the lines that start in `[start, end)` of `src`; returns why the file was cut
/// short, when its gzip stream broke.
#[allow(
    clippy::too_many_arguments,
    reason = "one call site; a struct would only rename them"
)]
fn scan_chunk(
    plan: &Plan,
    tally: &mut Tally,
    buf: &mut Vec<u8>,
    src: &Source,
    expect: Option<(&str, usize)>,
    chunk: u32,
    start: u64,
    end: u64,
    stats: &mut ChunkStats,
) -> Result<Option<String>, Error> {
    let io_err = |e: io::Error| io_error("read", &src.path, e);
    let max = plan.max_line_bytes;
    let mut each = |piece: Piece<'_>| match piece {
        Piece::Line(line) => on_line(plan, tally, stats, expect, chunk, line, false),
        Piece::Torn(line) => on_line(plan, tally, stats, expect, chunk, line, true),
        Piece::TooLong(len) => too_long(plan, tally, stats, chunk, len),
    };
    if src.stdin || src.gzip {
        let read = if src.stdin {
            let input = io::stdin().lock();
            if src.gzip {
                let mut reader = flate2::bufread::MultiGzDecoder::new(input);
                lines(&mut reader, buf, false, u64::MAX, max, &mut each)
            } else {
                let mut input = input;
                lines(&mut input, buf, false, u64::MAX, max, &mut each)
            }
        } else {
            let file = io::BufReader::with_capacity(BLOCK, src.open()?);
            let mut reader = flate2::bufread::MultiGzDecoder::new(file);
            lines(&mut reader, buf, false, u64::MAX, max, &mut each)
        };
        let lines_read = stats.lines;
        return match read {
            Ok(()) => Ok(None),
            Err(e)
                if src.gzip
                    && matches!(
                        e.kind(),
                        io::ErrorKind::InvalidInput
                            | io::ErrorKind::InvalidData
                            | io::ErrorKind::UnexpectedEof
                    ) =>
            {
                // What follows the last whole line is lost: it counts as one invalid line,
                // located, so the file's lines, records and invalid lines still add up.
                let at = loc(chunk, stats.lines);
                stats.lines += 1;
                stats.invalid += 1;
                let message = format!(
                    "the gzip stream is corrupt here ({e}); nothing after this point could be \
                     read: fetch the file again"
                );
                tally.finding(plan, INVALID_LINES, at, message);
                Ok(Some(format!(
                    "the gzip stream is corrupt after line {lines_read}: {e}"
                )))
            }
            Err(e) => Err(io_err(e)),
        };
    }
    let mut file = src.open()?;
    // A line belongs to the chunk its first byte is in: start one byte early and skip
    // through the first newline, so a chunk starting exactly at a line start keeps it.
    let (from, skip) = if start == 0 {
        (0, false)
    } else {
        (start - 1, true)
    };
    file.seek(SeekFrom::Start(from)).map_err(io_err)?;
    let limit = end - from;
    lines(&mut file, buf, skip, limit, max, each).map_err(io_err)?;
    Ok(None)
}

/// A line longer than `max_line_bytes`: an invalid line, located, its content never read.
pub(crate) fn too_long(
    plan: &Plan,
    tally: &mut Tally,
    stats: &mut ChunkStats,
    chunk: u32,
    len: u64,
) {
    let at = loc(chunk, stats.lines);
    stats.lines += 1;
    stats.invalid += 1;
    let max = plan.max_line_bytes;
    tally.rules[INVALID_LINES].add(plan.locations, || Finding {
        loc: at,
        column: None,
        message: format!(
            "line longer than {max} bytes ({len} bytes): skipped to the next line; raise max_line_bytes if records this long are expected"
        ),
        value: None,
        first: None,
        dup: None,
    });
}

#[inline]
pub(crate) fn on_line(
    plan: &Plan,
    tally: &mut Tally,
    stats: &mut ChunkStats,
    expect: Option<(&str, usize)>,
    chunk: u32,
    line: &[u8],
    torn: bool,
) {
    let at = loc(chunk, stats.lines);
    stats.lines += 1;
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        stats.blank += 1;
        return;
    }
    match tally.line(plan, line, at, torn) {
        Ok(ty) => {
            stats.records += 1;
            if let Some((expected, rule)) = expect
                && *ty != *expected.as_bytes()
            {
                let shown = super::tally::other_type_name(plan, &ty);
                let message = format!("a {shown} in a file of {expected}");
                tally.finding(plan, rule, at, message);
            }
        }
        Err(()) => stats.invalid += 1,
    }
}
