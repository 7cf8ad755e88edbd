//! Property tests of the data-quality check on mutated NDJSON (issue 26): random byte edits,
//! truncation, lines over the cap, duplicate keys, lone surrogates and broken gzip never
//! make the check panic or error, and every line is accounted for exactly once.

use std::io::Write as _;

use proptest::prelude::*;
use steadfast_core::ByteSize;
use steadfast_validation::data::{DataCheck, DataRules};

use crate::data::shipped_rules;

const LINES: [&str; 4] = [
    r#"{"resourceType":"Patient","id":"p1","gender":"female","birthDate":"1990-01-01"}"#,
    r#"{"resourceType":"Encounter","id":"e1","status":"finished","subject":{"reference":"Patient/p1"}}"#,
    r#"{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/p1"},"valueQuantity":{"value":72}}"#,
    r#"{"resourceType":"Condition","id":"c1","code":{"coding":[{"system":"s"}]},"subject":{"reference":"Patient/p1"},"encounter":{"reference":"Encounter/e1"}}"#,
];

/// One way to damage an export.
#[derive(Debug, Clone)]
enum Mutation {
    /// Overwrite the byte at (a position modulo the length) with this one.
    Byte(usize, u8),
    /// Cut the file at a position.
    Truncate(usize),
    /// Insert a line of this many bytes without a newline in it.
    Huge(usize, usize),
    /// Repeat a line's first member after its opening brace.
    DuplicateKey(usize),
    /// Put a lone surrogate into a line's id.
    Surrogate(usize, bool),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::Byte(at, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 100usize..5000).prop_map(|(at, n)| Mutation::Huge(at, n)),
        any::<usize>().prop_map(Mutation::DuplicateKey),
        (any::<usize>(), any::<bool>()).prop_map(|(at, high)| Mutation::Surrogate(at, high)),
    ]
}

fn apply(lines: &mut Vec<String>, bytes: &mut Vec<u8>, m: &Mutation) {
    let pick = |at: usize, len: usize| at % len.max(1);
    match *m {
        Mutation::Byte(at, b) if !bytes.is_empty() => {
            let at = pick(at, bytes.len());
            bytes[at] = b;
        }
        Mutation::Truncate(at) => bytes.truncate(pick(at, bytes.len() + 1)),
        Mutation::Huge(at, n) => {
            let at = pick(at, lines.len() + 1);
            lines.insert(
                at,
                format!(
                    "{{\"resourceType\":\"Patient\",\"id\":\"{}\"}}",
                    "x".repeat(n)
                ),
            );
        }
        Mutation::DuplicateKey(at) if !lines.is_empty() => {
            let at = pick(at, lines.len());
            let first = lines[at]
                .split(',')
                .next()
                .unwrap_or("")
                .trim_start_matches('{')
                .to_owned();
            lines[at] = lines[at].replacen('{', &format!("{{{first},"), 1);
        }
        Mutation::Surrogate(at, high) if !lines.is_empty() => {
            let at = pick(at, lines.len());
            let lone = if high { "\\ud800" } else { "\\udc00" };
            lines[at] = lines[at].replacen("\"id\":\"", &format!("\"id\":\"{lone}"), 1);
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the damage, the check returns a report whose files account for every line,
    /// whose invalid lines are its files' invalid lines, with an exit code of 0 or 1.
    #[test]
    fn mutated_exports_never_panic_and_every_line_is_counted(
        structural in proptest::collection::vec(mutation(), 0..6),
        bytes_after in proptest::collection::vec(mutation(), 0..3),
        gzip in any::<bool>(),
        threads in 1usize..4,
        cap in prop_oneof![Just(256u64), Just(64 << 20)],
    ) {
        let mut lines: Vec<String> = LINES.iter().map(|l| (*l).to_owned()).collect();
        let mut none = Vec::new();
        for m in &structural {
            apply(&mut lines, &mut none, m);
        }
        let mut bytes = (lines.join("\n") + "\n").into_bytes();
        if gzip {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(&bytes).unwrap();
            bytes = gz.finish().unwrap();
        }
        // Byte damage after compressing corrupts the gzip stream itself.
        for m in &bytes_after {
            if matches!(m, Mutation::Byte(..) | Mutation::Truncate(_)) {
                apply(&mut Vec::new(), &mut bytes, m);
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(if gzip { "x.ndjson.gz" } else { "x.ndjson" });
        steadfast_core::atomic_write(&file, &bytes).unwrap();
        let rules = DataRules { max_line_bytes: ByteSize::new(cap), ..shipped_rules() };
        let report = DataCheck::new(&rules).threads(threads).run(&[&file]).unwrap();
        prop_assert!(matches!(report.exit_code(), 0 | 1));
        let f = &report.files[0];
        prop_assert_eq!(f.lines, f.records + f.invalid + f.blank, "{:?}", f);
        // A corrupt gzip tail is one of the file's invalid lines, not one more beside them.
        prop_assert_eq!(report.violations("invalid_lines"), f.invalid, "{:?}", f);
        if !gzip {
            let newlines = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
            let torn = u64::from(bytes.last().is_some_and(|&b| b != b'\n'));
            prop_assert_eq!(f.lines, newlines + torn);
        }
    }
}
