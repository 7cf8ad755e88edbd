//! The scanner against hand-made lines and against serde_json.
use super::*;

fn paths(list: &[&str]) -> Paths {
    let mut p = Paths::new();
    for text in list {
        p.slot(&text.parse().unwrap());
    }
    p
}

fn capture(line: &str, list: &[&str]) -> Result<Vec<Option<String>>, ScanError> {
    let p = paths(list);
    let mut slots = vec![None; p.len()];
    scan(line.as_bytes(), &p, &mut slots, &mut ScanScratch::default())?;
    Ok(slots
        .iter()
        .map(|s| s.map(|c| String::from_utf8_lossy(c.raw(line.as_bytes())).into_owned()))
        .collect())
}

#[test]
fn captures_nested_paths_and_array_elements() {
    let line = r#"{"resourceType":"Observation","id":"o1","code":{"coding":[{"system":"a"},{"system":"b"}]},"subject":{"reference":"Patient/1"},"valueQuantity":{"value":-1.5e2}}"#;
    let got = capture(
        line,
        &[
            "resourceType",
            "code.coding[1].system",
            "subject.reference",
            "valueQuantity.value",
            "status",
        ],
    )
    .unwrap();
    assert_eq!(
        got,
        [
            Some("\"Observation\"".into()),
            Some("\"b\"".into()),
            Some("\"Patient/1\"".into()),
            Some("-1.5e2".into()),
            None
        ]
    );
}

#[test]
fn escaped_keys_and_values_decode() {
    let line = r#"{"na\u006de":"a\"b","x":[]}"#;
    let p = paths(&["name", "x"]);
    let mut slots = vec![None; 2];
    scan(line.as_bytes(), &p, &mut slots, &mut ScanScratch::default()).unwrap();
    let name = slots[0].unwrap();
    assert_eq!(name.text(line.as_bytes()).unwrap(), "a\"b");
    assert!(slots[1].unwrap().empty);
}

#[test]
fn malformed_lines_are_located() {
    for (line, at, message) in [
        (r#"{"a":1"#, 6, "expected ',' or '}' in an object"),
        (r#"{"a":01}"#, 6, "expected ',' or '}' in an object"),
        (r#"{"a":tru}"#, 5, "expected true, false or null"),
        (
            r#"[1,2]"#,
            0,
            "expected a JSON object (one FHIR resource per line)",
        ),
        (r#"{"a":"x\q"}"#, 8, "unknown escape in a string"),
        (r#"{"a":1} x"#, 8, "unexpected text after the JSON object"),
        (r#"{"a":[1,]}"#, 8, "expected a JSON value"),
        (
            "{\"a\":\"\u{1}\"}",
            6,
            "a control character must be escaped in a string",
        ),
        (r#"{"a":"#, 5, "the line ends where a value was expected"),
    ] {
        let err = capture(line, &["a"]).unwrap_err();
        assert_eq!((err.at, err.message), (at, message), "{line}");
        // Off the rules' paths the value is checked by the loop of `skip.rs`: same answer.
        let err = capture(line, &["b"]).unwrap_err();
        assert_eq!((err.at, err.message), (at, message), "{line}, skipped");
    }
    let deep = "[".repeat(200);
    assert_eq!(
        capture(&format!("{{\"a\":{deep}"), &[])
            .unwrap_err()
            .message,
        "nested more than 128 levels deep"
    );
    let bytes = b"{\"a\":\"\xff\"}";
    let p = paths(&[]);
    assert_eq!(
        scan(bytes, &p, &mut [], &mut ScanScratch::default())
            .unwrap_err()
            .message,
        "invalid UTF-8"
    );
}

#[test]
fn agrees_with_serde_json_on_validity() {
    for line in [
        r#"{"a":[1,2,{"b":null}],"c":true,"d":"\u00e9"}"#,
        r#"{"a":1.}"#,
        r#"{"a":-}"#,
        r#"{"a":1e}"#,
        r#"{"a" 1}"#,
        r#"{a:1}"#,
        r#" { "a" : [ ] } "#,
    ] {
        let ours = capture(line, &[]).is_ok();
        let serde = serde_json::from_str::<serde_json::Value>(line).is_ok_and(|v| v.is_object());
        assert_eq!(ours, serde, "{line}");
    }
}

#[test]
fn repeated_member_names_are_refused_at_the_top_and_on_rule_paths() {
    for (line, at, key) in [
        (
            r#"{"gender":"BOGUS","id":"1","gender":"female"}"#,
            27,
            "gender",
        ),
        (r#"{"id":"1","i\u0064":"2"}"#, 10, "id"),
        (r#"{"i\u0064":"1","id":"2"}"#, 15, "id"),
        (
            r#"{"a":{"b":1},"subject":{"reference":"x","reference":"y"}}"#,
            40,
            "reference",
        ),
        (
            r#"{"code":{"coding":[{"system":"a","system":"b"}]}}"#,
            33,
            "system",
        ),
    ] {
        let err = capture(line, &["subject.reference", "code.coding[0].system"]).unwrap_err();
        assert_eq!(
            (err.at, err.describe(line.as_bytes()).into_owned()),
            (at, format!("duplicate key \"{key}\"")),
            "{line}"
        );
    }
    // Repeats off the rule paths and below the top level are left alone, as are the same
    // names in sibling objects.
    for line in [
        r#"{"meta":{"tag":1,"tag":2},"subject":{"display":"a","display":"b"}}"#,
        r#"{"a":{"x":1},"b":{"x":1},"c":[{"reference":1},{"reference":2}]}"#,
    ] {
        capture(line, &["subject.reference"]).unwrap();
    }
    // Many top-level names: every pair is still compared when fingerprints collide.
    let many: Vec<String> = (0..300).map(|i| format!("\"k{i}\":{i}")).collect();
    capture(&format!("{{{}}}", many.join(",")), &[]).unwrap();
    let line = format!("{{{},\"k7\":0}}", many.join(","));
    let err = capture(&line, &[]).unwrap_err();
    assert_eq!(err.describe(line.as_bytes()), "duplicate key \"k7\"");
}

#[test]
fn lone_surrogates_are_refused_like_serde_json() {
    for (line, ok) in [
        (r#"{"id":"a\ud800x"}"#, false),
        (r#"{"id":"a\ud800\u0041"}"#, false),
        (r#"{"id":"a\udc00"}"#, false),
        (r#"{"id":"a\ud800"}"#, false),
        (r#"{"id":"a\ud83d\ude00"}"#, true),
        (r#"{"i\udfffd":"1"}"#, false),
        (r#"{"id":"\uD834\uDD1E"}"#, true),
    ] {
        let ours = capture(line, &["id"]);
        let serde = serde_json::from_str::<serde_json::Value>(line).is_ok();
        assert_eq!((ours.is_ok(), serde), (ok, ok), "{line}: {ours:?}");
        if let Err(e) = ours {
            assert!(e.message.contains("lone UTF-16 surrogate"), "{e:?}");
        }
    }
}

proptest::proptest! {
    /// Any single-byte edit of a real resource line is judged as serde_json judges it.
    #[test]
    fn edits_of_a_resource_are_judged_like_serde_json(
        at in 0usize..400,
        insert in proptest::sample::select(crate::testing::EDIT_BYTES.to_vec()),
        delete in proptest::bool::ANY,
    ) {
        let base = r#"{"resourceType":"Observation","id":"o-1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"valueQuantity":{"value":-72.5e0,"unit":"/min"},"note":[{"text":"caf\u00e9 \"ok\""}],"flag":true,"x":null}"#;
        let line = crate::testing::one_byte_edit(base, at, insert, delete);
        let p = paths(&["code.coding[0].system", "valueQuantity.value"]);
        let mut slots = vec![None; p.len()];
        let ours = scan(&line, &p, &mut slots, &mut ScanScratch::default()).is_ok();
        let serde = serde_json::from_slice::<serde_json::Value>(&line).is_ok_and(|v| v.is_object());
        proptest::prop_assert_eq!(ours, serde, "{}", String::from_utf8_lossy(&line));
    }
}

proptest::proptest! {
    /// Values on the rules' paths are scanned by recursion, the others by `skip.rs`'s
    /// loop: for any single-byte edit, both give the same error at the same byte (a
    /// repeated member name aside, refused only on the rules' paths).
    #[test]
    fn skipping_a_value_errs_where_scanning_it_does(
        at in 0usize..400,
        insert in proptest::sample::select(crate::testing::EDIT_BYTES.to_vec()),
        delete in proptest::bool::ANY,
    ) {
        let base = r#"{"resourceType":"Observation","id":"o-1","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"},[[],{}]],"text":"x"},"valueQuantity":{"value":-72.5e0,"unit":"/min"},"note":[{"text":"caf\u00e9 \"ok\""},[true,false,null,{"a":[0.5,{}]}]],"flag":true,"x":null}"#;
        let line = crate::testing::one_byte_edit(base, at, insert, delete);
        let outcome = |list: &[&str]| {
            let p = paths(list);
            let mut slots = vec![None; p.len()];
            scan(&line, &p, &mut slots, &mut ScanScratch::default())
        };
        let read = outcome(&[
            "code.coding[0].system", "code.coding[1][0]", "code.coding[1][1].z", "code.text",
            "valueQuantity.value", "valueQuantity.unit", "note[0].text", "note[1][3].a[1].b",
            "flag", "x",
        ]);
        let skipped = outcome(&[]);
        let repeated = |r: &Result<(), ScanError>| r.as_ref().is_err_and(|e| e.message == DUPLICATE_KEY);
        if !repeated(&read) && !repeated(&skipped) {
            proptest::prop_assert_eq!(read, skipped, "{}", String::from_utf8_lossy(&line));
        }
    }
}

proptest::proptest! {
    /// The sixteen-bytes-at-a-time classification finds, from every position, the stop a
    /// byte-by-byte search finds, and sees a high byte exactly when there is one; for bytes
    /// around every boundary value (0x1f/0x20, `"`, `\`, 0x7f/0x80) and lengths across
    /// several 64-byte words.
    #[test]
    fn the_vector_classification_agrees_with_a_byte_search(
        bytes in proptest::collection::vec(
            proptest::sample::select(vec![b'a', b' ', 0x1f, 0x20, 0x00, b'"', b'\\', 0x21, 0x5b, 0x5d, 0x7f, 0x80, 0xa2, 0xff, b'!', b'#']),
            0..200,
        ),
    ) {
        let mut stops = classify::Stops::default();
        let high = stops.fill(&bytes);
        proptest::prop_assert_eq!(high, bytes.iter().any(|&b| b >= 0x80));
        for from in 0..=bytes.len() {
            let naive = bytes[from..]
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .map(|p| from + p);
            let found = cursor::Cursor::new(&bytes, stops.words()).next_stop(from);
            proptest::prop_assert_eq!(found, naive, "from {}", from);
        }
    }
}
