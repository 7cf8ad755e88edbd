//! Differential test of the formats with a checker against Python `jsonschema` 4.26's
//! `FORMAT_CHECKER` (with its format packages): strings mutated from valid and near-valid
//! ones, compared one by one on the verdict.

use serde_json::{Value, json};

use super::JsonSchema;
use super::tests_diff::{Rng, python_counts};

/// Strings for a format's differential test: `seeds`, then mutations of them (a byte of
/// `alphabet` inserted, a byte replaced or removed, one to three times).
fn format_strings(rng: &mut Rng, seeds: &[&str], alphabet: &str, n: usize) -> Vec<Value> {
    let alphabet: Vec<char> = alphabet.chars().collect();
    let mut out: Vec<Value> = seeds.iter().map(|s| Value::from(*s)).collect();
    while out.len() < n {
        let mut s: Vec<char> = rng.pick(seeds).chars().collect();
        for _ in 0..=rng.below(3) {
            let at = rng.below(s.len() + 1);
            match rng.below(3) {
                0 => s.insert(at, *rng.pick(&alphabet)),
                1 if at < s.len() => s[at] = *rng.pick(&alphabet),
                _ if at < s.len() => {
                    s.remove(at);
                }
                _ => s.push(*rng.pick(&alphabet)),
            }
        }
        out.push(Value::from(s.into_iter().collect::<String>()));
    }
    out
}

/// Each format with a checker agrees with Python's `FORMAT_CHECKER` string by string.
#[test]
fn formats_agree_with_python_jsonschema() {
    let mut rng = Rng(0xf0_4a_7e_57);
    let formats: [(&str, &[&str], &str); 10] = [
        (
            "date",
            &["2024-02-29", "1999-12-31", "0001-01-01"],
            "0123456789-/T \n",
        ),
        (
            "date-time",
            &[
                "2024-02-29T23:59:59.123Z",
                "2024-01-01t00:00:00+05:30",
                "1999-12-31T23:59:60-23:59",
                "2024-01-01T00:00:00z\n",
            ],
            "0123456789-:TtZz.+ \n",
        ),
        (
            "time",
            &["23:59:59Z", "00:00:00.5+01:00", "12:30:00-00:00"],
            "0123456789:Zz.+- \n",
        ),
        (
            "uri",
            &[
                "https://h.example:8080/a/b?q=1#f",
                "urn:isbn:0451450523",
                "mailto:a@b",
                "http://[::1]/",
            ],
            ":/?#[]@!$&'()*+,;=%aZ09 -._~\n|^",
        ),
        (
            "uri-reference",
            &[
                "../a/b?x=1#f",
                "//host:80/p",
                "a:b",
                "#frag",
                "?q",
                "",
                "a/b:c",
                "%41",
                "/x//y",
            ],
            ":/?#[]@!$&'()*+,;=%aZ09 -._~\n|^",
        ),
        ("email", &["a@b", "a.b+c@example.org", "no-at"], "@. a"),
        ("idn-email", &["ü@b", "x"], "@."),
        (
            "ipv4",
            &["192.168.0.1", "0.0.0.0", "255.255.255.255"],
            "0123456789.a \n",
        ),
        (
            "ipv6",
            &[
                "::1",
                "2001:db8::ff00:42:8329",
                "::ffff:192.0.2.128",
                "1:2:3:4:5:6:7:8",
                "fe80::1%eth0",
                "::",
            ],
            "0123456789abcdefABCDEFg:.% ",
        ),
        (
            "json-pointer",
            &["", "/a~0b/~1c", "/", "/a/0", "a/b"],
            "/~01a2 \n",
        ),
    ];
    let schemas: Vec<String> = formats
        .iter()
        .map(|(name, ..)| json!({ "format": name }).to_string())
        .collect();
    let corpus: Vec<(&str, &str, Vec<Value>)> = formats
        .iter()
        .zip(&schemas)
        .map(|(&(name, seeds, alphabet), schema)| {
            (
                name,
                schema.as_str(),
                format_strings(&mut rng, seeds, alphabet, 400),
            )
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let Some(expected) = python_counts(dir.path(), &corpus) else {
        return;
    };
    let mut mismatches = Vec::new();
    for ((name, schema, strings), expected) in corpus.iter().zip(expected) {
        let schema = JsonSchema::from_slice(name, schema.as_bytes()).unwrap();
        assert!(schema.ignored().is_empty(), "{name} has no checker");
        let invalid = expected.iter().filter(|(n, _)| *n > 0).count();
        eprintln!("{name}: {} strings, {invalid} invalid", strings.len());
        assert!(
            invalid > 0 && invalid < strings.len(),
            "{name}: {invalid} of {} invalid",
            strings.len()
        );
        for (s, (count, _)) in strings.iter().zip(expected) {
            let ours = schema.validate_value(s, false).len();
            if ours != count {
                mismatches.push(format!("{name} {s}: python {count}, ours {ours}"));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches[..mismatches.len().min(20)].join("\n")
    );
}
