//! `Trusted` against the strict lexer: the same tokens at the same positions for every
//! valid document in every layout (compact, pretty, CRLF, tabs, escaped non-ASCII), from
//! any origin; and on bytes that are not JSON, an end without a panic.

use proptest::prelude::*;
use serde_json::Value;

use super::tests::arb_json;
use super::*;

/// Every token with its position, as the strict lexer reads `doc` from `origin`.
fn strict(doc: &[u8], origin: Pos) -> Vec<(String, Pos)> {
    let mut lx = Lexer::with_origin(doc, origin);
    let mut out = Vec::new();
    while let Ok(Some((t, pos))) = lx.next() {
        out.push((format!("{t:?}"), pos));
    }
    out
}

/// The same from `Trusted`.
fn trusted(doc: &[u8], origin: Pos) -> Vec<(String, Pos)> {
    let mut tokens = Trusted::new(doc, origin, vec![true; 3]);
    let mut out = Vec::new();
    while let Some((t, pos)) = tokens.next() {
        out.push((format!("{t:?}"), pos));
    }
    out
}

/// The layouts of one value: compact, pretty, pretty with CRLF and tabs, and with every
/// non-ASCII character written as `\u` escapes (surrogate pairs past U+FFFF).
fn layouts(v: &Value) -> Vec<String> {
    let compact = serde_json::to_string(v).unwrap_or_default();
    let pretty = serde_json::to_string_pretty(v).unwrap_or_default();
    let escaped: String = compact
        .chars()
        .map(|c| {
            if c.is_ascii() {
                c.to_string()
            } else {
                let mut units = [0u16; 2];
                c.encode_utf16(&mut units)
                    .iter()
                    .map(|u| format!("\\u{u:04x}"))
                    .collect()
            }
        })
        .collect();
    vec![
        format!(" \n {compact}\n"),
        pretty.clone(),
        // Indentation only: a line starts outside any string.
        pretty
            .split('\n')
            .map(|l| {
                let text = l.trim_start_matches(' ');
                format!("{}{text}", "\t".repeat((l.len() - text.len()) / 2))
            })
            .collect::<Vec<_>>()
            .join("\r\n"),
        escaped,
        compact,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn same_tokens_and_positions_as_the_lexer(
        v in arb_json(),
        offset in 0u64..1 << 40,
        line in 1u64..1 << 30,
        column in 1u32..1 << 20,
    ) {
        let origin = Pos { offset: offset + u64::from(column), line, column };
        for doc in layouts(&v) {
            let want = strict(doc.as_bytes(), origin);
            prop_assert!(!want.is_empty());
            prop_assert_eq!(trusted(doc.as_bytes(), origin), want, "{}", doc);
        }
    }

    #[test]
    fn bytes_that_are_not_json_end_without_a_panic(
        doc in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        let n = trusted(&doc, Pos { offset: 0, line: 1, column: 1 }).len();
        prop_assert!(n <= doc.len());
    }
}

#[test]
fn numbers_literals_and_escapes_as_written() {
    let doc = br#"{"a\"b":[-0.5e+10,0,true,false,null,"\ud83d\ude00\n",{},[]],"":1E2}"#;
    let origin = Pos {
        offset: 0,
        line: 1,
        column: 1,
    };
    assert_eq!(trusted(doc, origin), strict(doc, origin));
    assert_eq!(trusted(doc, origin).len(), 17);
}
