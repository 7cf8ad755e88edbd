//! The price-transparency checks read escaped strings as their values: a document that
//! writes `"p\u0065rcentage"` is checked as one that writes `"percentage"`.

use super::RuleSet;

#[test]
fn escaped_strings_are_checked_as_their_values() {
    // Each checked string once as written plainly and once with an escape: the findings
    // must be the same (the schema's own findings aside, which are tested elsewhere).
    let text = |e: bool| {
        let esc = |plain: &str, escaped: &str| {
            if e {
                escaped.to_owned()
            } else {
                plain.to_owned()
            }
        };
        format!(
            r#"{{"in_network": [
  {{"negotiation_arrangement": "ffs", "billing_code_type": "{cpt}", "billing_code_type_version": "1",
    "billing_code": "27447", "negotiated_rates": [{{"provider_references": [1], "negotiated_prices": [
      {{"negotiated_type": "{pct}", "negotiated_rate": 150, "expiration_date": "{exp}"}}]}}]}},
  {{"negotiation_arrangement": "ffs", "billing_code_type": "CPT", "billing_code_type_version": "1",
    "billing_code": "{code}", "negotiated_rates": []}},
  {{"negotiation_arrangement": "ffs", "billing_code_type": "{ndc}", "billing_code_type_version": "1",
    "billing_code": "123", "negotiated_rates": []}}],
 "provider_references": [{{"provider_group_id": 1}}]}}"#,
            cpt = esc("CPT", r"C\u0050T"),
            pct = esc("percentage", r"p\u0065rcentage"),
            exp = esc("2020-01-01", r"2020-01-0\u0031"),
            code = esc("27447", r"2744\u0037"),
            ndc = esc("NDC", r"\u004eDC"),
        )
    };
    let rules = RuleSet::named("tic-in-network").expect("built in");
    let schema = rules.compile().expect("embedded schema compiles");
    let dir = tempfile::tempdir().expect("temp dir");
    let today = steadfast_core::Timestamp::from_unix_secs(1_767_225_600); // 2026-01-01
    let found = |escaped: bool| {
        let path = dir.path().join(format!("rates-{escaped}.json"));
        steadfast_core::atomic_write(&path, text(escaped)).expect("written");
        let run = rules
            .run(
                &rules.document_check(&schema).threads(1),
                &path,
                today,
                false,
            )
            .expect("checked");
        [
            "tic.negotiated_rate",
            "tic.expiration_date",
            "tic.billing_code",
            "tic.duplicate_item",
        ]
        .map(|rule| run.report.violations(rule))
    };
    assert_eq!(found(false), [1, 1, 1, 1]);
    assert_eq!(found(true), found(false));
}
