//! The single pass: one reader thread reads (and decompresses) the document, lexes its
//! parts outside records for the root evaluation, and hands each record it can to a
//! worker as raw pieces, never buffering a whole record; or, with one thread or when the
//! root evaluation must see a record, checks it in place.

use std::io::Read;
use std::sync::atomic::AtomicU64;
use std::sync::mpsc::{SyncSender, sync_channel};

use super::event::Token;
use super::finding::RecordChecks;
use super::lexer::{LexError, Lexer};
use super::records::{At, RecordsPath, push_pointer};
use super::tally::Tally;
use super::validator::{Eval, Validator};
use super::worker::{self, Head, Job, Msg, Spare};

/// Bytes per piece sent to a worker: a batch of several records holds at most this many,
/// and a record over `GATHER_BYTES` is streamed to a worker in pieces of this size.
const PIECE_BYTES: usize = 128 * 1024;
/// A record up to this size is sent whole, in a batch of its own if it outgrows a shared
/// one (so the worker's quick check sees it whole); a larger one is streamed in pieces.
const GATHER_BYTES: usize = 2 << 20;
/// A batch of whole records is sent once it holds this many bytes.
const BATCH_BYTES: usize = 64 * 1024;
/// … or this many records.
const BATCH_RECORDS: usize = 512;
/// Pieces queued per worker (so at most this many × `PIECE_BYTES` in flight each).
const QUEUE_PIECES: usize = 8;
/// How often (in document bytes) progress is reported.
const PROGRESS_EVERY: u64 = 4 << 20;

/// How a pass is run.
pub(crate) struct Settings<'a> {
    pub(crate) records: &'a [RecordsPath],
    /// Worker threads (at least one; the reading thread is extra).
    pub(crate) threads: usize,
    pub(crate) show_values: bool,
    pub(crate) max_findings: usize,
    pub(crate) max_token_bytes: usize,
    /// Called with (document bytes read, records so far).
    pub(crate) progress: Option<&'a (dyn Fn(u64, u64) + Sync)>,
}

/// What a pass found.
pub(crate) struct Outcome<C> {
    pub(crate) tally: Tally,
    pub(crate) checks: C,
    /// Records per records path.
    pub(crate) records: Vec<u64>,
    /// Document bytes read.
    pub(crate) bytes: u64,
    /// False when the document could not be read to its end.
    pub(crate) complete: bool,
}

/// An open container.
struct Frame {
    object: bool,
    /// The current member's name or element's index.
    at: Option<At>,
    /// Its elements are the records of this path.
    records: Option<usize>,
    next_index: u64,
}

/// Reads `src` once and checks it.
pub(crate) fn run<V: Validator, C: RecordChecks>(
    src: impl Read,
    validator: &V,
    settings: &Settings<'_>,
    make: &(dyn Fn() -> C + Sync),
) -> Outcome<C> {
    let workers = settings.threads.max(1);
    let in_flight: Vec<AtomicU64> = (0..workers).map(|_| AtomicU64::new(0)).collect();
    let spare = Spare::new(workers * (QUEUE_PIECES + 2), PIECE_BYTES);
    std::thread::scope(|scope| {
        let mut senders = Vec::new();
        let mut handles = Vec::new();
        for counter in &in_flight {
            let (tx, rx) = sync_channel::<Msg<V::Item>>(QUEUE_PIECES);
            senders.push(tx);
            let job = Job {
                validator,
                show_values: settings.show_values,
                max_findings: settings.max_findings,
                max_token_bytes: settings.max_token_bytes,
                in_flight: counter,
                spare: &spare,
            };
            let checks = make();
            handles.push(scope.spawn(move || worker::run(&job, &rx, checks)));
        }
        let mut reader = Reader {
            lexer: Lexer::new(src).max_token_bytes(settings.max_token_bytes),
            settings,
            tally: Tally::new(settings.max_findings),
            checks: make(),
            records: vec![0; settings.records.len()],
            senders,
            in_flight: &in_flight,
            spare: &spare,
            batch: Vec::with_capacity(PIECE_BYTES),
            heads: Vec::new(),
            next_progress: PROGRESS_EVERY,
        };
        let mut root = validator.root(settings.show_values);
        let read = reader.document(validator, &mut root);
        let flushed = reader.flush();
        let complete = match read.and(flushed) {
            Ok(()) => true,
            Err(Stop::Lex(e)) => {
                reader.tally.lex_error("", &e);
                false
            }
            // A worker died (its panic is resumed below): stop reading rather than
            // queue records nobody checks.
            Err(Stop::Recorded | Stop::WorkerGone) => false,
        };
        let bytes = reader.lexer.offset();
        let Reader {
            mut tally,
            mut checks,
            records,
            senders,
            ..
        } = reader;
        drop(senders);
        for handle in handles {
            match handle.join() {
                Ok((t, c)) => {
                    tally.merge(t);
                    checks.merge(c);
                }
                // A worker's panic is a bug, not a finding: its tally and queued records
                // are lost, so no report (least of all a complete one) is made.
                Err(payload) => std::panic::resume_unwind(payload),
            }
        }
        if let Some(progress) = settings.progress {
            progress(bytes, records.iter().sum());
        }
        Outcome {
            tally,
            checks,
            records,
            bytes,
            complete,
        }
    })
}

struct Reader<'a, R, C, I> {
    lexer: Lexer<R>,
    settings: &'a Settings<'a>,
    tally: Tally,
    checks: C,
    records: Vec<u64>,
    senders: Vec<SyncSender<Msg<I>>>,
    in_flight: &'a [AtomicU64],
    /// Buffers the workers are done with.
    spare: &'a Spare,
    /// Whole records not sent yet, back to back, …
    batch: Vec<u8>,
    /// … and their heads with where each ends in `batch`.
    heads: Vec<(Head<I>, usize)>,
    next_progress: u64,
}

/// Why the pass stopped early.
enum Stop {
    /// The document cannot be read past this (not yet recorded).
    Lex(LexError),
    /// Recorded already.
    Recorded,
    /// A worker is gone (it panicked): its queue is closed.
    WorkerGone,
}

impl From<LexError> for Stop {
    fn from(e: LexError) -> Self {
        Self::Lex(e)
    }
}

fn pointer_of(frames: &[Frame]) -> String {
    // Sized once for `/in_network/123456` and the like.
    let mut pointer = String::with_capacity(32);
    for at in frames.iter().filter_map(|f| f.at.as_ref()) {
        push_pointer(&mut pointer, at);
    }
    pointer
}

impl<R: Read, C: RecordChecks, I: Send + Sync + 'static> Reader<'_, R, C, I> {
    /// The whole document; Err when it cannot be read to its end.
    fn document<V>(&mut self, validator: &V, root: &mut V::Root) -> Result<(), Stop>
    where
        V: Validator<Item = I>,
    {
        let mut frames: Vec<Frame> = Vec::new();
        // The records path whose array opens with the next `[`.
        let mut pending: Option<usize> = None;
        loop {
            if self.lexer.offset() >= self.next_progress {
                self.next_progress = self.lexer.offset() + PROGRESS_EVERY;
                if let Some(progress) = self.settings.progress {
                    progress(self.lexer.offset(), self.records.iter().sum());
                }
            }
            if let Some(top) = frames.last_mut().filter(|f| !f.object)
                && self.lexer.next_is_value()?
            {
                let index = top.next_index;
                top.next_index += 1;
                top.at = Some(At::Index(index));
                if let Some(r) = top.records {
                    self.record(validator, root, r, index, &frames)?;
                    continue;
                }
                if self.at_records(&frames, &mut pending, validator, root)? {
                    continue;
                }
            }
            let Some((token, pos)) = self.lexer.next()? else {
                return Ok(());
            };
            root.token(&token, pos, &mut self.tally);
            match token {
                Token::BeginObject => frames.push(Frame {
                    object: true,
                    records: None,
                    next_index: 0,
                    at: None,
                }),
                Token::BeginArray => {
                    frames.push(Frame {
                        object: false,
                        records: pending.take(),
                        next_index: 0,
                        at: None,
                    });
                }
                Token::EndObject | Token::EndArray => {
                    frames.pop();
                }
                Token::Key(k) => {
                    let key = At::Key(k.decoded().into_owned());
                    if let Some(top) = frames.last_mut() {
                        top.at = Some(key);
                    }
                    self.at_records(&frames, &mut pending, validator, root)?;
                }
                _ => {}
            }
        }
    }

    /// At a value's start: when a records path points here, checks the value as a record
    /// (true) or marks the array about to open as one of records.
    fn at_records<V>(
        &mut self,
        frames: &[Frame],
        pending: &mut Option<usize>,
        validator: &V,
        root: &mut V::Root,
    ) -> Result<bool, Stop>
    where
        V: Validator<Item = I>,
    {
        let path: Vec<At> = frames.iter().filter_map(|f| f.at.clone()).collect();
        let Some(r) = self.settings.records.iter().position(|p| p.matches(&path)) else {
            return Ok(false);
        };
        if self.lexer.peek()? == Some(b'[') {
            *pending = Some(r);
            return Ok(false);
        }
        let index = self.records[r];
        self.record(validator, root, r, index, frames)?;
        Ok(true)
    }

    /// Checks a record on this thread, from its tokens.
    pub(super) fn in_place(
        &mut self,
        eval: &mut dyn Eval,
        r: usize,
        index: u64,
        pointer: &str,
        pos: super::event::Pos,
    ) -> Result<(), Stop> {
        self.checks.begin(r, index, pointer, pos);
        let mut depth = 0usize;
        loop {
            let token = match self.lexer.next() {
                Ok(Some((token, at))) => {
                    eval.token(&token, at, &mut self.tally);
                    self.checks.token(&token, at, &mut self.tally);
                    token
                }
                Ok(None) => break,
                Err(e) => {
                    self.tally.lex_error(pointer, &e);
                    return Err(Stop::Recorded);
                }
            };
            match token {
                Token::BeginObject | Token::BeginArray => depth += 1,
                Token::EndObject | Token::EndArray => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                break;
            }
        }
        self.checks.end(&mut self.tally);
        Ok(())
    }
}

mod send;
#[cfg(test)]
mod tests;
