//! Handing records to the workers: whole small records gathered into batches (one message,
//! one wake-up for dozens), a record that outgrows its batch streamed in pieces after the
//! batch before it, to the worker with the fewest bytes waiting.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::SyncSender;

use super::{
    BATCH_BYTES, BATCH_RECORDS, Frame, GATHER_BYTES, PIECE_BYTES, Reader, Stop, pointer_of,
};
use crate::document::finding::RecordChecks;
use crate::document::validator::{RootEval, Validator};
use crate::document::worker::{Head, Msg, Spare};

impl<R: Read, C: RecordChecks, I: Send + Sync + 'static> Reader<'_, R, C, I> {
    /// One record, at the lexer's position.
    pub(super) fn record<V>(
        &mut self,
        validator: &V,
        root: &mut V::Root,
        r: usize,
        index: u64,
        frames: &[Frame],
    ) -> Result<(), Stop>
    where
        V: Validator<Item = I>,
    {
        let pos = self.lexer.here();
        let pointer = pointer_of(frames);
        self.records[r] += 1;
        let item = root.detach_item();
        let Some(item) = item else {
            return self.in_place(root, r, index, &pointer, pos);
        };
        if self.senders.is_empty() {
            let mut eval = validator.item(&item, &pointer, self.settings.show_values);
            return self.in_place(&mut eval, r, index, &pointer, pos);
        }
        let mut head = Some(Head {
            records: r,
            index,
            pointer: pointer.clone(),
            pos,
            item: Arc::new(item),
        });
        // The record goes into the batch. One that outgrows it is gathered whole in a batch
        // of its own (the records before it are sent first), so the worker's quick check
        // sees it whole; one larger than `GATHER_BYTES` is streamed after them instead, in
        // pieces of `PIECE_BYTES`, to the same worker.
        let mut start = self.batch.len();
        let mut out = Out {
            senders: &self.senders,
            in_flight: self.in_flight,
            spare: self.spare,
            gone: false,
        };
        let (batch, heads) = (&mut self.batch, &mut self.heads);
        let mut streaming: Option<(usize, Vec<u8>)> = None;
        let skipped = self.lexer.skip_value(&mut |mut piece: &[u8]| {
            while !piece.is_empty() {
                let Some((w, chunk)) = streaming.as_mut() else {
                    let record = batch.len() - start + piece.len();
                    if batch.len() + piece.len() <= PIECE_BYTES
                        || (start == 0 && record <= GATHER_BYTES)
                    {
                        batch.extend_from_slice(piece);
                        return;
                    }
                    if start > 0 && record <= GATHER_BYTES {
                        out.send_before(batch, heads, start);
                        start = 0;
                        continue;
                    }
                    let Some(h) = head.take() else {
                        // Not reached: the head is taken only when streaming starts.
                        batch.extend_from_slice(piece);
                        return;
                    };
                    let w = out.spill(batch, heads, start, h);
                    streaming = Some((w, out.spare.take()));
                    continue;
                };
                let n = (PIECE_BYTES - chunk.len()).min(piece.len());
                chunk.extend_from_slice(&piece[..n]);
                piece = &piece[n..];
                if chunk.len() == PIECE_BYTES {
                    let full = std::mem::replace(chunk, out.spare.take());
                    out.send(*w, Msg::Bytes(full, false), PIECE_BYTES);
                }
            }
        });
        match (skipped, streaming) {
            (Ok(_), Some((w, chunk))) => {
                let n = chunk.len();
                out.send(w, Msg::Bytes(chunk, true), n);
            }
            (Ok(_), None) => {
                if let Some(head) = head.take() {
                    heads.push((head, batch.len()));
                }
            }
            (Err(e), streaming) => {
                // The record's bytes up to where reading failed go to a worker (findings in
                // them count, whatever the record's size or its neighbours), then word
                // that it ends there; the reader reports why.
                let w = match (streaming, head.take()) {
                    (Some((w, _)), _) => Some(w),
                    (None, Some(h)) => Some(out.spill(batch, heads, start, h)),
                    (None, None) => None,
                };
                if let Some(w) = w {
                    out.send(w, Msg::Abort, 0);
                }
                self.tally.lex_error(&pointer, &e);
                return Err(Stop::Recorded);
            }
        }
        if out.gone {
            return Err(Stop::WorkerGone);
        }
        if self.batch.len() >= BATCH_BYTES || self.heads.len() >= BATCH_RECORDS {
            self.flush()?;
        }
        Ok(())
    }

    /// Sends the batch of whole records to the worker with the fewest bytes waiting.
    pub(super) fn flush(&mut self) -> Result<(), Stop> {
        if self.heads.is_empty() || self.senders.is_empty() {
            return Ok(());
        }
        let w = least_loaded(self.in_flight);
        let batch = std::mem::replace(&mut self.batch, self.spare.take());
        self.in_flight[w].fetch_add(batch.len() as u64, Ordering::Relaxed);
        let heads = std::mem::take(&mut self.heads);
        self.senders[w]
            .send(Msg::Batch(batch, heads))
            .map_err(|_| Stop::WorkerGone)
    }
}

/// The worker with the fewest bytes waiting.
fn least_loaded(in_flight: &[AtomicU64]) -> usize {
    (0..in_flight.len())
        .min_by_key(|&w| in_flight[w].load(Ordering::Relaxed))
        .unwrap_or(0)
}

/// Where the reader's messages go, and whether a worker was found gone.
struct Out<'s, I> {
    senders: &'s [SyncSender<Msg<I>>],
    in_flight: &'s [AtomicU64],
    spare: &'s Spare,
    gone: bool,
}

impl<I> Out<'_, I> {
    fn send(&mut self, w: usize, msg: Msg<I>, bytes: usize) {
        self.in_flight[w].fetch_add(bytes as u64, Ordering::Relaxed);
        self.gone |= self.senders[w].send(msg).is_err();
    }

    /// Sends the batch's whole records (before `start`, where the current record's bytes
    /// begin) to the worker with the fewest bytes waiting; the batch keeps the current
    /// record's.
    fn send_before(
        &mut self,
        batch: &mut Vec<u8>,
        heads: &mut Vec<(Head<I>, usize)>,
        start: usize,
    ) {
        let w = least_loaded(self.in_flight);
        let current = batch.split_off(start);
        let done = std::mem::replace(batch, current);
        let n = done.len();
        self.send(w, Msg::Batch(done, std::mem::take(heads)), n);
    }

    /// Sends the batch's whole records, then the current record's bytes so far (from
    /// `start` in the batch, taken out of it) as its first piece, to the worker with the
    /// fewest bytes waiting; returns which worker.
    fn spill(
        &mut self,
        batch: &mut Vec<u8>,
        heads: &mut Vec<(Head<I>, usize)>,
        start: usize,
        head: Head<I>,
    ) -> usize {
        let w = least_loaded(self.in_flight);
        let first = batch.split_off(start);
        if !heads.is_empty() {
            let done = std::mem::replace(batch, self.spare.take());
            let n = done.len();
            self.send(w, Msg::Batch(done, std::mem::take(heads)), n);
        }
        let n = first.len();
        self.send(w, Msg::Begin(head, first, false), n);
        w
    }
}
