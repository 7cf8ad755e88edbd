//! Splitting a byte stream into lines in bounded memory: a line longer than
//! `max_line_bytes` is reported by its length and skipped to its newline, never buffered
//! whole, so neither a 200 MB line nor a gzip bomb without newlines grows the buffer past
//! the cap.

use std::io::{self, Read};

/// A read buffer starts this large; it grows only while one line does not fit.
pub(crate) const BLOCK: usize = 1 << 20;

/// How much is read at a time past the end of a chunk's range, to finish its last line.
const TAIL: usize = 64 << 10;

/// What [`lines`] hands on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Piece<'a> {
    /// A line, without its newline.
    Line(&'a [u8]),
    /// The last line, which has no newline (the stream ended mid-record).
    Torn(&'a [u8]),
    /// A line longer than the cap: its length, up to its newline or the end of the stream.
    TooLong(u64),
}

/// What is being thrown away instead of kept.
#[derive(Clone, Copy)]
enum Discard {
    Nothing,
    /// The rest of the line before the chunk's first (it belongs to the previous chunk).
    Skip,
    /// A line longer than the cap, starting at this offset.
    Long(u64),
}

/// Calls `f` for each line starting before `limit` bytes into `reader` (after skipping
/// through the first newline when `skip`). The buffer holds at most `max(BLOCK,
/// max_line + 1)` bytes, whatever the input.
pub(crate) fn lines(
    reader: &mut impl Read,
    buf: &mut Vec<u8>,
    skip: bool,
    limit: u64,
    max_line: usize,
    mut f: impl FnMut(Piece<'_>),
) -> io::Result<()> {
    let max_line = max_line.max(1);
    if buf.len() < BLOCK {
        buf.resize(BLOCK, 0);
    }
    let mut discard = if skip {
        Discard::Skip
    } else {
        Discard::Nothing
    };
    let (mut filled, mut pos, mut offset) = (0usize, 0usize, 0u64);
    loop {
        if pos > 0 {
            buf.copy_within(pos..filled, 0);
            filled -= pos;
            offset += pos as u64;
            pos = 0;
        }
        if filled == buf.len() {
            // One unfinished line fills the buffer and is still no longer than the cap
            // (a longer one is discarded below), so the buffer is at most `max_line` bytes.
            let grown = buf.len().saturating_mul(2).min(max_line.saturating_add(1));
            buf.resize(grown.max(buf.len() + 1), 0);
        }
        // Past `limit` only the line that crosses it is still wanted: read in small steps
        // there, not whole blocks (a block past each chunk's end was ~18 % more bytes
        // copied from the kernel on a file split into 64 chunks). The steps grow with what
        // that line (or a long one being discarded) already holds, so a long line is read in
        // a few steps and its newline searched over about twice its length, not once per
        // step.
        let read_to = offset + filled as u64;
        let wanted = match limit.checked_sub(read_to) {
            Some(left) if left > 0 => usize::try_from(left).unwrap_or(usize::MAX).max(TAIL),
            _ => usize::try_from(read_to - limit)
                .unwrap_or(usize::MAX)
                .max(filled - pos)
                .max(TAIL),
        };
        let end = buf.len().min(filled.saturating_add(wanted));
        let n = match reader.read(&mut buf[filled..end]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        filled += n;
        if !matches!(discard, Discard::Nothing) {
            if let Some(nl) = memchr::memchr(b'\n', &buf[pos..filled]) {
                if let Discard::Long(start) = discard {
                    f(Piece::TooLong(offset + (pos + nl) as u64 - start));
                }
                discard = Discard::Nothing;
                pos += nl + 1;
            } else {
                // No line starts in this chunk when everything up to its end is one line.
                if matches!(discard, Discard::Skip) && offset + filled as u64 >= limit {
                    return Ok(());
                }
                pos = filled;
                if n == 0 {
                    if let Discard::Long(start) = discard {
                        f(Piece::TooLong(offset + filled as u64 - start));
                    }
                    return Ok(());
                }
                continue;
            }
        }
        while let Some(nl) = memchr::memchr(b'\n', &buf[pos..filled]) {
            if offset + pos as u64 >= limit {
                return Ok(());
            }
            if nl > max_line {
                f(Piece::TooLong(nl as u64));
            } else {
                f(Piece::Line(&buf[pos..pos + nl]));
            }
            pos += nl + 1;
        }
        let rest = filled - pos;
        if n == 0 {
            if rest > 0 && offset + (pos as u64) < limit {
                f(if rest > max_line {
                    Piece::TooLong(rest as u64)
                } else {
                    Piece::Torn(&buf[pos..filled])
                });
            }
            return Ok(());
        }
        if rest > max_line {
            if offset + pos as u64 >= limit {
                return Ok(());
            }
            discard = Discard::Long(offset + pos as u64);
            pos = filled;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{BLOCK, Piece, lines};

    /// A reader that hands out at most `step` bytes per read, as pipes and decoders do.
    struct Trickle<'a>(&'a [u8], usize);

    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(self.1).min(out.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn collect(data: &[u8], skip: bool, limit: u64, max: usize) -> (Vec<String>, usize) {
        collect_by(data, usize::MAX, skip, limit, max)
    }

    fn collect_by(
        data: &[u8],
        step: usize,
        skip: bool,
        limit: u64,
        max: usize,
    ) -> (Vec<String>, usize) {
        let mut out = Vec::new();
        let mut buf = Vec::new();
        lines(&mut Trickle(data, step), &mut buf, skip, limit, max, |p| {
            out.push(match p {
                Piece::Line(l) => String::from_utf8_lossy(l).into_owned(),
                Piece::Torn(l) => format!("torn:{}", String::from_utf8_lossy(l)),
                Piece::TooLong(n) => format!("long:{n}"),
            });
        })
        .unwrap();
        (out, buf.len())
    }

    #[test]
    fn chunks_split_at_line_starts() {
        let data = b"aa\nbb\ncc\ndd";
        // Every line lands in exactly one chunk, whatever the boundaries.
        for cut in 1..data.len() {
            let (mut seen, _) = collect(&data[..], false, cut as u64, 100);
            let rest = &data[cut - 1..];
            seen.extend(collect(rest, true, u64::MAX, 100).0);
            assert_eq!(seen, ["aa", "bb", "cc", "torn:dd"], "cut at {cut}");
        }
    }

    #[test]
    fn long_lines_land_in_one_chunk_whatever_the_boundaries() {
        let data = format!("aa\n{}\nbb\n{}", "x".repeat(10), "y".repeat(12));
        let data = data.as_bytes();
        for step in [1, 2, 3, 7, usize::MAX] {
            for cut in 1..data.len() {
                let (mut seen, _) = collect_by(data, step, false, cut as u64, 5);
                seen.extend(collect_by(&data[cut - 1..], step, true, u64::MAX, 5).0);
                let want = ["aa", "long:10", "bb", "long:12"];
                assert_eq!(seen, want, "cut at {cut}, {step} bytes per read");
            }
        }
    }

    #[test]
    fn long_lines_grow_the_buffer_up_to_the_cap() {
        let long = "x".repeat(3 << 20);
        let data = format!("{long}\nshort\n");
        let (seen, size) = collect(data.as_bytes(), false, u64::MAX, 4 << 20);
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].len(), 3 << 20);
        assert!(size <= (4 << 20) + 1, "{size}");
    }

    /// A reader that yields `len` bytes of `byte`, then `tail`, without holding them.
    struct Endless {
        left: u64,
        byte: u8,
        tail: &'static [u8],
    }

    impl std::io::Read for Endless {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            if self.left == 0 {
                return self.tail.read(out);
            }
            let n = out
                .len()
                .min(usize::try_from(self.left).unwrap_or(usize::MAX));
            out[..n].fill(self.byte);
            self.left -= n as u64;
            Ok(n)
        }
    }

    #[test]
    fn a_line_over_the_cap_is_reported_and_skipped_in_bounded_memory() {
        for (max, tail, after) in [
            (1000, &b"\n{}\n"[..], vec!["long:67108864", "{}"]),
            (1000, &b""[..], vec!["long:67108864"]),
            (BLOCK * 3, &b"\nend"[..], vec!["long:67108864", "torn:end"]),
        ] {
            let mut reader = Endless {
                left: 64 << 20,
                byte: b'0',
                tail,
            };
            let (mut seen, mut buf) = (Vec::new(), Vec::new());
            lines(&mut reader, &mut buf, false, u64::MAX, max, |p| {
                seen.push(match p {
                    Piece::Line(l) => String::from_utf8_lossy(l).into_owned(),
                    Piece::Torn(l) => format!("torn:{}", String::from_utf8_lossy(l)),
                    Piece::TooLong(n) => format!("long:{n}"),
                });
            })
            .unwrap();
            assert_eq!(seen, after);
            assert!(buf.len() <= BLOCK.max(max + 1), "{}", buf.len());
        }
        // Short lines over a small cap are reported too, whatever the buffer holds.
        let (seen, _) = collect(b"abcdef\nab\nabcdefgh", false, u64::MAX, 4);
        assert_eq!(seen, ["long:6", "ab", "long:8"]);
    }

    /// A reader counting its reads.
    struct Counted<R>(R, usize);

    impl<R: std::io::Read> std::io::Read for Counted<R> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            self.1 += 1;
            self.0.read(out)
        }
    }

    #[test]
    fn a_long_line_crossing_the_chunk_end_is_finished_in_few_reads() {
        // 8 MiB of one line after the range's end: steps that grow, not 128 of 64 KiB
        // (each of which searched the whole line again for its newline).
        let mut reader = Counted(
            Endless {
                left: 8 << 20,
                byte: b'x',
                tail: b"
next
",
            },
            0,
        );
        let mut seen = Vec::new();
        lines(&mut reader, &mut Vec::new(), false, 4, 1 << 30, |p| {
            seen.push(match p {
                Piece::Line(l) => l.len(),
                Piece::Torn(_) | Piece::TooLong(_) => 0,
            });
        })
        .unwrap();
        assert_eq!(seen, [8 << 20]);
        assert!(reader.1 <= 24, "{} reads", reader.1);
    }

    #[test]
    fn a_chunk_inside_one_long_line_stops_at_its_end() {
        // Skipping into a chunk that one line covers entirely reads no further than it.
        let mut reader = Endless {
            left: 64 << 20,
            byte: b'0',
            tail: b"\n{}\n",
        };
        let mut calls = 0;
        lines(&mut reader, &mut Vec::new(), true, 4 << 20, 1 << 30, |_| {
            calls += 1
        })
        .unwrap();
        assert_eq!(calls, 0);
        assert!(
            reader.left > 32 << 20,
            "read {} bytes",
            (64 << 20) - reader.left
        );
    }
}
