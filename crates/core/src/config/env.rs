//! The environment's part in configuration: `STEADFAST_<SECTION>__<KEY>` variables as a
//! layer, `${VAR}` substitution inside file values, and `*_file` keys that read a secret
//! from a file (the Docker and Kubernetes secrets convention).

use std::path::Path;

use super::node::{Entry, Kind, Layer, Node, Origin};
use super::parse::scalar;
use super::problem::Problem;

/// The prefix of configuration variables.
pub(crate) const ENV_PREFIX: &str = "STEADFAST_";

/// Key names whose values are secrets: redacted wherever the configuration is shown, and
/// the only ones a `<name>_file` key fills from a file.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "private_key",
    "credential",
];

/// Whether a key names a secret (`password`, `api_key`, `client_secret`, `auth_token` …).
///
/// ```
/// use steadfast_core::config::is_secret_key;
/// assert!(is_secret_key("db_password"));
/// assert!(is_secret_key("API_KEY"));
/// assert!(!is_secret_key("rules_file"));
/// ```
pub fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|w| key.contains(w))
}

/// The process's variables, and a problem for each `STEADFAST_` variable whose name or
/// value is not UTF-8 (ignoring it silently would run with a setting the user did not mean).
pub(crate) fn process_env() -> (Vec<(String, String)>, Vec<Problem>) {
    let mut vars = Vec::new();
    let mut problems = Vec::new();
    for (name, value) in std::env::vars_os() {
        match (name.into_string(), value.into_string()) {
            (Ok(name), Ok(value)) => vars.push((name, value)),
            (Ok(name), Err(_)) if name.starts_with(ENV_PREFIX) => {
                problems.push(Problem::new(
                    Origin::named(Layer::Environment, name.as_str()),
                    "the value is not valid UTF-8; set it to UTF-8 text",
                ));
            }
            (Err(name), _) if name.as_encoded_bytes().starts_with(ENV_PREFIX.as_bytes()) => {
                let shown = name.to_string_lossy().escape_debug().to_string();
                problems.push(Problem::new(
                    Origin::named(Layer::Environment, shown.as_str()),
                    "the variable's name is not valid UTF-8; rename it",
                ));
            }
            _ => {}
        }
    }
    (vars, problems)
}

/// Builds the environment layer from `vars`: every `STEADFAST_A__B__C=value` becomes
/// `a.b.c = value`; with `section`, only that section's variables are read.
pub(crate) fn env_layer(vars: &[(String, String)], section: Option<&str>) -> Node {
    let mut root = Node::empty_map(Origin::named(Layer::Environment, "STEADFAST_*"));
    for (name, value) in vars {
        let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        if !rest.contains("__") {
            // STEADFAST_LOG, STEADFAST_TEST_PG …: not configuration keys.
            continue;
        }
        let path: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
        if path.iter().any(String::is_empty) {
            continue;
        }
        if let Some(section) = section
            && path[0] != section
        {
            continue;
        }
        let origin = Origin::named(Layer::Environment, name.as_str());
        let mut node = scalar(value, &origin);
        node.secret = path.last().is_some_and(|k| is_secret_key(k));
        root.insert(&path, node, &origin);
    }
    root
}

/// Replaces `${VAR}` and `${VAR:-default}` in every string of `node` (`$${` is a literal
/// `${`), reporting unset variables where they were written.
pub(crate) fn substitute(
    node: &mut Node,
    key: Option<&str>,
    lookup: &dyn Fn(&str) -> Option<String>,
    problems: &mut Vec<Problem>,
) {
    match &mut node.kind {
        Kind::Str(text) if text.contains('$') => {
            let mut out = String::with_capacity(text.len());
            let mut rest = text.as_str();
            let mut substituted = false;
            while let Some(i) = rest.find('$') {
                out.push_str(&rest[..i]);
                let after = &rest[i..];
                if let Some(tail) = after.strip_prefix("$${") {
                    out.push_str("${");
                    rest = tail;
                } else if let Some(tail) = after.strip_prefix("${") {
                    let Some(close) = tail.find('}') else {
                        problems.push(Problem::new(
                            node.origin.clone(),
                            "unclosed `${` in a value; write `${NAME}`, or `$${` for a literal `${`",
                        ));
                        return;
                    };
                    let expr = &tail[..close];
                    let (name, default) = match expr.split_once(":-") {
                        Some((n, d)) => (n, Some(d)),
                        None => (expr, None),
                    };
                    match (lookup(name).filter(|v| !v.is_empty()), default) {
                        (Some(v), _) => out.push_str(&v),
                        (None, Some(d)) => out.push_str(d),
                        (None, None) => problems.push(Problem::new(
                            node.origin.clone(),
                            format!(
                                "environment variable {name} is not set (used as ${{{name}}}); set it, or give a default: ${{{name}:-value}}"
                            ),
                        )),
                    }
                    substituted = true;
                    rest = &tail[close + 1..];
                } else {
                    out.push('$');
                    rest = &after[1..];
                }
            }
            out.push_str(rest);
            *text = out;
            if substituted && key.is_some_and(is_secret_key) {
                node.secret = true;
            }
        }
        Kind::Seq(items) => {
            for item in items {
                substitute(item, key, lookup, problems);
            }
        }
        Kind::Map(entries) => {
            for entry in entries {
                substitute(&mut entry.value, Some(&entry.key), lookup, problems);
            }
        }
        _ => {}
    }
}

/// Replaces every `<secret>_file = "/path"` with `<secret> = <contents of the file>`
/// (trailing newline removed), marked secret.
pub(crate) fn resolve_secret_files(node: &mut Node, problems: &mut Vec<Problem>) {
    match &mut node.kind {
        Kind::Map(entries) => {
            let mut replaced: Vec<Entry> = Vec::new();
            let mut remove: Vec<String> = Vec::new();
            for entry in entries.iter() {
                let Some(base) = entry.key.strip_suffix("_file") else {
                    continue;
                };
                if !is_secret_key(base) {
                    continue;
                }
                let Kind::Str(path) = &entry.value.kind else {
                    continue;
                };
                remove.push(entry.key.clone());
                if entries
                    .iter()
                    .any(|e| e.key == base && e.value.origin.layer != Layer::Default)
                {
                    problems.push(Problem::new(
                        entry.key_origin.clone(),
                        format!(
                            "both '{base}' and '{}' are set; keep one of them",
                            entry.key
                        ),
                    ));
                    continue;
                }
                match read_secret(Path::new(path)) {
                    Ok(secret) => {
                        let mut value = Node::new(Kind::Str(secret), entry.value.origin.clone());
                        value.secret = true;
                        replaced.push(Entry {
                            key: base.to_owned(),
                            key_origin: entry.key_origin.clone(),
                            value,
                        });
                    }
                    Err(e) => problems.push(Problem::new(
                        entry.value.origin.clone(),
                        format!(
                            "cannot read the secret file {path} named by '{}': {e}; check the path and its permissions",
                            entry.key
                        ),
                    )),
                }
            }
            entries
                .retain(|e| !remove.contains(&e.key) && !replaced.iter().any(|r| r.key == e.key));
            entries.extend(replaced);
            for entry in entries {
                resolve_secret_files(&mut entry.value, problems);
            }
        }
        Kind::Seq(items) => {
            for item in items {
                resolve_secret_files(item, problems);
            }
        }
        _ => {}
    }
}

/// The largest secret file read (a token, a key, a certificate chain).
const MAX_SECRET_BYTES: u64 = 1 << 20;

fn read_secret(path: &Path) -> Result<String, String> {
    // Links are followed: Kubernetes mounts secrets as links into `..data/`. FIFOs and
    // devices are refused, so a `/dev/zero` token never reads forever.
    let mut text =
        crate::safe_fs::read_regular_to_string(path, crate::Links::Follow, MAX_SECRET_BYTES)
            .map_err(|e| super::problem::io_reason(&e))?;
    let trimmed = text.trim_end_matches(['\n', '\r']).len();
    text.truncate(trimmed);
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::super::node::parse_path;
    use super::*;

    fn vars(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn env_names_become_paths() {
        let node = env_layer(
            &vars(&[
                ("STEADFAST_DISK__WATERMARKS__LOW", "80%"),
                ("STEADFAST_TEST_PG", "postgres://x"),
                ("STEADFAST_VALIDATION__ROW_COUNT_THRESHOLD", "0.9"),
                ("PATH", "/bin"),
            ]),
            None,
        );
        assert!(matches!(
            &node.get(&parse_path("disk.watermarks.low")).unwrap().kind,
            Kind::Str(s) if s == "80%"
        ));
        assert!(node.get(&parse_path("test_pg")).is_none());
        let only = env_layer(
            &vars(&[
                ("STEADFAST_DISK__INTERVAL", "1m"),
                ("STEADFAST_VALIDATION__ROW_COUNT_THRESHOLD", "0.9"),
            ]),
            Some("validation"),
        );
        assert!(only.get(&parse_path("disk")).is_none());
    }

    #[test]
    fn substitution_defaults_escapes_and_unset() {
        let o = Origin::named(Layer::File, "f.toml");
        let mut node = Node::new(
            Kind::Str("postgres://${PGUSER}:${PGPASS}@${PGHOST:-localhost}/$${x}".into()),
            o,
        );
        let mut problems = Vec::new();
        let lookup = |n: &str| match n {
            "PGUSER" => Some("etl".to_owned()),
            "PGPASS" => Some("pw".to_owned()),
            _ => None,
        };
        substitute(&mut node, Some("url"), &lookup, &mut problems);
        assert!(problems.is_empty());
        assert!(matches!(&node.kind, Kind::Str(s) if s == "postgres://etl:pw@localhost/${x}"));

        let mut unset = Node::new(Kind::Str("${NOPE}".into()), Origin::named(Layer::File, "f"));
        substitute(&mut unset, Some("token"), &lookup, &mut problems);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.contains("NOPE is not set"));
    }
}
