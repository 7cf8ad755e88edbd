//! Mutated configurations (issue 26): whatever bytes a configuration file holds, loading it
//! answers with the settings or with located problems — never a panic, never unbounded work.

use proptest::prelude::*;
use steadfast::Settings;
use steadfast::run::config::Loader;

/// The shipped configuration, every section commented: the seed every mutation starts from.
const SHIPPED: &str = include_str!("../../../../configs/steadfast.toml");

/// A YAML seed with anchors and aliases, so mutations reach the alias budget too.
const YAML_SEED: &str = "disk:\n  interval: &i 5s\n  horizon: 1h\nretry: &r\n  max_retries: 3\nhealth:\n  header_read_timeout: *i\nlist: &l [*r, *r, *r]\nmore: [*l, *l, *l]\n";

/// Characters that make parsers work: structure, quoting, anchors, escapes, control.
const HOSTILE: &[char] = &[
    '[', ']', '{', '}', '"', '\'', '=', ':', '&', '*', '\n', '\\', '#', ',', '-', '\u{1b}', '\0',
    '\u{feff}', '9', 'y', '$',
];

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, char, usize),
    Truncate(usize),
    RepeatLine(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, n)| Edit::Delete(at, n)),
        (any::<usize>(), 0..HOSTILE.len(), 1usize..300)
            .prop_map(|(at, c, n)| Edit::Insert(at, HOSTILE[c], n)),
        any::<usize>().prop_map(Edit::Truncate),
        (any::<usize>(), 1usize..2000).prop_map(|(at, n)| Edit::RepeatLine(at, n)),
    ]
}

fn boundary(text: &str, at: usize) -> usize {
    let mut at = at % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(mut text: String, edits: &[Edit]) -> String {
    for e in edits {
        match *e {
            Edit::Delete(at, n) => {
                let a = boundary(&text, at);
                let b = boundary(&text, a.saturating_add(n).min(text.len()));
                text.replace_range(a..b, "");
            }
            Edit::Insert(at, c, n) => {
                let a = boundary(&text, at);
                text.insert_str(a, &c.to_string().repeat(n));
            }
            Edit::Truncate(at) => {
                let a = boundary(&text, at);
                text.truncate(a);
            }
            Edit::RepeatLine(at, n) => {
                let lines: Vec<&str> = text.lines().collect();
                if let Some(line) = lines.get(at % lines.len().max(1)) {
                    let extra = format!("{line}\n").repeat(n);
                    text.push_str(&extra);
                }
            }
        }
    }
    text
}

fn load(name: &str, text: &str) {
    let loader = Loader::new()
        .env_vars(Vec::<(String, String)>::new())
        .text(name, text);
    match Settings::load(&loader) {
        Ok(settings) => {
            let _ = settings.to_toml();
        }
        Err(e) => {
            // Every problem is located and worded.
            assert!(!e.problems().is_empty());
            let _ = e.to_string();
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn mutated_toml_never_panics(edits in proptest::collection::vec(edit(), 1..6)) {
        load("steadfast.toml", &apply(SHIPPED.to_owned(), &edits));
    }

    #[test]
    fn mutated_yaml_never_panics(edits in proptest::collection::vec(edit(), 1..6)) {
        load("steadfast.yaml", &apply(YAML_SEED.to_owned(), &edits));
    }

    #[test]
    fn mutated_json_never_panics(edits in proptest::collection::vec(edit(), 1..6)) {
        let json = r#"{"disk": {"interval": "5s", "cleanup": {"keep_newest": 3}}, "retry": {"max_retries": 2}}"#;
        load("steadfast.json", &apply(json.to_owned(), &edits));
    }
}
