//! What an evaluator keeps between tokens and records: failures held in a branch until it
//! is known to apply, and one evaluator reused for a worker's records.

use serde_json::json;

use super::super::event::{Pos, Str, Token};
use super::tests::CountOnly;
use super::value::{Collect, feed};
use super::{Evaluator, JsonSchema};

#[test]
fn held_findings_keep_their_place_and_value() {
    // The failure is held three levels below the `if` and reported when the object ends:
    // its pointer (escaped names, an index) and value are those of where it failed.
    let schema = JsonSchema::compile(&json!({
        "if": {"required": ["k"]},
        "then": {"properties": {"a/b~c": {"items": {"properties": {"é\"": {"minimum": 10}}}}}}
    }))
    .unwrap();
    let doc = json!({"a/b~c": [{}, {"é\"": 7}], "k": 1});
    let found = schema.validate_value(&doc, true);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].pointer, "/a~1b~0c/1/é\"");
    assert_eq!(
        found[0].rule,
        "#/then/properties/a~1b~0c/items/properties/é\"/minimum"
    );
    assert_eq!(found[0].value.as_deref(), Some("7"));
    assert!(
        schema
            .validate_value(&json!({"a/b~c": [{"é\"": 7}]}), true)
            .is_empty()
    );
}

#[test]
fn a_reused_item_evaluator_finds_what_a_new_one_finds() {
    let schema = JsonSchema::compile(&json!({
        "type": "array",
        "items": {
            "required": ["id"],
            "if": {"properties": {"k": {"const": 1}}},
            "then": {"required": ["v"]},
            "properties": {"tags": {"uniqueItems": true}, "id": {"type": "integer"}}
        }
    }))
    .unwrap();
    let records = [
        json!({"id": 1, "k": 1, "tags": ["a", "a"]}),
        json!({"id": "x", "k": 1, "v": 2, "tags": ["a"]}),
        json!({"k": 2}),
        json!({"id": 2, "k": 1, "tags": ["b", "c", "b"]}),
    ];
    let mut root = Evaluator::new(&schema, false);
    root.token(
        &Token::BeginArray,
        Pos::default(),
        &mut CountOnly::default(),
    );
    let items = root.detach_item().unwrap();
    let run = |evaluator: &mut Evaluator<'_>, record: &serde_json::Value| {
        let mut found = Collect::default();
        feed(record, &mut |t| {
            evaluator.token(t, Pos::default(), &mut found)
        });
        found
            .0
            .into_iter()
            .map(|f| (f.rule.to_string(), f.pointer))
            .collect::<Vec<_>>()
    };
    let mut reused = Evaluator::for_item(&schema, &items, "/0", false);
    // A record cut short (its set still in use) must not leak into the next one.
    for t in [
        Token::BeginObject,
        Token::Key(Str {
            raw: b"tags",
            escaped: false,
        }),
        Token::BeginArray,
    ] {
        reused.token(&t, Pos::default(), &mut CountOnly::default());
    }
    for (i, record) in records.iter().enumerate() {
        let pointer = format!("/{i}");
        reused.reuse_for_item(&items, &pointer, false);
        let mut fresh = Evaluator::for_item(&schema, &items, &pointer, false);
        assert_eq!(
            run(&mut reused, record),
            run(&mut fresh, record),
            "record {i}"
        );
    }
}

#[test]
fn held_failures_of_a_long_array_resolve_in_one_pass() {
    // Every element fails inside `then` branches two levels deep, held until the array
    // ends: the counts are exact, whichever branch applies. (Resolving each element once
    // looked at every failure held so far: 40,000 elements took seconds; now linear.)
    let schema = JsonSchema::compile(&json!({
        "if": {"contains": {"type": "integer", "minimum": 1}},
        "then": {"items": {
            "if": {"type": "integer"},
            "then": {"allOf": [{"type": "string"}, {"maximum": 0}]},
            "else": {"oneOf": [{"type": "integer"}, {"type": "null"}]}
        }},
        "else": {"items": {"type": "boolean"}}
    }))
    .unwrap();
    let n = 100_000;
    let ones: Vec<_> = (0..n)
        .map(|i| if i % 2 == 0 { json!(1) } else { json!("s") })
        .collect();
    let found = schema.validate_value(&json!(ones), false);
    // Integers fail `type: string` and `maximum: 0`; strings fail the `oneOf`.
    assert_eq!(found.len(), n + n / 2, "{:?}", found.first());
    assert_eq!(found[n / 2].pointer.matches('/').count(), 1);
    // Nothing contains a positive integer: the `else` applies to every element.
    let zeros: Vec<_> = (0..n).map(|_| json!(0)).collect();
    assert_eq!(schema.validate_value(&json!(zeros), false).len(), n);
}
