//! The quick check against the interpreter: on the TiC differential corpus (valid and
//! mutated documents, compact and pretty), the quick walk passes exactly the documents the
//! interpreter finds nothing in; on byte-level corruption it never passes what the lexer
//! refuses.

use serde_json::Value;

use super::tests_diff::{Rng, corpus};
use super::{JsonSchema, QuickState, passes_syntax, quick};
use crate::document::lexer::Lexer;

/// Lexer tokens are this long at most in these tests.
const MAX_TOKEN: usize = 1 << 20;

fn passes(schema: &JsonSchema, bytes: &[u8], state: &mut QuickState) -> bool {
    quick::passes(&schema.nodes, &[schema.root], bytes, MAX_TOKEN, state)
}

/// Whether the lexer reads `bytes` as one value without an error.
fn lexes(bytes: &[u8]) -> bool {
    let mut lexer = Lexer::new(bytes);
    let mut depth = 0i64;
    let mut values = 0;
    loop {
        match lexer.next() {
            Ok(None) => return values == 1,
            Err(_) => return false,
            Ok(Some((token, _))) => {
                use crate::document::event::Token;
                match token {
                    Token::BeginObject | Token::BeginArray => depth += 1,
                    Token::EndObject | Token::EndArray => depth -= 1,
                    Token::Key(_) => continue,
                    _ => {}
                }
                if depth == 0 {
                    values += 1;
                }
            }
        }
    }
}

#[test]
fn quick_check_passes_exactly_what_the_interpreter_finds_clean() {
    let mut state = QuickState::default();
    let (mut clean, mut faulty) = (0, 0);
    for (name, text, docs) in corpus() {
        let schema = JsonSchema::from_slice(name, text.as_bytes()).unwrap();
        for doc in &docs {
            let none = schema.findings(doc, false).is_empty();
            for bytes in [
                serde_json::to_vec(doc).unwrap(),
                serde_json::to_vec_pretty(doc).unwrap(),
            ] {
                assert_eq!(
                    passes(&schema, &bytes, &mut state),
                    none,
                    "{name}: {}",
                    String::from_utf8_lossy(&bytes)
                );
            }
            if none { clean += 1 } else { faulty += 1 }
        }
    }
    assert!(
        clean >= 100 && faulty >= 1000,
        "{clean} clean, {faulty} faulty"
    );
}

/// Replaces, inserts or deletes one byte.
fn corrupt(bytes: &mut Vec<u8>, rng: &mut Rng) {
    const BYTES: &[u8] = b"{}[]:,\"\\ \t\n0-.eE+tfnux\x01\x7f\xc3\xa9\xff";
    let b = *rng.pick(BYTES);
    if bytes.is_empty() {
        bytes.push(b);
        return;
    }
    let at = rng.below(bytes.len());
    match rng.below(3) {
        0 => bytes[at] = b,
        1 => bytes.insert(at, b),
        _ => drop(bytes.remove(at)),
    }
}

#[test]
fn quick_check_never_passes_what_the_lexer_refuses() {
    let mut state = QuickState::default();
    let mut rng = Rng(0x0dd_b17e_5eed);
    let (mut refused, mut passed) = (0, 0);
    for (name, text, docs) in corpus() {
        let schema = JsonSchema::from_slice(name, text.as_bytes()).unwrap();
        for doc in docs.iter().take(200) {
            let mut bytes = serde_json::to_vec(doc).unwrap();
            for _ in 0..=rng.below(2) {
                corrupt(&mut bytes, &mut rng);
            }
            let lexes = lexes(&bytes);
            refused += usize::from(!lexes);
            for quick in [
                passes(&schema, &bytes, &mut state),
                passes_syntax(&bytes, MAX_TOKEN, &mut state),
            ] {
                passed += usize::from(quick);
                assert!(
                    !quick || lexes,
                    "{name}: passed bytes the lexer refuses: {}",
                    String::from_utf8_lossy(&bytes)
                );
            }
            if lexes && passes(&schema, &bytes, &mut state) {
                let value: Value = serde_json::from_slice(&bytes).unwrap();
                assert!(schema.findings(&value, false).is_empty());
            }
        }
    }
    assert!(
        refused >= 200 && passed >= 50,
        "{refused} refused, {passed} passed"
    );
}

#[test]
fn escapes_long_tokens_and_depth() {
    let mut state = QuickState::default();
    let schema = JsonSchema::compile(&serde_json::json!({
        "properties": {"a\"b": {"enum": ["x\ny", "é"]}, "n": {"maxLength": 2}},
        "required": ["a\"b"]
    }))
    .unwrap();
    for (doc, ok) in [
        (&br#"{"a\"b": "x\ny"}"#[..], true),
        (br#"{"a\u0022b": "\u00e9"}"#, true),
        (br#"{"a\"b": "x\\ny"}"#, false),
        (br#"{"ab": "x\ny"}"#, false),
        (
            b"{\"a\\\"b\": \"\xc3\xa9\", \"n\": \"\\u00e9\\u00e9\"}",
            true,
        ),
        (
            b"{\"a\\\"b\": \"\xc3\xa9\", \"n\": \"\\u00e9\\u00e9\\u00e9\"}",
            false,
        ),
        (b"{\"a\\\"b\": \"\xc3\xa9\", \"n\": \"\\q\"}", false),
        (b"{\"a\\\"b\": \"\xc3\"}", false),
    ] {
        assert_eq!(
            passes(&schema, doc, &mut state),
            ok,
            "{}",
            String::from_utf8_lossy(doc)
        );
    }
    // A token near the lexer's limit, and nesting deeper than the walk goes: the
    // interpreter decides.
    let long = format!("\"{}\"", "x".repeat(40));
    assert!(passes_syntax(long.as_bytes(), 1000, &mut state));
    assert!(!passes_syntax(long.as_bytes(), 64, &mut state));
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    assert!(!passes_syntax(deep.as_bytes(), MAX_TOKEN, &mut state));
    assert!(lexes(deep.as_bytes()));
}
