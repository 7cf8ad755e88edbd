//! A worker thread: receives records as pieces of raw bytes, lexes each over a reader of
//! its pieces (positions made document-absolute), and runs the record's schema evaluation
//! and the record checks on its tokens.

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::{Mutex, PoisonError};

use super::event::Pos;
use super::finding::RecordChecks;
use super::lexer::{Lexer, Trusted};
use super::probe::Probe;
use super::schema::QuickState;
use super::tally::Tally;
use super::validator::{Eval, Validator};

/// Where a record starts and what it is checked against.
pub(crate) struct Head<I> {
    /// Which records path.
    pub(crate) records: usize,
    /// Its index among that path's records.
    pub(crate) index: u64,
    pub(crate) pointer: String,
    pub(crate) pos: Pos,
    pub(crate) item: Arc<I>,
}

/// What the reader sends a worker.
pub(crate) enum Msg<I> {
    /// Whole records, back to back: each head with where its bytes end in the buffer (most
    /// records are small: one message, one wake-up, one buffer for dozens of them).
    Batch(Vec<u8>, Vec<(Head<I>, usize)>),
    /// A record starts, with its first bytes; true when they are all of it.
    Begin(Head<I>, Vec<u8>, bool),
    /// Its next bytes; true when they are the last.
    Bytes(Vec<u8>, bool),
    /// The reader could not read it to its end (and reports why).
    Abort,
}

/// Buffers the workers are done with, for the reader to fill again (a fresh 128 KiB
/// buffer per message cost the reader an allocation and the worker a free each time).
pub(crate) struct Spare {
    buffers: Mutex<Vec<Vec<u8>>>,
    keep: usize,
    capacity: usize,
}

impl Spare {
    /// Keeps up to `keep` buffers; new ones hold `capacity` bytes.
    pub(crate) fn new(keep: usize, capacity: usize) -> Self {
        Self {
            buffers: Mutex::new(Vec::with_capacity(keep)),
            keep,
            capacity,
        }
    }

    /// An empty buffer.
    pub(crate) fn take(&self) -> Vec<u8> {
        let spare = self
            .buffers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        spare.unwrap_or_else(|| Vec::with_capacity(self.capacity))
    }

    /// A buffer that is no longer needed (kept only if it is of the usual size).
    pub(crate) fn give(&self, mut buffer: Vec<u8>) {
        if buffer.capacity() < self.capacity || buffer.capacity() > 2 * self.capacity {
            return;
        }
        buffer.clear();
        let mut buffers = self.buffers.lock().unwrap_or_else(PoisonError::into_inner);
        if buffers.len() < self.keep {
            buffers.push(buffer);
        }
    }
}

/// What a worker was set up with.
pub(crate) struct Job<'a, V: Validator> {
    pub(crate) validator: &'a V,
    pub(crate) show_values: bool,
    pub(crate) max_findings: usize,
    pub(crate) max_token_bytes: usize,
    /// Bytes sent to this worker and not yet lexed.
    pub(crate) in_flight: &'a AtomicU64,
    pub(crate) spare: &'a Spare,
}

/// The current record's bytes, as a reader; end of input at the record's end.
struct Pieces<'a, I> {
    rx: &'a Receiver<Msg<I>>,
    piece: Vec<u8>,
    at: usize,
    /// Where the record's bytes in `piece` end.
    end: usize,
    ended: bool,
    aborted: bool,
    in_flight: &'a AtomicU64,
    spare: &'a Spare,
}

impl<I> Read for Pieces<'_, I> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.at == self.end {
            if self.ended {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok(Msg::Bytes(b, last)) => {
                    self.in_flight.fetch_sub(b.len() as u64, Ordering::Relaxed);
                    self.end = b.len();
                    self.spare.give(std::mem::replace(&mut self.piece, b));
                    self.at = 0;
                    self.ended = last;
                }
                Err(_) => self.ended = true,
                Ok(Msg::Abort) => {
                    self.ended = true;
                    self.aborted = true;
                    return Err(io::Error::other("the record was not read to its end"));
                }
                Ok(Msg::Begin(..) | Msg::Batch(..)) => {
                    return Err(io::Error::other(
                        "a record began before the previous one ended",
                    ));
                }
            }
        }
        let n = out.len().min(self.end - self.at);
        out[..n].copy_from_slice(&self.piece[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Runs until the reader hangs up; returns what was found and the checks' state.
pub(crate) fn run<V: Validator, C: RecordChecks>(
    job: &Job<'_, V>,
    rx: &Receiver<Msg<V::Item>>,
    mut checks: C,
) -> (Tally, C) {
    let mut state = State {
        tally: Tally::new(job.max_findings),
        buffer: Vec::new(),
        eval: None,
        quick: QuickState::default(),
        stack: Vec::new(),
        probes: Vec::new(),
    };
    while let Ok(msg) = rx.recv() {
        match msg {
            Msg::Batch(bytes, heads) => {
                job.in_flight
                    .fetch_sub(bytes.len() as u64, Ordering::Relaxed);
                let mut pieces = Pieces {
                    rx,
                    piece: bytes,
                    at: 0,
                    end: 0,
                    ended: true,
                    aborted: false,
                    in_flight: job.in_flight,
                    spare: job.spare,
                };
                for (head, end) in heads {
                    pieces.at = pieces.end;
                    pieces.end = end;
                    let whole = &pieces.piece[pieces.at..end];
                    if !quick(job, &head, whole, &mut checks, &mut state) {
                        record(job, &head, &mut pieces, &mut checks, &mut state);
                    }
                }
                job.spare.give(pieces.piece);
            }
            Msg::Begin(head, first, last) => {
                job.in_flight
                    .fetch_sub(first.len() as u64, Ordering::Relaxed);
                if last && quick(job, &head, &first, &mut checks, &mut state) {
                    job.spare.give(first);
                    continue;
                }
                let mut pieces = Pieces {
                    rx,
                    end: first.len(),
                    piece: first,
                    at: 0,
                    ended: last,
                    aborted: false,
                    in_flight: job.in_flight,
                    spare: job.spare,
                };
                record(job, &head, &mut pieces, &mut checks, &mut state);
                job.spare.give(pieces.piece);
            }
            Msg::Bytes(..) | Msg::Abort => {}
        }
    }
    (state.tally, checks)
}

/// What a worker keeps from record to record.
struct State<E> {
    tally: Tally,
    /// The lexer's buffer, reused.
    buffer: Vec<u8>,
    /// The last record's evaluation, reused.
    eval: Option<E>,
    /// The quick checks' sets and scratch, reused.
    quick: QuickState,
    /// The open containers of a record that passed the quick check, reused.
    stack: Vec<bool>,
    /// Whether the quick check is worth trying, per records path.
    probes: Vec<Probe>,
}

/// A whole record that passes the schema's quick check is done but for the record checks,
/// which are fed its tokens (the schema evaluation is skipped: it would find nothing):
/// true. False when it must be lexed and evaluated (then nothing was counted).
fn quick<V: Validator, C: RecordChecks>(
    job: &Job<'_, V>,
    head: &Head<V::Item>,
    whole: &[u8],
    checks: &mut C,
    state: &mut State<V::ItemEval>,
) -> bool {
    // Without a schema the record checks' lexer reads the record as JSON anyway.
    let saves = V::SCHEMA || !C::TOKENS;
    if !saves {
        return false;
    }
    if state.probes.len() <= head.records {
        state.probes.resize(head.records + 1, Probe::default());
    }
    let probe = &mut state.probes[head.records];
    if !probe.wanted() {
        return false;
    }
    if !job
        .validator
        .passes(&head.item, whole, job.max_token_bytes, &mut state.quick)
    {
        probe.failed();
        return false;
    }
    probe.passed();
    let tally = &mut state.tally;
    tally.next_record();
    checks.begin(head.records, head.index, &head.pointer, head.pos);
    if C::TOKENS {
        // The walk has read every byte as JSON: its tokens need no second check.
        let mut tokens = Trusted::new(whole, head.pos, std::mem::take(&mut state.stack));
        while let Some((token, pos)) = tokens.next() {
            checks.token(&token, pos, tally);
        }
        state.stack = tokens.into_stack();
    }
    checks.end(tally);
    true
}

/// Checks one record: its schema evaluation and the record checks on its tokens, read
/// from `pieces` to the record's end.
fn record<V: Validator, C: RecordChecks>(
    job: &Job<'_, V>,
    head: &Head<V::Item>,
    pieces: &mut Pieces<'_, V::Item>,
    checks: &mut C,
    state: &mut State<V::ItemEval>,
) {
    let tally = &mut state.tally;
    tally.next_record();
    checks.begin(head.records, head.index, &head.pointer, head.pos);
    let eval = match &mut state.eval {
        Some(eval) => {
            job.validator
                .reuse_item(eval, &head.item, &head.pointer, job.show_values);
            eval
        }
        empty @ None => empty.insert(job.validator.item(
            &head.item,
            &head.pointer,
            job.show_values,
        )),
    };
    {
        let mut lexer =
            Lexer::with_buffer(&mut *pieces, head.pos, std::mem::take(&mut state.buffer))
                .max_token_bytes(job.max_token_bytes);
        loop {
            match lexer.next() {
                Ok(Some((token, pos))) => {
                    eval.token(&token, pos, tally);
                    checks.token(&token, pos, tally);
                }
                Ok(None) => break,
                Err(e) => {
                    if !lexer.source().aborted {
                        tally.lex_error(&head.pointer, &e);
                    }
                    break;
                }
            }
        }
        state.buffer = lexer.into_buffer();
    }
    // After an error, the rest of the record is passed over (the reader found its end).
    let mut sink = [0u8; 8192];
    while matches!(pieces.read(&mut sink), Ok(n) if n > 0) {}
    checks.end(tally);
}
