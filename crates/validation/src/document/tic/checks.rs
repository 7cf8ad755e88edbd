//! `TicChecks`: the price-transparency checks a JSON Schema cannot state, run on each
//! record beside the schema (see the module docs of [`tic`](super) for each rule).

use std::sync::{Arc, Mutex};

use super::codes::CodeType;
use super::counts::TicCounts;
use super::path::{Key, PathStack};
use super::place::{DocKind, Place, place};
use super::refs::{GroupIds, ItemAt, ItemTable, Items, UseAt, id_key};
use super::rule;
use super::state::{Code, Identity, Price, report_duplicates, report_unresolved};
use crate::document::event::{Pos, Str, Token};
use crate::document::finding::{Finding, Findings, RecordChecks};
use crate::prehash::Sharded;

/// The checks' rule ids, shared by every finding.
#[derive(Debug, Clone)]
struct Rules {
    provider_group_id: Arc<str>,
    negotiated_rate: Arc<str>,
    expiration_date: Arc<str>,
    billing_code: Arc<str>,
    duplicate_item: Arc<str>,
}

/// The price-transparency record checks of one worker.
#[derive(Debug)]
pub(crate) struct TicChecks {
    kind: DocKind,
    pub(super) today: [u8; 10],
    show_values: bool,
    rules: Rules,
    // The current record.
    records: usize,
    index: u64,
    start: Pos,
    root: String,
    path: PathStack,
    scratch: String,
    item: Code,
    identity: Identity,
    contained: Code,
    price: Price,
    // Across records.
    in_network_prefix: Option<String>,
    ids: GroupIds,
    items: Items,
    counts: TicCounts,
    /// Where [`finish`](RecordChecks::finish) leaves the merged counts.
    counts_out: Option<Arc<Mutex<TicCounts>>>,
}

impl TicChecks {
    /// Checks of a `kind` document; `today` (`YYYY-MM-DD`) judges expiration dates;
    /// `show_values` puts the offending value into findings.
    pub(crate) fn new(kind: DocKind, today: [u8; 10], show_values: bool) -> Self {
        Self {
            kind,
            today,
            show_values,
            rules: Rules {
                provider_group_id: rule::PROVIDER_GROUP_ID.into(),
                negotiated_rate: rule::NEGOTIATED_RATE.into(),
                expiration_date: rule::EXPIRATION_DATE.into(),
                billing_code: rule::BILLING_CODE.into(),
                duplicate_item: rule::DUPLICATE_ITEM.into(),
            },
            records: 0,
            index: 0,
            start: Pos::default(),
            root: String::new(),
            path: PathStack::default(),
            scratch: String::new(),
            item: Code::default(),
            identity: Identity::default(),
            contained: Code::default(),
            price: Price::default(),
            in_network_prefix: None,
            ids: GroupIds::default(),
            items: Items::default(),
            counts: TicCounts::default(),
            counts_out: None,
        }
    }

    /// Leaves the counts in `slot` when finished (the driver consumes the checks).
    pub(crate) fn counts_into(&mut self, slot: Arc<Mutex<TicCounts>>) {
        self.counts_out = Some(slot);
    }

    /// Records in-network items in `table`, the run's one table shared by all its workers
    /// (else each worker keeps its own and merging holds them all at once).
    pub(crate) fn share_items(&mut self, table: Arc<ItemTable>) {
        self.items = Items::shared(table);
    }

    /// Records the `provider_group_id`s defined in `defined`, the run's one table shared by
    /// all its workers.
    pub(crate) fn share_ids(&mut self, defined: Arc<Sharded<()>>) {
        self.ids.share(defined);
    }

    /// The elements counted so far (after merging: in the whole document). Read it before
    /// [`finish`](RecordChecks::finish), which consumes the checks (the driver instead
    /// hands a slot to [`counts_into`](Self::counts_into)).
    #[cfg(test)]
    pub(crate) fn counts(&self) -> TicCounts {
        self.counts
    }

    fn value(&self, v: impl FnOnce() -> String) -> Option<String> {
        self.show_values.then(v)
    }

    fn report(
        &mut self,
        findings: &mut dyn Findings,
        rule: &Arc<str>,
        (depth, tail, pos): (usize, &str, Pos),
        message: String,
        value: impl FnOnce() -> String,
    ) {
        if !findings.count(rule) {
            return;
        }
        self.path.pointer(&self.root, depth, &mut self.scratch);
        self.scratch.push_str(tail);
        findings.detail(Finding {
            rule: rule.clone(),
            pointer: self.scratch.clone(),
            pos,
            message,
            value: self.value(value),
        });
    }

    fn begin_value(&mut self, at: Place) {
        match at {
            Place::Rate => self.counts.negotiated_rates += 1,
            Place::Price => {
                self.counts.negotiated_prices += 1;
                self.price = Price::default();
            }
            Place::Contained => self.contained.clear(),
            Place::Group => self.counts.provider_groups += 1,
            Place::AllowedAmount => self.counts.allowed_amounts += 1,
            Place::Payment => self.counts.payments += 1,
            _ => {}
        }
    }

    fn scalar(&mut self, at: Place, token: &Token<'_>, pos: Pos, findings: &mut dyn Findings) {
        match (at, token) {
            (Place::ItemField(k), Token::String(s)) => self.item_field(k, s, pos),
            (Place::ContainedField(Key::BillingCodeType), Token::String(s)) => {
                self.contained.ty = CodeType::of(&s.bytes());
            }
            (Place::ContainedField(Key::BillingCode), Token::String(s)) => {
                self.contained.set_code(s, pos)
            }
            (Place::ProviderRef, Token::Number(raw)) => {
                let f = self.path.frames();
                let at = UseAt {
                    item: self.index,
                    rate: f[1].index,
                    reference: f[3].index,
                    pos,
                };
                self.ids.used(id_key(raw), at);
            }
            (Place::PriceField(Key::NegotiatedRate), Token::Number(raw)) => {
                let x = std::str::from_utf8(raw)
                    .ok()
                    .and_then(|s| s.parse::<f64>().ok());
                self.price.rate = x.map(|x| (x, pos));
            }
            (Place::PriceField(Key::NegotiatedType), Token::String(s)) => {
                self.price.percentage = *s.bytes() == *b"percentage";
            }
            (Place::PriceField(Key::ExpirationDate), Token::String(s)) => {
                self.expiration(s, pos, findings)
            }
            (Place::ReferenceField(Key::ProviderGroupId), Token::Number(raw)) => {
                self.ids.define(id_key(raw))
            }
            (Place::Npi, Token::Number(_)) => self.counts.npis += 1,
            _ => {}
        }
    }

    fn item_field(&mut self, k: Key, s: &Str<'_>, pos: Pos) {
        let slot = match k {
            Key::BillingCodeType => {
                self.item.ty = CodeType::of(&s.bytes());
                0
            }
            Key::BillingCodeTypeVersion => 1,
            Key::BillingCode => {
                self.item.set_code(s, pos);
                2
            }
            Key::NegotiationArrangement => 3,
            Key::SeverityOfIllness => 4,
            _ => return,
        };
        let h = xxhash_rust::xxh3::xxh3_64(&s.bytes());
        self.identity.0[slot] = h.max(1);
    }

    fn expiration(&mut self, s: &Str<'_>, pos: Pos, findings: &mut dyn Findings) {
        let bytes = s.bytes();
        let d = &bytes[..];
        // A value that is not a date is the schema's `format: date` finding, not this one;
        // 9999-12-31 is the guide's "no expiration".
        let dated = d.len() == 10
            && d.iter().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    *b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            });
        if dated && d != b"9999-12-31" && d < &self.today[..] {
            let rule = self.rules.expiration_date.clone();
            let depth = self.path.frames().len();
            let value = String::from_utf8_lossy(d).into_owned();
            self.report(
                findings,
                &rule,
                (depth, "", pos),
                "expiration_date is before the check's date".into(),
                || value,
            );
        }
    }

    fn end_value(&mut self, at: Place, findings: &mut dyn Findings) {
        match at {
            Place::Item => self.end_item(findings),
            Place::Price => {
                let Some((rate, pos)) = self.price.rate else {
                    return;
                };
                let message = if rate <= 0.0 {
                    "negotiated_rate must be greater than 0"
                } else if self.price.percentage && rate > 100.0 {
                    "a percentage negotiated_rate is above 100"
                } else {
                    return;
                };
                let rule = self.rules.negotiated_rate.clone();
                self.report(
                    findings,
                    &rule,
                    (4, "/negotiated_rate", pos),
                    message.into(),
                    || rate.to_string(),
                );
            }
            Place::Contained => {
                if let Some((ty, pos)) = self.contained.misfit() {
                    let rule = self.rules.billing_code.clone();
                    let value = String::from_utf8_lossy(&self.contained.code).into_owned();
                    self.report(
                        findings,
                        &rule,
                        (2, "/billing_code", pos),
                        format!("billing_code is not {}", ty.expected()),
                        || value,
                    );
                }
            }
            _ => {}
        }
    }

    fn end_item(&mut self, findings: &mut dyn Findings) {
        if let Some((ty, pos)) = self.item.misfit() {
            let rule = self.rules.billing_code.clone();
            let value = String::from_utf8_lossy(&self.item.code).into_owned();
            self.report(
                findings,
                &rule,
                (0, "/billing_code", pos),
                format!("billing_code is not {}", ty.expected()),
                || value,
            );
        }
        let id = &self.identity.0;
        if self.kind != DocKind::InNetwork || id[0] == 0 || id[2] == 0 {
            return;
        }
        let mut bytes = [0u8; 40];
        for (chunk, h) in bytes.chunks_exact_mut(8).zip(id) {
            chunk.copy_from_slice(&h.to_le_bytes());
        }
        let key = xxhash_rust::xxh3::xxh3_128(&bytes);
        let pos = self.start;
        // Named in `finish`, once every worker's items are merged.
        self.items.seen(
            key,
            ItemAt {
                index: self.index,
                pos,
            },
        );
    }
}

impl RecordChecks for TicChecks {
    fn begin(&mut self, records: usize, index: u64, pointer: &str, pos: Pos) {
        self.records = records;
        self.index = index;
        self.start = pos;
        self.root.clear();
        self.root.push_str(pointer);
        self.path.clear();
        self.item.clear();
        self.identity = Identity::default();
        match (self.kind, records) {
            (DocKind::InNetwork, 0) => {
                self.counts.in_network += 1;
                if self.in_network_prefix.is_none() {
                    let prefix = pointer.rsplit_once('/').map_or("", |(p, _)| p);
                    self.in_network_prefix = Some(prefix.to_owned());
                }
            }
            (DocKind::InNetwork, _) => self.counts.provider_references += 1,
            (DocKind::AllowedAmounts, _) => self.counts.out_of_network += 1,
            (DocKind::TableOfContents, _) => self.counts.reporting_structure += 1,
        }
    }

    fn token(&mut self, token: &Token<'_>, pos: Pos, findings: &mut dyn Findings) {
        match token {
            Token::Key(s) => self.path.key(Key::of(s)),
            Token::BeginObject | Token::BeginArray => {
                let at = place(self.kind, self.records, self.path.frames());
                self.begin_value(at);
                self.path.open(matches!(token, Token::BeginObject));
            }
            Token::EndObject | Token::EndArray => {
                self.path.close();
                let at = place(self.kind, self.records, self.path.frames());
                if matches!(token, Token::EndObject) {
                    self.end_value(at, findings);
                }
                self.path.done();
            }
            _ => {
                let at = place(self.kind, self.records, self.path.frames());
                self.scalar(at, token, pos, findings);
                self.path.done();
            }
        }
    }

    fn end(&mut self, _findings: &mut dyn Findings) {}

    fn merge(&mut self, other: Self) {
        self.ids.merge(other.ids);
        self.items.merge(other.items);
        self.counts.add(&other.counts);
        if self.in_network_prefix.is_none() {
            self.in_network_prefix = other.in_network_prefix;
        }
    }

    fn finish(self, findings: &mut dyn Findings) {
        if let Some(slot) = &self.counts_out
            && let Ok(mut c) = slot.lock()
        {
            *c = self.counts;
        }
        let prefix = self
            .in_network_prefix
            .unwrap_or_else(|| "/in_network".to_owned());
        report_unresolved(
            self.ids,
            &prefix,
            &self.rules.provider_group_id,
            self.show_values,
            findings,
        );
        report_duplicates(self.items, &prefix, &self.rules.duplicate_item, findings);
    }
}
