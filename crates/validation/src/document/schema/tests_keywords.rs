//! One test per keyword: the rules (schema paths) of what fails, as Python `jsonschema`
//! reports them (checked against `Draft7Validator` 4.26).

use serde_json::{Value, json};

use super::JsonSchema;

/// The failing rules and pointers, sorted.
fn fails(schema: Value, instance: Value) -> Vec<(String, String)> {
    let schema = JsonSchema::compile(&schema).unwrap();
    // The quick check never passes a value the interpreter finds fault with.
    let bytes = serde_json::to_vec(&instance).unwrap();
    let quick = super::quick::passes(
        &schema.nodes,
        &[schema.root],
        &bytes,
        1 << 20,
        &mut super::QuickState::default(),
    );
    let mut out: Vec<_> = schema
        .validate_value(&instance, false)
        .into_iter()
        .map(|v| (v.rule, v.pointer))
        .collect();
    out.sort();
    assert!(
        !quick || out.is_empty(),
        "quick check passed {instance} with {out:?}"
    );
    out
}

fn rules(schema: Value, instance: Value) -> Vec<String> {
    fails(schema, instance)
        .into_iter()
        .map(|(r, _)| r)
        .collect()
}

#[test]
fn type_integer_is_a_number_with_zero_fraction() {
    let s = json!({"type": "integer"});
    assert!(rules(s.clone(), json!(1.0)).is_empty());
    assert!(rules(s.clone(), json!(12345678901234567890u64)).is_empty());
    assert_eq!(rules(s.clone(), json!(1.5)), ["#/type"]);
    assert_eq!(rules(s, json!(true)), ["#/type"]);
    let s = json!({"type": ["string", "null"]});
    assert!(rules(s.clone(), json!(null)).is_empty());
    assert_eq!(rules(s, json!(0)), ["#/type"]);
    assert_eq!(rules(json!({"type": "number"}), json!(false)), ["#/type"]);
}

#[test]
fn enum_and_const_use_json_equality() {
    let s = json!({"enum": [1, "a", {"x": [1, 2]}, false]});
    for ok in [json!(1.0), json!("a"), json!({"x": [1.0, 2]}), json!(false)] {
        assert!(rules(s.clone(), ok.clone()).is_empty(), "{ok}");
    }
    for bad in [
        json!(true),
        json!(0),
        json!("b"),
        json!({"x": [2, 1]}),
        json!({"x": [1, 2], "y": 1}),
    ] {
        assert_eq!(rules(s.clone(), bad.clone()), ["#/enum"], "{bad}");
    }
    let s = json!({"const": {"a": 1, "b": [true]}});
    assert!(rules(s.clone(), json!({"b": [true], "a": 1.0})).is_empty());
    assert_eq!(rules(s, json!({"b": [1], "a": 1})), ["#/const"]);
}

#[test]
fn objects() {
    let s = json!({
        "properties": {"a": {"type": "string"}, "a/b~": {"type": "string"}},
        "required": ["a", "b", "c"],
        "additionalProperties": false,
        "minProperties": 2,
        "maxProperties": 2
    });
    assert_eq!(
        fails(s, json!({"a/b~": 1, "x": 1, "y": 2})),
        [
            ("#/additionalProperties".into(), "".into()),
            ("#/maxProperties".into(), "".into()),
            ("#/properties/a~1b~0/type".into(), "/a~1b~0".into()),
            ("#/required".into(), "".into()),
            ("#/required".into(), "".into()),
            ("#/required".into(), "".into()),
        ]
    );
    let s = json!({"patternProperties": {"^x": {"type": "integer"}}, "additionalProperties": {"type": "string"}});
    assert_eq!(
        rules(s, json!({"x1": "a", "y": 1, "z": "s"})),
        ["#/additionalProperties/type", "#/patternProperties/^x/type"]
    );
    let s = json!({"propertyNames": {"maxLength": 2}});
    assert_eq!(
        fails(s, json!({"ab": 1, "abc": 2})),
        [("#/propertyNames/maxLength".into(), "".into())]
    );
}

#[test]
fn dependencies_both_forms() {
    let s = json!({"dependencies": {"a": ["b", "c"], "d": {"required": ["e"]}}});
    assert_eq!(
        rules(s.clone(), json!({"a": 1})),
        ["#/dependencies/a", "#/dependencies/a"]
    );
    assert_eq!(
        rules(s.clone(), json!({"d": 1})),
        ["#/dependencies/d/required"]
    );
    assert!(rules(s.clone(), json!({"b": 1})).is_empty());
    assert!(rules(s, json!([1])).is_empty());
}

#[test]
fn arrays() {
    let s =
        json!({"items": {"type": "integer"}, "minItems": 2, "maxItems": 3, "uniqueItems": true});
    assert_eq!(
        fails(s.clone(), json!([1, "x", 1.0, 3])),
        [
            ("#/items/type".into(), "/1".into()),
            ("#/maxItems".into(), "".into()),
            ("#/uniqueItems".into(), "".into()),
        ]
    );
    assert_eq!(rules(s.clone(), json!([])), ["#/minItems"]);
    // true and 1 differ; objects in any member order are equal.
    let u = json!({"uniqueItems": true});
    assert!(rules(u.clone(), json!([1, true, 0, false, [1], [true]])).is_empty());
    assert_eq!(
        rules(u, json!([{"a": 1, "b": 2}, {"b": 2, "a": 1.0}])),
        ["#/uniqueItems"]
    );
    let t = json!({"items": [{"type": "string"}, {"type": "number"}], "additionalItems": false});
    assert_eq!(
        rules(t.clone(), json!(["a", "b", 1, 2])),
        ["#/additionalItems", "#/items/1/type"]
    );
    assert!(rules(t, json!(["a"])).is_empty());
    let t = json!({"items": [{}], "additionalItems": {"type": "null"}});
    assert_eq!(
        fails(t, json!([1, 2])),
        [("#/additionalItems/type".into(), "/1".into())]
    );
    let c = json!({"contains": {"const": 3}});
    assert_eq!(rules(c.clone(), json!([1, 2])), ["#/contains"]);
    assert!(rules(c, json!([1, 3])).is_empty());
}

#[test]
fn strings() {
    let s = json!({"minLength": 2, "maxLength": 3, "pattern": "b+", "format": "date"});
    assert_eq!(
        rules(s.clone(), json!("é")),
        ["#/format", "#/minLength", "#/pattern"]
    );
    assert!(rules(json!({"maxLength": 2}), json!("éé")).is_empty());
    assert!(rules(json!({"pattern": "^a$"}), json!("a\n")).is_empty());
    assert_eq!(
        rules(json!({"format": "date"}), json!("2024-02-30")),
        ["#/format"]
    );
    assert!(rules(json!({"format": "date"}), json!(20240230)).is_empty());
    assert_eq!(
        rules(json!({"format": "uri"}), json!("not a uri")),
        ["#/format"]
    );
    // An email has an `@`, all Python's checker asks; a format without a checker passes.
    assert_eq!(
        rules(json!({"format": "email"}), json!("not an email")),
        ["#/format"]
    );
    assert!(rules(json!({"format": "hostname"}), json!("not a host!")).is_empty());
}

#[test]
fn numbers_compare_exactly() {
    let s = json!({"minimum": 1, "maximum": 9999999999u64, "exclusiveMinimum": 0.5, "exclusiveMaximum": 10000000000u64});
    assert!(rules(s.clone(), json!(1)).is_empty());
    assert_eq!(
        rules(s.clone(), json!(0.5)),
        ["#/exclusiveMinimum", "#/minimum"]
    );
    assert_eq!(
        rules(s.clone(), json!(10000000000u64)),
        ["#/exclusiveMaximum", "#/maximum"]
    );
    assert_eq!(
        rules(json!({"exclusiveMinimum": 0}), json!(-0.0)),
        ["#/exclusiveMinimum"]
    );
    assert_eq!(rules(json!({"multipleOf": 2}), json!(7)), ["#/multipleOf"]);
    assert!(rules(json!({"multipleOf": 0.5}), json!(1.5)).is_empty());
    assert!(rules(json!({"minimum": 0}), json!("a")).is_empty());
}

#[test]
fn combinators_report_once_at_the_combinator() {
    let s = json!({"anyOf": [{"type": "string"}, {"minimum": 5}]});
    assert_eq!(rules(s.clone(), json!(1)), ["#/anyOf"]);
    assert!(rules(s, json!(6)).is_empty());
    let s = json!({"oneOf": [{"type": "integer"}, {"minimum": 5}]});
    assert_eq!(rules(s.clone(), json!(6)), ["#/oneOf"]);
    assert_eq!(rules(s.clone(), json!(1.5)), ["#/oneOf"]);
    assert!(rules(s, json!(5.5)).is_empty());
    assert_eq!(
        rules(json!({"not": {"type": "null"}}), json!(null)),
        ["#/not"]
    );
    let s = json!({"allOf": [{"type": "object", "required": ["a"]}, {"properties": {"a": {"minimum": 3}}}]});
    assert_eq!(rules(s.clone(), json!({"b": 1})), ["#/allOf/0/required"]);
    assert_eq!(
        fails(s, json!({"a": 1})),
        [("#/allOf/1/properties/a/minimum".into(), "/a".into())]
    );
}

#[test]
fn if_then_else_reports_the_chosen_branch() {
    let s = json!({
        "if": {"properties": {"k": {"const": "p"}}},
        "then": {"required": ["s"], "properties": {"n": {"items": {"type": "integer"}}}},
        "else": {"properties": {"n": {"maxItems": 1}}}
    });
    assert_eq!(
        fails(s.clone(), json!({"k": "p", "n": [1, "x"]})),
        [
            ("#/then/properties/n/items/type".into(), "/n/1".into()),
            ("#/then/required".into(), "".into())
        ]
    );
    assert_eq!(
        rules(s.clone(), json!({"k": "q", "n": [1, "x"]})),
        ["#/else/properties/n/maxItems"]
    );
    assert!(rules(s, json!({"k": "p", "s": 1, "n": [1]})).is_empty());
}

#[test]
fn refs_show_the_target_path_and_ignore_siblings() {
    let s = json!({
        "definitions": {"pos": {"exclusiveMinimum": 0}, "a~b/c%": {"type": "string"}},
        "properties": {
            "x": {"$ref": "#/definitions/pos", "type": "string"},
            "y": {"$ref": "#/definitions/a~0b~1c%25"},
            "z": {"items": {"$ref": "#"}}
        }
    });
    assert_eq!(
        fails(s, json!({"x": 0, "y": 1, "z": [{"x": -1}]})),
        [
            ("#/definitions/a~0b~1c%/type".into(), "/y".into()),
            ("#/definitions/pos/exclusiveMinimum".into(), "/x".into()),
            ("#/definitions/pos/exclusiveMinimum".into(), "/z/0/x".into()),
        ]
    );
}

#[test]
fn boolean_schemas() {
    assert_eq!(
        rules(
            json!({"properties": {"a": false, "b": true}}),
            json!({"a": 1, "b": 2})
        ),
        ["#/properties/a"]
    );
    assert!(rules(json!(true), json!([1])).is_empty());
    assert_eq!(rules(json!(false), json!(null)), ["#"]);
}
