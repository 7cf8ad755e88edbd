//! Compiling (the TiC schemas, refusals with their paths) and the streaming evaluator's own
//! behaviour: positions, pointers, values only on request, counting without details,
//! detached array elements.

use std::sync::Arc;

use serde_json::{Value, json};

use super::super::event::{Pos, Str, Token};
use super::super::finding::{Finding, Findings};
use super::value::{Collect, feed};
use super::{Evaluator, IgnoredKeyword, JsonSchema, SchemaError};
use crate::document::tic::{ALLOWED_AMOUNTS_SCHEMA, IN_NETWORK_SCHEMA, TABLE_OF_CONTENTS_SCHEMA};

fn refused(schema: Value) -> String {
    JsonSchema::compile(&schema).unwrap_err().to_string()
}

#[test]
fn tic_schemas_compile() {
    for (name, text) in [
        ("in-network-rates", IN_NETWORK_SCHEMA),
        ("table-of-contents", TABLE_OF_CONTENTS_SCHEMA),
    ] {
        let schema = JsonSchema::from_slice(name, text.as_bytes()).unwrap();
        assert!(schema.ignored().is_empty(), "{name}");
    }
    let schema =
        JsonSchema::from_slice("allowed-amounts", ALLOWED_AMOUNTS_SCHEMA.as_bytes()).unwrap();
    assert_eq!(
        schema.ignored(),
        [IgnoredKeyword {
            path: "#".into(),
            keyword: "dependentRequired".into()
        }]
    );
    assert_eq!(schema.ignored()[0].to_string(), "#/dependentRequired");
}

#[test]
fn refusals_name_the_schema_path() {
    let unknown = json!({"definitions": {"a": {"properties": {"b": {"minlength": 1}}}}});
    assert_eq!(
        refused(unknown),
        "#/definitions/a/properties/b: unknown keyword 'minlength'"
    );
    assert_eq!(
        refused(json!({"items": 3})),
        "#/items: expected a schema (an object or a boolean)"
    );
    assert_eq!(
        refused(json!({"properties": {"a": {"pattern": "("}}})),
        "#/properties/a/pattern: invalid regular expression"
    );
    assert_eq!(
        refused(json!({"$ref": "other.json#/x"})),
        "#: remote $ref 'other.json#/x' is not supported"
    );
    assert_eq!(
        refused(json!({"$ref": "#/definitions/nope"})),
        "#: $ref '#/definitions/nope' does not resolve"
    );
    assert_eq!(
        refused(json!({"type": "int"})),
        "#/type: unknown type 'int'"
    );
    assert_eq!(
        refused(json!({"minItems": -1})),
        "#: 'minItems' must be a non-negative integer"
    );
    let cycle = json!({"definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/a"}}});
    assert!(refused(cycle).ends_with("$ref recursion never reaches a value"));
    assert!(
        refused(json!({"allOf": [{"$ref": "#"}]}))
            .ends_with("$ref recursion never reaches a value")
    );
    // Recursion through a child value is fine.
    assert!(JsonSchema::compile(&json!({"properties": {"next": {"$ref": "#"}}})).is_ok());
    let err = JsonSchema::from_slice("x.json", b"{\"type\": 1}").unwrap_err();
    assert_eq!(
        err.to_string(),
        "schema x.json: #: 'type' must be a type name or an array of them"
    );
    assert!(matches!(
        JsonSchema::from_slice("x.json", b"{"),
        Err(SchemaError::Parse { .. })
    ));
}

#[test]
fn ignored_and_annotation_keywords() {
    let schema = JsonSchema::compile(&json!({
        "title": "t", "description": "d", "default": 1, "examples": [], "$comment": "c", "readOnly": true,
        "properties": {"a": {"prefixItems": [], "$defs": {}}, "h": {"format": "hostname"},
            "d": {"format": "date-time"}, "x": {"format": "no-such-format"}}
    }))
    .unwrap();
    let ignored: Vec<String> = schema.ignored().iter().map(ToString::to_string).collect();
    // A format without a checker is accepted (as Python accepts it) but listed.
    assert_eq!(
        ignored,
        [
            "#/properties/a/$defs",
            "#/properties/a/prefixItems",
            "#/properties/h/format (hostname)",
            "#/properties/x/format (no-such-format)"
        ]
    );
}

/// Feeds `text`'s tokens with increasing offsets as positions.
fn run(schema: &JsonSchema, value: &Value, show_values: bool) -> Vec<Finding> {
    let mut evaluator = Evaluator::new(schema, show_values);
    let mut collect = Collect::default();
    let mut offset = 0;
    feed(value, &mut |token| {
        offset += 1;
        evaluator.token(
            token,
            Pos {
                offset,
                line: 1,
                column: u32::try_from(offset).unwrap(),
            },
            &mut collect,
        );
    });
    assert!(evaluator.is_complete());
    collect.0
}

#[test]
fn findings_carry_position_pointer_and_values_on_request() {
    let schema = JsonSchema::compile(&json!({
        "properties": {"a/b": {"items": {"properties": {"rate": {"exclusiveMinimum": 0}}, "required": ["x"]}}}
    }))
    .unwrap();
    let doc = json!({"a/b": [{"rate": -1, "x": 1}, {"rate": 2}]});
    // Tokens: { "a/b" [ { "rate" -1 ...: -1 is the 6th, the second object the 10th.
    let found = run(&schema, &doc, false);
    assert_eq!(found.len(), 2);
    assert_eq!(
        &*found[0].rule,
        "#/properties/a~1b/items/properties/rate/exclusiveMinimum"
    );
    assert_eq!(
        (
            found[0].pointer.as_str(),
            found[0].pos.offset,
            found[0].value.as_deref()
        ),
        ("/a~1b/0/rate", 6, None)
    );
    assert_eq!(&*found[1].rule, "#/properties/a~1b/items/required");
    assert_eq!(
        (found[1].pointer.as_str(), found[1].pos.offset),
        ("/a~1b/1", 10)
    );
    assert_eq!(found[1].message, "required property \"x\" is missing");
    let shown = run(&schema, &doc, true);
    assert_eq!(shown[0].value.as_deref(), Some("-1"));
}

/// Counts every finding, details none.
#[derive(Default)]
pub(super) struct CountOnly(pub(super) usize);

impl Findings for CountOnly {
    fn count(&mut self, _: &Arc<str>) -> bool {
        self.0 += 1;
        false
    }
    fn detail(&mut self, _: Finding) {
        unreachable!("no details were asked for");
    }
}

#[test]
fn then_branch_findings_are_held_until_the_condition_is_known() {
    let schema = JsonSchema::compile(&json!({
        "if": {"properties": {"k": {"const": 1}}}, "then": {"properties": {"v": {"type": "string"}}}
    }))
    .unwrap();
    // `v` fails before `k` is read; reported only because `k` turns out to be 1.
    assert_eq!(
        schema.validate_value(&json!({"v": 1, "k": 1}), false).len(),
        1
    );
    assert!(
        schema
            .validate_value(&json!({"v": 1, "k": 2}), false)
            .is_empty()
    );
    let mut evaluator = Evaluator::new(&schema, false);
    let mut count = CountOnly::default();
    feed(&json!({"v": 1, "k": 1}), &mut |t| {
        evaluator.token(t, Pos::default(), &mut count)
    });
    assert_eq!(count.0, 1);
}

#[test]
fn escaped_keys_and_strings_are_decoded() {
    let schema =
        JsonSchema::compile(&json!({"properties": {"é": {"maxLength": 1}}, "required": ["é"]}))
            .unwrap();
    let mut evaluator = Evaluator::new(&schema, false);
    let mut collect = Collect::default();
    let raw = |s: &'static str| Str {
        raw: s.as_bytes(),
        escaped: s.contains('\\'),
    };
    for token in [
        Token::BeginObject,
        Token::Key(raw("\\u00e9")),
        Token::String(raw("\\u00e9\\u00e9")),
        Token::EndObject,
    ] {
        evaluator.token(&token, Pos::default(), &mut collect);
    }
    let rules: Vec<_> = collect
        .0
        .iter()
        .map(|f| (&*f.rule, f.pointer.as_str()))
        .collect();
    assert_eq!(rules, [("#/properties/é/maxLength", "/é")]);
}

#[test]
fn array_elements_detach_to_other_evaluators() {
    let schema = JsonSchema::from_slice("in-network-rates", IN_NETWORK_SCHEMA.as_bytes()).unwrap();
    let mut doc = json!({
        "reporting_entity_name": "A", "reporting_entity_type": "B", "last_updated_on": "2024-01-01", "version": "1",
        "in_network": [{"name": "x"}, {"name": 3}]
    });
    let whole = schema.findings(&doc, false);
    // The same document with `in_network`'s elements validated by their own evaluators.
    let elements = doc["in_network"].take();
    let mut evaluator = Evaluator::new(&schema, false);
    let mut collect = Collect::default();
    let pos = Pos::default();
    let mut detached = Vec::new();
    for (key, value) in doc
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| *k != "in_network")
    {
        if detached.is_empty() {
            evaluator.token(&Token::BeginObject, pos, &mut collect);
            evaluator.token(
                &Token::Key(Str {
                    raw: b"in_network",
                    escaped: false,
                }),
                pos,
                &mut collect,
            );
            evaluator.token(&Token::BeginArray, pos, &mut collect);
            for (i, element) in elements.as_array().unwrap().iter().enumerate() {
                let items = evaluator.detach_item().unwrap();
                let mut own =
                    Evaluator::for_item(&schema, &items, &format!("/in_network/{i}"), false);
                feed(element, &mut |t| own.token(t, pos, &mut collect));
                assert!(own.is_complete());
                detached.push(items);
            }
            evaluator.token(&Token::EndArray, pos, &mut collect);
        }
        evaluator.token(
            &Token::Key(Str {
                raw: key.as_bytes(),
                escaped: false,
            }),
            pos,
            &mut collect,
        );
        feed(value, &mut |t| evaluator.token(t, pos, &mut collect));
    }
    evaluator.token(&Token::EndObject, pos, &mut collect);
    assert!(evaluator.is_complete());
    assert_eq!(detached[0], detached[1]);
    let key = |f: &Finding| (f.rule.to_string(), f.pointer.clone());
    let mut a: Vec<_> = whole.iter().map(key).collect();
    let mut b: Vec<_> = collect.0.iter().map(key).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    assert!(a.iter().any(
        |(r, p)| r == "#/definitions/in_network/properties/name/type" && p == "/in_network/1/name"
    ));
}

#[test]
fn elements_under_a_branch_or_unique_array_do_not_detach() {
    let schema = JsonSchema::compile(&json!({"properties": {
        "a": {"anyOf": [{"items": {"type": "string"}}]},
        "u": {"uniqueItems": true, "items": {}},
        "p": {"items": {"type": "string"}, "minItems": 2}
    }}))
    .unwrap();
    let mut evaluator = Evaluator::new(&schema, false);
    let mut collect = Collect::default();
    let pos = Pos::default();
    evaluator.token(&Token::BeginObject, pos, &mut collect);
    for (key, detaches) in [("a", false), ("u", false), ("p", true)] {
        evaluator.token(
            &Token::Key(Str {
                raw: key.as_bytes(),
                escaped: false,
            }),
            pos,
            &mut collect,
        );
        evaluator.token(&Token::BeginArray, pos, &mut collect);
        assert_eq!(evaluator.detach_item().is_some(), detaches, "{key}");
        if !detaches {
            evaluator.token(
                &Token::String(Str {
                    raw: b"s",
                    escaped: false,
                }),
                pos,
                &mut collect,
            );
        }
        evaluator.token(&Token::EndArray, pos, &mut collect);
    }
    evaluator.token(&Token::EndObject, pos, &mut collect);
    // `p` counted its one detached element: minItems 2 fails.
    let rules: Vec<_> = collect.0.iter().map(|f| f.rule.to_string()).collect();
    assert_eq!(rules, ["#/properties/p/minItems"]);
}

#[test]
fn evaluator_is_send() {
    fn send<T: Send>() {}
    send::<Evaluator<'static>>();
    send::<super::ItemSchemas>();
}

#[test]
fn key_table_finds_every_key_and_no_other() {
    // Keys alike but for their middles, 300 of them (past the table's 254 indexes), empty.
    let mut names: Vec<String> = (0..300)
        .map(|i| format!("negotiated_{i:03}_rate"))
        .collect();
    names.extend(["negotiated_type", "negotiated_rate", "", "a"].map(String::from));
    let properties: serde_json::Map<String, Value> = names
        .iter()
        .map(|n| (n.clone(), json!({"type": "string"})))
        .collect();
    let schema = JsonSchema::compile(&json!({"properties": properties})).unwrap();
    let root = &schema.nodes[schema.root as usize];
    for name in &names {
        let entry = root.key(name.as_bytes()).expect(name);
        assert_eq!(&*entry.key, name.as_bytes());
    }
    for absent in [
        "negotiated_999_rate",
        "negotiated_typo",
        "b",
        "negotiated_rat",
    ] {
        assert!(root.key(absent.as_bytes()).is_none(), "{absent}");
    }
}
