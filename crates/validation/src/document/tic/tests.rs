//! Unit tests of the price-transparency checks, fed tokens from `serde_json::Value`s.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::checks::TicChecks;
use super::{DocKind, RuleSet};
use crate::document::event::{Pos, Str, Token};
use crate::document::finding::{Finding, Findings, RecordChecks};

/// Counts every violation and keeps every detail.
#[derive(Default)]
pub(crate) struct Collect {
    pub(crate) counts: BTreeMap<String, u64>,
    pub(crate) details: Vec<Finding>,
}

impl Findings for Collect {
    fn count(&mut self, rule: &Arc<str>) -> bool {
        *self.counts.entry(rule.to_string()).or_default() += 1;
        true
    }
    fn detail(&mut self, finding: Finding) {
        self.details.push(finding);
    }
}

impl Collect {
    fn of(&self, rule: &str) -> u64 {
        self.counts.get(rule).copied().unwrap_or(0)
    }
    fn pointers(&self, rule: &str) -> Vec<&str> {
        self.details
            .iter()
            .filter(|f| &*f.rule == rule)
            .map(|f| f.pointer.as_str())
            .collect()
    }
}

/// Feeds one value's tokens; `at` numbers them (a token's offset is its number).
pub(crate) fn feed(v: &Value, checks: &mut impl RecordChecks, at: &mut u64, out: &mut Collect) {
    let emit = |t: &Token<'_>,
                at: &mut u64,
                out: &mut Collect,
                c: &mut dyn FnMut(&Token<'_>, Pos, &mut Collect)| {
        *at += 1;
        c(
            t,
            Pos {
                offset: *at,
                line: 1,
                column: 1,
            },
            out,
        );
    };
    let mut sink = |t: &Token<'_>, p: Pos, out: &mut Collect| checks.token(t, p, out);
    walk(v, &mut |t, at, out| emit(t, at, out, &mut sink), at, out);
}

fn walk(
    v: &Value,
    f: &mut dyn FnMut(&Token<'_>, &mut u64, &mut Collect),
    at: &mut u64,
    out: &mut Collect,
) {
    let s = |x: &str| serde_json::to_string(x).unwrap_or_default();
    match v {
        Value::Null => f(&Token::Null, at, out),
        Value::Bool(b) => f(&Token::Bool(*b), at, out),
        Value::Number(n) => f(&Token::Number(n.to_string().as_bytes()), at, out),
        Value::String(x) => {
            let q = s(x);
            let raw = &q.as_bytes()[1..q.len() - 1];
            f(
                &Token::String(Str {
                    raw,
                    escaped: raw.contains(&b'\\'),
                }),
                at,
                out,
            );
        }
        Value::Array(items) => {
            f(&Token::BeginArray, at, out);
            for i in items {
                walk(i, f, at, out);
            }
            f(&Token::EndArray, at, out);
        }
        Value::Object(m) => {
            f(&Token::BeginObject, at, out);
            for (k, i) in m {
                let q = s(k);
                let raw = &q.as_bytes()[1..q.len() - 1];
                f(
                    &Token::Key(Str {
                        raw,
                        escaped: raw.contains(&b'\\'),
                    }),
                    at,
                    out,
                );
                walk(i, f, at, out);
            }
            f(&Token::EndObject, at, out);
        }
    }
}

/// Runs `checks` over the records of `doc` at `paths` (top-level member names, in the
/// given order — not necessarily the document's), with `workers` workers taking records
/// in turn, merged in reverse; returns the findings and the counts.
pub(crate) fn run(
    doc: &Value,
    kind: DocKind,
    paths: &[(usize, &str)],
    workers: usize,
    today: &[u8; 10],
) -> (Collect, super::TicCounts) {
    let mut out = Collect::default();
    let mut ws: Vec<TicChecks> = (0..workers)
        .map(|_| TicChecks::new(kind, *today, true))
        .collect();
    let mut at = 0;
    let mut n = 0usize;
    for &(records, name) in paths {
        let Some(Value::Array(items)) = doc.get(name) else {
            continue;
        };
        for (i, item) in items.iter().enumerate() {
            let w = &mut ws[n % workers];
            n += 1;
            w.begin(
                records,
                i as u64,
                &format!("/{name}/{i}"),
                Pos {
                    offset: at + 1,
                    line: 1,
                    column: 1,
                },
            );
            feed(item, w, &mut at, &mut out);
            w.end(&mut out);
        }
    }
    let mut merged = ws
        .pop()
        .unwrap_or_else(|| TicChecks::new(kind, *today, true));
    while let Some(w) = ws.pop() {
        merged.merge(w);
    }
    let counts = merged.counts();
    merged.finish(&mut out);
    (out, counts)
}

fn price(rate: f64, ty: &str, exp: &str) -> Value {
    json!({"negotiated_type": ty, "negotiated_rate": rate, "expiration_date": exp,
           "billing_class": "institutional", "setting": "inpatient"})
}

fn item(code_type: &str, code: &str, refs: Value, prices: Vec<Value>) -> Value {
    json!({"negotiation_arrangement": "ffs", "name": "n", "billing_code_type": code_type,
           "billing_code_type_version": "2024", "billing_code": code, "description": "d",
           "negotiated_rates": [{"provider_references": refs, "negotiated_prices": prices}]})
}

fn doc() -> Value {
    let ok = price(10.0, "negotiated", "9999-12-31");
    json!({
        "in_network": [
            item("CPT", "27447", json!([1, 2]), vec![ok.clone(), price(-1.0, "negotiated", "2020-01-01")]),
            item("NDC", "0002-1433-80", json!([3, 7, 7.0]), vec![price(150.0, "percentage", "2030-01-01")]),
            item("CPT", "27447", json!([1]), vec![ok.clone(), price(0.0, "fee schedule", "2025-06-01")]),
            item("MS-DRG", "CSTM-00", json!([9]), vec![ok]),
        ],
        "provider_references": [
            {"provider_group_id": 1, "network_name": ["a"], "provider_groups": [
                {"npi": [1111111111, 1222222222], "tin": {"type": "ein", "value": "12-3456789"}},
                {"npi": [1333333333], "tin": {"type": "ein", "value": "12-3456789"}}]},
            {"provider_group_id": 2, "network_name": ["a"], "provider_groups": [
                {"npi": [0], "tin": {"type": "npi", "value": "1234567890"}}]},
            {"provider_group_id": 9, "location": "https://example.org/refs/9.json"}
        ]
    })
}

const TODAY: &[u8; 10] = b"2026-01-01";
const IN_NETWORK: [(usize, &str); 2] = [(0, "in_network"), (1, "provider_references")];

#[test]
fn finds_each_fault_with_its_pointer_and_count() {
    for paths in [IN_NETWORK, [(1, "provider_references"), (0, "in_network")]] {
        for workers in [1, 3] {
            let (out, counts) = run(&doc(), DocKind::InNetwork, &paths, workers, TODAY);
            // 3 once, 7 twice (7 and 7.0 are one id): three unresolved uses, two ids.
            assert_eq!(out.of("tic.provider_group_id"), 3, "{paths:?} {workers}");
            assert_eq!(
                out.pointers("tic.provider_group_id"),
                [
                    "/in_network/1/negotiated_rates/0/provider_references/0",
                    "/in_network/1/negotiated_rates/0/provider_references/1"
                ]
            );
            assert_eq!(out.of("tic.negotiated_rate"), 3);
            assert_eq!(
                out.pointers("tic.negotiated_rate"),
                [
                    "/in_network/0/negotiated_rates/0/negotiated_prices/1/negotiated_rate",
                    "/in_network/1/negotiated_rates/0/negotiated_prices/0/negotiated_rate",
                    "/in_network/2/negotiated_rates/0/negotiated_prices/1/negotiated_rate"
                ]
            );
            assert_eq!(out.of("tic.expiration_date"), 2);
            assert_eq!(out.of("tic.billing_code"), 1, "the 10-digit hyphenated NDC");
            assert_eq!(
                out.pointers("tic.billing_code"),
                ["/in_network/1/billing_code"]
            );
            assert_eq!(out.of("tic.duplicate_item"), 1);
            let dup: Vec<_> = out
                .details
                .iter()
                .filter(|f| &*f.rule == "tic.duplicate_item")
                .collect();
            assert_eq!(dup[0].pointer, "/in_network/2");
            assert!(
                dup[0].message.contains("/in_network/0"),
                "{}",
                dup[0].message
            );
            assert_eq!(counts.in_network, 4);
            assert_eq!(counts.negotiated_rates, 4);
            assert_eq!(counts.negotiated_prices, 6);
            assert_eq!(counts.provider_references, 3);
            assert_eq!(counts.provider_groups, 3);
            assert_eq!(counts.npis, 4);
        }
    }
}

#[test]
fn values_only_when_asked_and_never_in_messages() {
    let (out, _) = run(&doc(), DocKind::InNetwork, &IN_NETWORK, 1, TODAY);
    assert!(
        out.details
            .iter()
            .all(|f| !f.message.contains("2020-01-01") && !f.message.contains("1433"))
    );
    let mut quiet = Collect::default();
    let mut c = TicChecks::new(DocKind::InNetwork, *TODAY, false);
    let mut at = 0;
    c.begin(0, 0, "/in_network/0", Pos::default());
    feed(
        &item(
            "CPT",
            "2744",
            json!([1]),
            vec![price(-3.0, "negotiated", "2001-01-01")],
        ),
        &mut c,
        &mut at,
        &mut quiet,
    );
    assert_eq!(quiet.details.len(), 3);
    assert!(quiet.details.iter().all(|f| f.value.is_none()));
}

#[test]
fn today_decides_expiration() {
    let (late, _) = run(&doc(), DocKind::InNetwork, &IN_NETWORK, 1, b"2031-01-01");
    assert_eq!(late.of("tic.expiration_date"), 3, "all but 9999-12-31");
    let (early, _) = run(&doc(), DocKind::InNetwork, &IN_NETWORK, 1, b"2000-01-01");
    assert_eq!(early.of("tic.expiration_date"), 0);
}

#[test]
fn contained_codes_and_allowed_amounts() {
    let mut bundle = item(
        "CPT",
        "27447",
        json!([1]),
        vec![price(1.0, "negotiated", "9999-12-31")],
    );
    bundle["bundled_codes"] = json!([
        {"billing_code_type": "CDT", "billing_code_type_version": "1", "billing_code": "D0120", "description": "x"},
        {"billing_code_type": "RC", "billing_code_type_version": "1", "billing_code": "450", "description": "x"}
    ]);
    let d = json!({"in_network": [bundle], "provider_references": [{"provider_group_id": 1}]});
    let (out, _) = run(&d, DocKind::InNetwork, &IN_NETWORK, 1, TODAY);
    assert_eq!(
        out.pointers("tic.billing_code"),
        ["/in_network/0/bundled_codes/1/billing_code"]
    );
    assert_eq!(out.of("tic.provider_group_id"), 0);

    let aa = json!({"out_of_network": [{"billing_code_type": "HCPCS", "billing_code": "J12345",
        "allowed_amounts": [{"payments": [{"allowed_amount": 1, "providers": [{"billed_charge": 2, "npi": [1, 2, 3]}]}]}]}]});
    let (out, counts) = run(
        &aa,
        DocKind::AllowedAmounts,
        &[(0, "out_of_network")],
        1,
        TODAY,
    );
    assert_eq!(
        out.pointers("tic.billing_code"),
        ["/out_of_network/0/billing_code"]
    );
    assert_eq!(
        (
            counts.out_of_network,
            counts.allowed_amounts,
            counts.payments,
            counts.npis
        ),
        (1, 1, 1, 3)
    );
}

#[test]
fn rule_sets_by_name() {
    assert_eq!(
        RuleSet::NAMES,
        [
            "tic-in-network",
            "tic-allowed-amounts",
            "tic-table-of-contents"
        ]
    );
    for name in RuleSet::NAMES {
        let set = RuleSet::named(name).expect("listed");
        let schema: Value = serde_json::from_str(set.schema()).expect("embedded schema is JSON");
        assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
        assert!(!set.records().is_empty());
    }
    let checks = RuleSet::named("tic-in-network")
        .map(|s| s.checks(steadfast_core::Timestamp::from_unix_secs(0), false));
    assert_eq!(checks.map(|c| c.today), Some(*b"1970-01-01"));
}

#[test]
fn provider_group_ids_compare_by_value() {
    use super::refs::id_key;
    assert_eq!(id_key(b"7"), 7);
    assert_eq!(id_key(b"7.0"), id_key(b"7"));
    assert_eq!(id_key(b"7e0"), id_key(b"7"));
    assert_eq!(id_key(b"18446744073709551615"), u128::from(u64::MAX));
    assert_ne!(id_key(b"7.5"), id_key(b"7"));
    assert!(
        id_key(b"-1") >> 127 == 1,
        "not an id: a hash, never a small key"
    );
}

#[test]
fn duplicates_name_the_first_copy_whatever_the_threads() {
    let one = item(
        "CPT",
        "1",
        json!([1]),
        vec![price(1.0, "negotiated", "9999-12-31")],
    );
    let doc = json!({
        "in_network": [one.clone(), one.clone(), one.clone(), one.clone(), one],
        "provider_references": [{"provider_group_id": 1, "provider_groups": []}]
    });
    let dups = |workers| {
        let (out, _) = run(&doc, DocKind::InNetwork, &IN_NETWORK, workers, TODAY);
        out.details
            .iter()
            .filter(|f| &*f.rule == "tic.duplicate_item")
            .map(|f| (f.pointer.clone(), f.message.clone()))
            .collect::<Vec<_>>()
    };
    let single = dups(1);
    assert_eq!(single.len(), 4);
    for (i, (pointer, message)) in single.iter().enumerate() {
        assert_eq!(pointer, &format!("/in_network/{}", i + 1));
        assert!(message.contains("/in_network/0"), "{message}");
    }
    assert_eq!(dups(2), single);
    assert_eq!(dups(4), single);
}
