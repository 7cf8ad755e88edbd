//! Sharding a check across processes (`Shard`, `I/N`, 1-based, in `shard_spec.rs`): the split of the ordered
//! input list into N parts of about equal bytes (whole `.gz` files, plain files cut into
//! byte ranges — a line belongs to the range its first byte is in, as between threads), and
//! [`DataCheck::run_shard`], which checks one part into a [`PartialResult`].

use std::path::{Path, PathBuf};

use steadfast_core::Timestamp;

use super::engine::{self, Unit};
use super::partial::PartialResult;
use super::shard_spec::Shard;
use super::source::Source;
use super::{DataCheck, input, plan};
use crate::Error;

/// The units of shard `shard` (0-based here): the concatenated inputs are cut at
/// `k * total / count`; a plain file across a cut is split there, a gzip file (one
/// deflate stream) goes whole to the shard its middle byte falls in, an empty file to the
/// shard its offset falls in.
pub(crate) fn units(sources: &[Source], shard: u32, count: u32) -> Vec<Unit> {
    let total: u64 = sources.iter().map(|s| s.size).sum();
    let n = u128::from(count);
    let cut = |k: u128| -> u64 { u64::try_from(u128::from(total) * k / n).unwrap_or(u64::MAX) };
    let owner = |offset: u64| -> u32 {
        if total == 0 {
            return 0;
        }
        let k = u128::from(offset) * n / u128::from(total);
        u32::try_from(k).unwrap_or(u32::MAX).min(count - 1)
    };
    let (lo, hi) = (cut(u128::from(shard)), cut(u128::from(shard) + 1));
    let mut out = Vec::new();
    let mut offset = 0u64;
    for (i, s) in sources.iter().enumerate() {
        let (start, end) = (offset, offset + s.size);
        offset = end;
        if s.gzip || s.size == 0 {
            if owner(start + s.size / 2) == shard {
                out.push(Unit {
                    source: i,
                    start: 0,
                    end: s.size,
                });
            }
            continue;
        }
        let (from, to) = (start.max(lo), end.min(hi));
        if from < to {
            out.push(Unit {
                source: i,
                start: from - start,
                end: to - start,
            });
        }
    }
    out
}

impl DataCheck<'_> {
    /// Checks shard `shard` of `inputs` (resolved and ordered as [`run`](Self::run) does)
    /// into a [`PartialResult`]; [`PartialResult::merge`] of all N parts gives the report
    /// one `run` would give. Every shard must be given the same inputs (paths as given,
    /// same files) and rules; the partial records a hash of both and merge refuses parts
    /// that differ.
    ///
    /// ```
    /// use steadfast_core::config::Loader;
    /// use steadfast_validation::data::{DataCheck, DataRules, PartialResult, Shard};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let lines: String = (0..100)
    ///     .map(|i| format!("{{\"resourceType\":\"Patient\",\"id\":\"p{}\"}}\n", i % 90))
    ///     .collect();
    /// std::fs::write(dir.path().join("Patient.ndjson"), lines)?;
    /// let rules = DataRules::load(&Loader::new().toml_str("r.toml", "[resources.Patient]"))?;
    /// let check = DataCheck::new(rules.value()).threads(1);
    /// let mut parts = Vec::new();
    /// for i in 1..=3 {
    ///     parts.push(check.run_shard(&[dir.path()], Shard::new(i, 3)?)?);
    /// }
    /// let merged = PartialResult::merge(&parts)?;
    /// assert_eq!(merged.records(), 100);
    /// assert_eq!(merged.violations("Patient.unique:id"), 10); // across shards too
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`run`](Self::run), and [`Error::Input`] for standard input (`-`), which cannot
    /// be split.
    pub fn run_shard<P: AsRef<Path>>(
        &self,
        inputs: &[P],
        shard: Shard,
    ) -> Result<PartialResult, Error> {
        let paths: Vec<PathBuf> = inputs.iter().map(|p| p.as_ref().to_path_buf()).collect();
        let input::Inputs { sources, problems } = input::resolve(&paths, self.allow_outside)?;
        if let Some(s) = sources.iter().find(|s| s.stdin) {
            return Err(Error::Input {
                path: s.path.clone(),
                message: "standard input cannot be sharded: every shard must read the same files; write the data to a file first".to_owned(),
            });
        }
        let plan = plan::Plan::new(self.rules, &sources, self.show_values, Some(&problems))
            .map_err(Error::Internal)?;
        let threads = match self.threads {
            0 => std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            n => n,
        };
        let mine = units(&sources, shard.index() - 1, shard.count());
        let checksums = self.rules.verify_checksums;
        let outcome = engine::run(&plan, &sources, &mine, threads, checksums)?;
        let at = self.checked_at.unwrap_or_else(Timestamp::now);
        Ok(PartialResult::new(
            self.rules,
            self.show_values,
            shard,
            at,
            &sources,
            problems,
            &plan,
            outcome,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(size: u64, gzip: bool) -> Source {
        let mut s = Source::stream("f".to_owned(), false, gzip);
        s.size = size;
        s
    }

    #[test]
    fn shards_tile_every_file_once_with_fair_bytes() {
        let sources = [
            source(1000, false),
            source(0, false),
            source(300, true),
            source(5000, false),
        ];
        for count in 1..=7 {
            let mut seen: Vec<Vec<(u64, u64)>> = vec![Vec::new(); sources.len()];
            for k in 0..count {
                for u in units(&sources, k, count) {
                    seen[u.source].push((u.start, u.end));
                }
            }
            for (s, ranges) in sources.iter().zip(&mut seen) {
                ranges.sort_unstable();
                if s.gzip || s.size == 0 {
                    assert_eq!(ranges, &[(0, s.size)]);
                    continue;
                }
                assert_eq!(ranges.first().map(|r| r.0), Some(0));
                assert_eq!(ranges.last().map(|r| r.1), Some(s.size));
                assert!(ranges.windows(2).all(|w| w[0].1 == w[1].0), "{ranges:?}");
            }
        }
        let four: Vec<u64> = (0..4)
            .map(|k| units(&sources, k, 4).iter().map(|u| u.end - u.start).sum())
            .collect();
        assert_eq!(four.iter().sum::<u64>(), 6300);
        assert!(four.iter().all(|&b| b.abs_diff(1575) <= 300), "{four:?}");
    }

    #[test]
    fn shard_specs_are_one_based_and_checked() {
        assert_eq!("1/1".parse::<Shard>().map(|s| s.index()), Ok(1));
        for bad in ["0/4", "5/4", "4", "a/b", "1/0", "1/65537", "-1/4"] {
            let err = bad.parse::<Shard>().unwrap_err().to_string();
            assert!(err.contains(bad) && err.contains("1-based"), "{err}");
        }
    }
}
