//! [`PartialResult::merge`]: N shards' partial results into the report one process would
//! give — after refusing parts that do not belong together (other inputs, other rules,
//! another N, a shard missing or given twice, bytes of a file covered twice or not at all).

use std::collections::BTreeMap;
use std::path::PathBuf;

use steadfast_core::Links;

use super::engine::Outcome;
use super::packed::{hash_hex, unpack};
use super::partial::{PartialResult, Wire, inputs_hash, ref_seen, rules_hash};
use super::plan::Plan;
use super::report::{self, DataReport};
use super::source::Source;
use super::tally::{ChunkStats, Finding, Loc, Tally, loc};
use crate::Error;

fn refuse(part: &PartialResult, message: String) -> Error {
    Error::Input {
        path: part.origin.clone().unwrap_or_default(),
        message,
    }
}

/// Refuses parts that were not made by the same check, or do not make a whole one.
fn check_parts(parts: &[PartialResult]) -> Result<(), Error> {
    let Some(first) = parts.first() else {
        return Err(Error::Input {
            path: PathBuf::new(),
            message: "no partial results to merge: pass the N files written by validate-data --shard I/N --partial FILE".to_owned(),
        });
    };
    let n = first.wire.shard.count();
    for part in parts {
        let w = &part.wire;
        if w.rules_hash != rules_hash(&w.rules, w.show_values)
            || w.inputs_hash != inputs_hash(&w.sources, &w.input_problems)
        {
            return Err(refuse(
                part,
                "field `rules_hash` or `inputs_hash` does not match the rules and inputs the part holds: the file was edited or damaged; run the shard again".to_owned(),
            ));
        }
        if w.shard.count() != n {
            return Err(refuse(
                part,
                format!(
                    "is shard {} but {} is shard {}: every part must come from the same N",
                    w.shard,
                    first.label(),
                    first.wire.shard
                ),
            ));
        }
        if w.inputs_hash != first.wire.inputs_hash {
            return Err(refuse(
                part,
                format!(
                    "checked other inputs than {} (inputs hash {} vs {}): every shard must be given the same paths, resolving to the same files",
                    first.label(),
                    w.inputs_hash,
                    first.wire.inputs_hash
                ),
            ));
        }
        if w.rules_hash != first.wire.rules_hash {
            return Err(refuse(
                part,
                format!(
                    "was checked by other rules than {} (rules hash {} vs {}; --show-values counts): run every shard with the same rules",
                    first.label(),
                    w.rules_hash,
                    first.wire.rules_hash
                ),
            ));
        }
    }
    let mut by_index: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for part in parts {
        by_index
            .entry(part.wire.shard.index())
            .or_default()
            .push(part.label());
    }
    if let Some((i, labels)) = by_index.iter().find(|(_, l)| l.len() > 1) {
        return Err(Error::Input {
            path: PathBuf::from(&labels[1]),
            message: format!(
                "shard {i}/{n} is given more than once ({}): pass each shard's part once",
                labels.join(", ")
            ),
        });
    }
    let missing: Vec<String> = (1..=n)
        .filter(|i| !by_index.contains_key(i))
        .map(|i| format!("{i}/{n}"))
        .collect();
    if !missing.is_empty() {
        let (shards, are) = if missing.len() == 1 {
            ("shard", "is")
        } else {
            ("shards", "are")
        };
        return Err(refuse(
            first,
            format!(
                "{shards} {} {are} missing: the report needs all {n} parts; run the missing {shards} and merge all {n}",
                missing.join(", "),
            ),
        ));
    }
    Ok(())
}

/// A part's field whose length does not fit the rules.
fn sized(part: &PartialResult, field: &str, got: usize, want: usize) -> Result<(), Error> {
    if got == want {
        return Ok(());
    }
    Err(refuse(
        part,
        format!(
            "field `{field}` has {got} entries where the rules make {want}: the file is damaged; run the shard again"
        ),
    ))
}

fn damaged(part: &PartialResult, field: &str) -> Error {
    refuse(
        part,
        format!("field `{field}` is damaged: run the shard again"),
    )
}

/// One part's counts as a tally, its locations renumbered into the global chunks.
fn tally_of(plan: &Plan, part: &PartialResult, global: &[u32]) -> Result<Tally, Error> {
    let w: &Wire = &part.wire;
    sized(part, "rule_tallies", w.rule_tallies.len(), plan.rules.len())?;
    sized(part, "types", w.types.len(), plan.types.len())?;
    sized(part, "ids", w.ids.len(), plan.set_rules.len())?;
    sized(part, "id_texts", w.id_texts.len(), plan.set_rules.len())?;
    sized(part, "refs", w.refs.len(), plan.ref_rules.len())?;
    sized(part, "ref_texts", w.ref_texts.len(), plan.ref_rules.len())?;
    let at = |(chunk, line): (u32, u32), field: &str| -> Result<Loc, Error> {
        let g = usize::try_from(chunk)
            .ok()
            .and_then(|c| global.get(c))
            .ok_or_else(|| damaged(part, field))?;
        Ok(loc(*g, line))
    };
    let moved = |l: u64, field: &str| at(((l >> 32) as u32, (l & 0xffff_ffff) as u32), field);
    let mut tally = Tally::new(plan);
    for (mine, theirs) in tally.rules.iter_mut().zip(&w.rule_tallies) {
        mine.violations = theirs.violations;
        for f in &theirs.findings {
            mine.findings.push(Finding {
                loc: at(f.at, "rule_tallies")?,
                column: f.column,
                message: f.message.clone(),
                value: f.value.clone(),
                first: f.first.map(|x| at(x, "rule_tallies")).transpose()?,
                dup: match &f.dup {
                    None => None,
                    Some((set, h)) => match unpack::<0>(h).as_deref() {
                        Some(&[(h, [])]) => Some((*set, h)),
                        _ => return Err(damaged(part, "rule_tallies")),
                    },
                },
            });
        }
    }
    for (set, packed) in tally.sets.iter().zip(&w.ids) {
        for (h, [l]) in unpack::<1>(packed).ok_or_else(|| damaged(part, "ids"))? {
            set.shard(h).insert(h, moved(l, "ids")?);
        }
    }
    for (texts, given) in tally.texts.iter_mut().zip(&w.id_texts) {
        for (h, text) in given {
            let Some(&[(h, [])]) = unpack::<0>(h).as_deref() else {
                return Err(damaged(part, "id_texts"));
            };
            texts.insert(h, text.as_str().into());
        }
    }
    for ((refs, packed), texts) in tally.refs.iter_mut().zip(&w.refs).zip(&w.ref_texts) {
        for (h, [count, first]) in unpack::<2>(packed).ok_or_else(|| damaged(part, "refs"))? {
            let text = texts.get(&hash_hex(h));
            refs.insert(h, ref_seen(count, moved(first, "refs")?, text));
        }
    }
    tally.types.clone_from(&w.types);
    tally.other_types = w.other_types.clone().into_iter().collect();
    Ok(tally)
}

impl PartialResult {
    /// Merges the partial results of all N shards of one check into the report a single,
    /// unsharded [`DataCheck::run`](super::DataCheck::run) of the same inputs and rules
    /// gives: the same counts, the same first locations (file:line), the same verdict.
    /// Its `checked_at` is the latest part's.
    ///
    /// ```
    /// use steadfast_validation::data::{DataCheck, DataRules, PartialResult, Shard};
    ///
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("a.ndjson"), "{\"resourceType\":\"Patient\",\"id\":\"1\"}\n")?;
    /// let rules = DataRules::default();
    /// let one = DataCheck::new(&rules).run_shard(&[dir.path()], Shard::new(1, 2)?)?;
    /// let err = PartialResult::merge(&[one]).unwrap_err();
    /// assert!(err.to_string().contains("shard 2/2 is missing"), "{err}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Input`] naming the part (and the field) when parts do not belong together
    /// or do not make a whole check: another N, other inputs, other rules, a shard missing
    /// or given twice, a part damaged.
    pub fn merge(parts: &[Self]) -> Result<DataReport, Error> {
        check_parts(parts)?;
        let first = &parts[0].wire;
        let sources: Vec<Source> = first
            .sources
            .iter()
            .map(|s| Source {
                path: PathBuf::from(&s.name),
                links: Links::Refuse,
                stdin: false,
                name: s.name.clone(),
                gzip: s.gzip,
                size: s.size,
                manifest_type: s.manifest_type.clone(),
                manifest_count: s.manifest_count,
                sha256: s.sha256.clone(),
            })
            .collect();
        let plan = Plan::new(
            &first.rules,
            &sources,
            first.show_values,
            Some(&first.input_problems),
        )
        .map_err(Error::Internal)?;
        // Every part's chunks, in file order.
        let mut order: Vec<(usize, u64, usize, usize)> = Vec::new();
        for (p, part) in parts.iter().enumerate() {
            for (c, chunk) in part.wire.chunks.iter().enumerate() {
                if chunk.source >= sources.len() {
                    return Err(damaged(part, "chunks"));
                }
                order.push((chunk.source, chunk.start, p, c));
            }
        }
        order.sort_unstable();
        let mut global: Vec<Vec<u32>> =
            parts.iter().map(|p| vec![0; p.wire.chunks.len()]).collect();
        let mut chunks = Vec::with_capacity(order.len());
        let mut chunk_source = Vec::with_capacity(order.len());
        let mut chunk_range = Vec::with_capacity(order.len());
        let mut covered: Vec<Option<u64>> = vec![None; sources.len()];
        for (g, &(source, start, p, c)) in order.iter().enumerate() {
            let chunk = &parts[p].wire.chunks[c];
            let s = &sources[source];
            let whole = s.gzip && start == 0 && chunk.end == u64::MAX;
            let fits = match covered[source] {
                None => start == 0,
                Some(end) => !s.gzip && end == start,
            };
            if !fits || !(whole || (!s.gzip && chunk.end >= start && chunk.end <= s.size)) {
                return Err(refuse(
                    &parts[p],
                    format!(
                        "field `chunks`: bytes {start}.. of {} are covered twice or out of order: the parts do not make one check; run the shards again",
                        s.name
                    ),
                ));
            }
            covered[source] = Some(chunk.end);
            global[p][c] = u32::try_from(g).unwrap_or(u32::MAX);
            chunks.push(ChunkStats {
                lines: chunk.lines,
                records: chunk.records,
                blank: chunk.blank,
                invalid: chunk.invalid,
            });
            chunk_source.push(source);
            chunk_range.push((start, chunk.end));
        }
        if let Some((s, _)) = sources.iter().zip(&covered).find(|(s, end)| match end {
            None => true,
            Some(end) => !s.gzip && *end != s.size,
        }) {
            return Err(Error::Input {
                path: PathBuf::new(),
                message: format!(
                    "no part covers all of {}: the parts do not make one check; run the shards again",
                    s.name
                ),
            });
        }
        let mut tally = Tally::new(&plan);
        let mut digests = vec![None; sources.len()];
        let mut cut_short = vec![None; sources.len()];
        for (part, global) in parts.iter().zip(&global) {
            tally.merge(&plan, tally_of(&plan, part, global)?);
            for (field, to, from) in [
                ("digests", &mut digests, &part.wire.digests),
                ("cut_short", &mut cut_short, &part.wire.cut_short),
            ] {
                for t in from {
                    let slot = to.get_mut(t.source).ok_or_else(|| damaged(part, field))?;
                    *slot = Some(t.text.clone());
                }
            }
        }
        for rule in &mut tally.rules {
            rule.prune(plan.locations);
        }
        let checked_at = parts
            .iter()
            .map(|p| p.wire.checked_at)
            .max()
            .unwrap_or(first.checked_at);
        let outcome = Outcome {
            tally,
            chunks,
            digests,
            cut_short,
            chunk_source,
            chunk_range,
        };
        Ok(report::build(&plan, &sources, outcome, checked_at))
    }
}
