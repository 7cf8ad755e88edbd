//! The data report of a conformance check: one `fhir.*` rule per kind of issue, exact
//! counts, file:line:column and the element's path, no values (issue 25).

use steadfast_core::Timestamp;
use steadfast_core::config::Loader;
use steadfast_validation::Format;
use steadfast_validation::data::{DataCheck, DataRules, render_data};

const LINES: &[&str] = &[
    r#"{"resourceType":"Patient","id":"ok","gender":"female","birthDate":"1970-02-28"}"#,
    r#"{"resourceType":"Patient","id":"p2","nickname":"Jo","birthDate":"2024-13-45"}"#,
    r#"{"resourceType":"Patient","id":"p3","gender":"robot","active":"yes"}"#,
    r#"{"resourceType":"Patient","id":"p4","gender":["male","female"],"extension":[{"valueString":"x"}]}"#,
    r#"{"resourceType":"Observation","id":"o1","code":{"text":"x"},"valueString":"a","valueBoolean":true,"note":[]}"#,
    r#"{"resourceType":"Unicorn","id":"u1"}"#,
];

#[test]
fn every_kind_of_issue_is_its_own_rule_with_exact_counts() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mixed.ndjson");
    steadfast_core::atomic_write(&file, LINES.join("\n") + "\n").unwrap();
    let rules = DataRules::load(&Loader::new().toml_str(
        "rules.toml",
        "conformance = \"r4\"\nverify_checksums = false\n",
    ))
    .unwrap();
    let report = DataCheck::new(rules.value())
        .threads(2)
        .checked_at(Timestamp::from_unix_secs(0))
        .run(&[&file])
        .unwrap();
    let text = render_data(&report, Format::Text, false)
        .replace(&dir.path().display().to_string(), "<dir>");
    assert!(!text.contains("Jo") && !text.contains("robot") && !text.contains("2024-13"));
    insta::assert_snapshot!("conformance_text", text);
    let markdown = render_data(&report, Format::Markdown, false)
        .replace(&dir.path().display().to_string(), "<dir>");
    insta::assert_snapshot!("conformance_markdown", markdown);
}
