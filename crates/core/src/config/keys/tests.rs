//! Tests of key specs: messages, descriptions, environment names, coverage.

use std::ops::Bound::{Excluded, Included};
use std::time::Duration;

use super::*;
use crate::config::{Config, Loader, Problems};

const HOUR: Duration = Duration::from_secs(3600);

fn message(spec: KeySpec, value: impl Measure) -> Option<String> {
    spec.out_of_range(value)
}

#[test]
fn messages_keep_the_words_users_know() {
    let int = |r| KeySpec::new("n", ValueType::Integer).range(r);
    let float = |r| KeySpec::new("x", ValueType::Number).range(r);
    let time = |r| KeySpec::new("t", ValueType::Duration).range(r);
    assert_eq!(
        message(int(Range::between(1.0, 100.0)).example("3"), 0_u32).as_deref(),
        Some("0 is out of range for n: expected 1 to 100, like 3")
    );
    assert_eq!(message(int(Range::between(1.0, 100.0)), 100_u32), None);
    assert_eq!(
        message(int(Range::at_least(1.0)), 0_usize).as_deref(),
        Some("0 is out of range for n: expected at least 1")
    );
    assert_eq!(
        message(float(Range::RATIO), 1.5).as_deref(),
        Some("1.5 is out of range for x: expected a ratio between 0 and 1 (0.95 means 95%)")
    );
    assert_eq!(
        message(float(Range::at_least(1.0)), 0.5).as_deref(),
        Some("0.5 is out of range for x: expected a number ≥ 1")
    );
    assert_eq!(
        message(float(Range::greater_than(0.0)), 0.0).as_deref(),
        Some("0 is out of range for x: expected a number greater than 0")
    );
    assert_eq!(
        message(
            float(Range::number(Excluded(0.0), Excluded(1.0))).example("0.01"),
            1.0
        )
        .as_deref(),
        Some("1 is out of range for x: expected more than 0 and less than 1, like 0.01")
    );
    assert_eq!(
        message(time(Range::NONZERO_DURATION), Duration::ZERO).as_deref(),
        Some("0s is out of range for t: expected a duration greater than 0, like `30s`")
    );
    let bounded = time(Range::nonzero_duration_at_most(HOUR)).example("`5s`");
    assert_eq!(
        message(bounded, 2 * HOUR).as_deref(),
        Some("2h is out of range for t: expected at most 1h, like `5s`")
    );
    assert_eq!(
        message(bounded, Duration::ZERO).as_deref(),
        Some("0s is out of range for t: expected a duration greater than 0, like `30s`")
    );
    assert_eq!(message(bounded, HOUR), None);
}

#[test]
fn numbers_that_are_not_finite_are_refused() {
    for range in [Range::at_least(1.0), Range::RATIO, Range::greater_than(0.0)] {
        assert!(!range.contains(f64::NAN), "{range:?}");
        assert!(!range.contains(f64::INFINITY), "{range:?}");
    }
    assert!(!Range::number(std::ops::Bound::Unbounded, Included(5.0)).contains(f64::NEG_INFINITY));
}

#[test]
fn ranges_describe_themselves_for_the_reference() {
    assert_eq!(Range::between(1.0, 1024.0).describe(), "1 to 1024");
    assert_eq!(Range::RATIO.describe(), "0 to 1");
    assert_eq!(Range::at_least(0.0).describe(), "≥ 0");
    assert_eq!(
        Range::number(Excluded(0.0), Excluded(1.0)).describe(),
        "> 0 and < 1"
    );
    assert_eq!(Range::NONZERO_DURATION.describe(), "> 0s");
    assert_eq!(Range::duration_at_most(24 * HOUR).describe(), "≤ 1day");
    assert_eq!(
        Range::duration_at_most(365 * 24 * HOUR).describe(),
        "≤ 365days"
    );
    assert_eq!(
        Range::duration_at_most(Duration::from_secs(5400)).describe(),
        "≤ 1h 30m"
    );
}

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Inner {
    ratio: f64,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Outer {
    size: u32,
    inner: Inner,
}

impl Default for Outer {
    fn default() -> Self {
        Self {
            size: 8,
            inner: Inner { ratio: 0.5 },
        }
    }
}

const RATIO: KeySpec = KeySpec::new("ratio", ValueType::Number).range(Range::RATIO);
const SIZE: KeySpec = KeySpec::new("size", ValueType::Integer).range(Range::at_least(1.0));

impl Documented for Inner {
    const KEYS: &'static [KeySpec] = &[RATIO];
}

impl Documented for Outer {
    const KEYS: &'static [KeySpec] = &[
        SIZE,
        KeySpec::new("inner", ValueType::Table(table::<Inner>)),
    ];
}

impl Config for Outer {
    fn check(&self, problems: &mut Problems) {
        problems.check_range(&SIZE, self.size);
        problems.nested("inner", |p| p.check_range(&RATIO, self.inner.ratio));
    }
}

#[test]
fn env_var_is_the_name_the_loader_reads() {
    let name = RATIO.env_var("outer.inner");
    assert_eq!(name, "STEADFAST_OUTER__INNER__RATIO");
    assert_eq!(SIZE.env_var("outer"), "STEADFAST_OUTER__SIZE");
    let loaded = Loader::new()
        .env_vars([(name.as_str(), "0.25"), ("STEADFAST_OUTER__SIZE", "3")])
        .load_section::<Outer>("outer")
        .unwrap();
    assert_eq!(loaded.value().inner.ratio, 0.25);
    assert_eq!(loaded.value().size, 3);
}

#[test]
fn checks_read_the_specs_and_report_where_written() {
    let err = Loader::new()
        .toml_str("s.toml", "[outer]\nsize = 0\n[outer.inner]\nratio = 2.0\n")
        .env_vars::<_, String, String>([])
        .load_section::<Outer>("outer")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "s.toml:2:8: 0 is out of range for size: expected at least 1\n\
         s.toml:4:9: 2 is out of range for ratio: expected a ratio between 0 and 1 (0.95 means 95%)"
    );
}

#[test]
fn table_docs_carry_defaults_and_fields() {
    let doc = table::<Outer>();
    assert!(
        doc.coverage_problems().is_empty(),
        "{:?}",
        doc.coverage_problems()
    );
    assert_eq!(doc.fields, ["size", "inner"]);
    let defaults = doc.defaults.unwrap();
    assert_eq!(defaults["size"].as_integer(), Some(8));
    assert_eq!(defaults["inner"]["ratio"].as_float(), Some(0.5));
    assert!(doc.type_name.ends_with("Outer"));
}

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Drifted {
    kept: u32,
    added: u32,
}

impl Documented for Drifted {
    const KEYS: &'static [KeySpec] = &[
        KeySpec::new("kept", ValueType::Integer),
        KeySpec::new("removed", ValueType::Integer),
    ];
}

#[test]
fn coverage_finds_fields_and_specs_that_drifted_apart() {
    let problems = table::<Drifted>().coverage_problems();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].contains("field 'added' has no KeySpec"));
    assert!(problems[1].contains("KeySpec 'removed' names no field"));
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "lowercase")]
enum Jitter {
    None,
    Full,
}

#[test]
fn choices_come_from_serde() {
    let ty = ValueType::Choice(serde_variants::<Jitter>);
    assert_eq!(ty.describe(), "one of `none`, `full`");
    assert_eq!(
        ValueType::List(&ValueType::Text).describe(),
        "list of string"
    );
    let _ = (Jitter::None, Jitter::Full);
}
