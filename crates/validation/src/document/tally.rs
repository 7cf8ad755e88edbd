//! Findings as a check collects them: an exact count per rule and the details of the first
//! few, merged across workers in any order and sorted by where they are in the document,
//! so the report does not depend on how many threads read it.
//!
//! Which findings are kept must not depend on which worker read which record either. A
//! worker reads its records in document order, so a later record's findings all lie after
//! an earlier one's; but within one record they are found in any order (an object's
//! `required` at its end, at its start's offset). So a rule's list is allowed to change
//! while the record that filled it lasts — a finding that sorts before the last kept one
//! takes its place — and each worker keeps exactly the `cap` first of its findings in
//! document order: their union holds the document's `cap` first.

use std::collections::HashMap;
use std::sync::Arc;

use super::finding::{Finding, Findings};
use super::lex_error::LexError;

/// The rule of a document (or record) that is not valid JSON.
pub(crate) const JSON_RULE: &str = "json";

/// One rule's findings.
#[derive(Debug, Default)]
pub(crate) struct RuleTally {
    pub(crate) count: u64,
    pub(crate) first: Vec<Finding>,
    /// The record during which `first` reached the cap.
    filled_in: Option<u64>,
}

/// Every rule's findings.
#[derive(Debug)]
pub(crate) struct Tally {
    cap: usize,
    pub(crate) rules: HashMap<Arc<str>, RuleTally>,
    /// The record being read (a worker's count; None: findings arrive in document order,
    /// as the reader's own do).
    record: Option<u64>,
}

/// The order findings are kept in: where they are, then pointer and message.
fn key(f: &Finding) -> (u64, &str, &str) {
    (f.pos.offset, &f.pointer, &f.message)
}

impl Tally {
    /// Keeps the details of the first `cap` findings of each rule.
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            cap,
            rules: HashMap::new(),
            record: None,
        }
    }

    /// A worker starts its next record.
    pub(crate) fn next_record(&mut self) {
        self.record = Some(self.record.map_or(0, |r| r + 1));
    }

    /// Records that the bytes at the error are not JSON.
    pub(crate) fn lex_error(&mut self, pointer: &str, error: &LexError) {
        let rule: Arc<str> = Arc::from(JSON_RULE);
        if self.count(&rule) {
            self.detail(Finding {
                rule,
                pointer: pointer.to_owned(),
                pos: error.pos,
                message: error.message(),
                value: None,
            });
        }
    }

    /// Takes in another tally. Afterwards (the record checks' findings at the end of the
    /// document, in any order) every finding competes for a full list's places.
    pub(crate) fn merge(&mut self, other: Self) {
        const AFTER_RECORDS: u64 = u64::MAX;
        self.record = Some(AFTER_RECORDS);
        for (rule, t) in other.rules {
            let mine = self.rules.entry(rule).or_default();
            mine.count += t.count;
            mine.first.extend(t.first);
        }
        for t in self.rules.values_mut() {
            t.first.sort_by(|a, b| key(a).cmp(&key(b)));
            t.first.truncate(self.cap);
            t.filled_in = (t.first.len() >= self.cap).then_some(AFTER_RECORDS);
        }
    }

    /// Each rule's kept findings in document order, the first `cap`; rules by name.
    pub(crate) fn finish(self) -> Vec<(Arc<str>, RuleTally)> {
        let cap = self.cap;
        let mut rules: Vec<_> = self.rules.into_iter().collect();
        for (_, t) in &mut rules {
            t.first.sort_by(|a, b| key(a).cmp(&key(b)));
            t.first.truncate(cap);
        }
        rules.sort_by(|a, b| a.0.cmp(&b.0));
        rules
    }
}

impl Findings for Tally {
    fn count(&mut self, rule: &Arc<str>) -> bool {
        let (cap, record) = (self.cap, self.record);
        match self.rules.get_mut(rule) {
            Some(t) => {
                t.count += 1;
                t.first.len() < cap || (record.is_some() && t.filled_in == record)
            }
            None => {
                self.rules.insert(
                    rule.clone(),
                    RuleTally {
                        count: 1,
                        first: Vec::new(),
                        filled_in: None,
                    },
                );
                cap > 0
            }
        }
    }

    fn detail(&mut self, finding: Finding) {
        let (cap, record) = (self.cap, self.record);
        let t = self.rules.entry(finding.rule.clone()).or_default();
        if t.first.len() < cap {
            t.first.push(finding);
            if t.first.len() == cap {
                t.filled_in = record;
            }
            return;
        }
        // Full: the finding takes the last kept one's place if it comes before it.
        let last = (0..t.first.len()).max_by(|&a, &b| key(&t.first[a]).cmp(&key(&t.first[b])));
        if let Some(i) = last
            && key(&finding) < key(&t.first[i])
        {
            t.first[i] = finding;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::event::Pos;

    /// A worker's tally after reading `records` (each: its findings' offsets and messages,
    /// in the order found).
    fn worker(records: &[&[(u64, &str)]], cap: usize) -> Tally {
        let rule: Arc<str> = Arc::from("r");
        let mut t = Tally::new(cap);
        for record in records {
            t.next_record();
            for &(offset, message) in *record {
                if t.count(&rule) {
                    t.detail(Finding {
                        rule: rule.clone(),
                        pointer: format!("/{offset}"),
                        pos: Pos {
                            offset,
                            line: 1,
                            column: 1,
                        },
                        message: message.into(),
                        value: None,
                    });
                }
            }
        }
        t
    }

    fn kept(t: Tally) -> Vec<(u64, String)> {
        t.finish()
            .into_iter()
            .flat_map(|(_, r)| r.first)
            .map(|f| (f.pos.offset, f.message))
            .collect()
    }

    #[test]
    fn the_first_findings_whichever_worker_read_which_record() {
        // Four records in document order; in the second, findings at one offset are found
        // in reverse order (an object's `required` at its end). Cap 3: the document's
        // first three are "z" and the second record's "a" and "b", for every way of
        // sharing the records between two workers (each reading its own in order) and
        // either order of merging.
        let r: [&[(u64, &str)]; 4] = [
            &[(5, "z")],
            &[(10, "d"), (10, "c"), (10, "b"), (10, "a")],
            &[(20, "b"), (20, "a")],
            &[(30, "a")],
        ];
        let want = vec![
            (5, "z".to_owned()),
            (10, "a".to_owned()),
            (10, "b".to_owned()),
        ];
        for share in 0..16u32 {
            let mine = |w: u32| -> Vec<&[(u64, &str)]> {
                (0..4)
                    .filter(|i| (share >> i) & 1 == w)
                    .map(|i| r[i as usize])
                    .collect()
            };
            for first in [0, 1] {
                let mut merged = worker(&[], 3);
                merged.merge(worker(&mine(first), 3));
                merged.merge(worker(&mine(1 - first), 3));
                assert_eq!(kept(merged), want, "share {share:04b}, first {first}");
            }
        }
    }
}
