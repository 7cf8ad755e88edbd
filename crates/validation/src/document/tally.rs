//! Findings as a check collects them: an exact count per rule and the details of the first
//! few, merged across workers in any order and sorted by where they are in the document,
//! so the report does not depend on how many threads read it.

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
}

/// Every rule's findings.
#[derive(Debug)]
pub(crate) struct Tally {
    cap: usize,
    pub(crate) rules: HashMap<Arc<str>, RuleTally>,
}

impl Tally {
    /// Keeps the details of the first `cap` findings of each rule.
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            cap,
            rules: HashMap::new(),
        }
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

    /// Takes in another tally.
    pub(crate) fn merge(&mut self, other: Self) {
        for (rule, t) in other.rules {
            let mine = self.rules.entry(rule).or_default();
            mine.count += t.count;
            mine.first.extend(t.first);
        }
    }

    /// Each rule's kept findings in document order, the first `cap`; rules by name.
    pub(crate) fn finish(self) -> Vec<(Arc<str>, RuleTally)> {
        let cap = self.cap;
        let mut rules: Vec<_> = self.rules.into_iter().collect();
        for (_, t) in &mut rules {
            t.first.sort_by(|a, b| {
                (a.pos.offset, &a.pointer, &a.message).cmp(&(b.pos.offset, &b.pointer, &b.message))
            });
            t.first.truncate(cap);
        }
        rules.sort_by(|a, b| a.0.cmp(&b.0));
        rules
    }
}

impl Findings for Tally {
    fn count(&mut self, rule: &Arc<str>) -> bool {
        let cap = self.cap;
        match self.rules.get_mut(rule) {
            Some(t) => {
                t.count += 1;
                t.first.len() < cap
            }
            None => {
                self.rules.insert(
                    rule.clone(),
                    RuleTally {
                        count: 1,
                        first: Vec::new(),
                    },
                );
                cap > 0
            }
        }
    }

    fn detail(&mut self, finding: Finding) {
        let cap = self.cap;
        let t = self.rules.entry(finding.rule.clone()).or_default();
        if t.first.len() < cap {
            t.first.push(finding);
        }
    }
}
