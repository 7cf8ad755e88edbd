//! Records paths: where in a document its records are — `$.in_network` (the elements of
//! an array), `$.entry[*].resource` (one value in each element) — parsed with clear errors
//! and matched against where the reader is.

use std::fmt::Write as _;

use crate::Error;

/// One step of a records path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// An object member.
    Key(String),
    /// Any element of an array.
    Any,
}

/// A parsed records path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecordsPath {
    /// As written.
    pub(crate) text: String,
    pub(crate) steps: Vec<Step>,
}

/// Where the reader is: per open container, the member name or element index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum At {
    Key(String),
    Index(u64),
}

fn invalid(text: &str, reason: &str) -> Error {
    Error::InvalidSelector {
        text: text.to_owned(),
        problem: format!(
            "'{text}' is not a records path: {reason}; write one like `$.in_network` or `$.entry[*].resource`"
        ),
    }
}

impl RecordsPath {
    /// Parses `$.name`, `$.a[*].b`, `$["odd name"]`.
    pub(crate) fn parse(text: &str) -> Result<Self, Error> {
        let Some(mut rest) = text.trim().strip_prefix('$') else {
            return Err(invalid(
                text,
                "it must start with `$` (the document's root)",
            ));
        };
        let mut steps = Vec::new();
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix("[*]") {
                steps.push(Step::Any);
                rest = r;
            } else if let Some(r) = rest.strip_prefix("[\"") {
                let Some(end) = r.find("\"]") else {
                    return Err(invalid(text, "a `[\"` has no closing `\"]`"));
                };
                steps.push(Step::Key(r[..end].to_owned()));
                rest = &r[end + 2..];
            } else if let Some(r) = rest.strip_prefix('.') {
                let end = r.find(['.', '[']).unwrap_or(r.len());
                let name = &r[..end];
                if name.is_empty() {
                    return Err(invalid(text, "a `.` is not followed by a member name"));
                }
                if name == "*" {
                    return Err(invalid(
                        text,
                        "`.*` is not supported (name the member, or use `[*]` for elements)",
                    ));
                }
                steps.push(Step::Key(name.to_owned()));
                rest = &r[end..];
            } else if rest.starts_with('[') {
                return Err(invalid(
                    text,
                    "only `[*]` (every element) and `[\"name\"]` are allowed in brackets",
                ));
            } else {
                return Err(invalid(text, "expected `.name` or `[*]` after a step"));
            }
        }
        if steps.is_empty() {
            return Err(invalid(
                text,
                "`$` alone is the whole document, not its records",
            ));
        }
        Ok(Self {
            text: text.trim().to_owned(),
            steps,
        })
    }

    /// True when the value at `at` is where this path points.
    pub(crate) fn matches(&self, at: &[At]) -> bool {
        self.steps.len() == at.len()
            && self.steps.iter().zip(at).all(|(s, a)| match (s, a) {
                (Step::Any, At::Index(_)) => true,
                (Step::Key(k), At::Key(name)) => k == name,
                _ => false,
            })
    }
}

/// Appends `at` to a JSON Pointer (RFC 6901: `~` as `~0`, `/` as `~1`).
pub(crate) fn push_pointer(pointer: &mut String, at: &At) {
    match at {
        At::Index(i) => push_index(pointer, *i),
        At::Key(k) => push_key(pointer, k),
    }
}

/// Appends an element's index to a JSON Pointer.
pub(crate) fn push_index(pointer: &mut String, index: u64) {
    // Writing to a String cannot fail.
    let _ = write!(pointer, "/{index}");
}

/// Appends a member's name to a JSON Pointer, escaped, without allocating.
pub(crate) fn push_key(pointer: &mut String, key: &str) {
    pointer.push('/');
    let mut rest = key;
    while let Some(i) = rest.find(['~', '/']) {
        pointer.push_str(&rest[..i]);
        pointer.push_str(if rest.as_bytes()[i] == b'~' {
            "~0"
        } else {
            "~1"
        });
        rest = &rest[i + 1..];
    }
    pointer.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_parse_and_match() -> Result<(), Error> {
        let p = RecordsPath::parse("$.in_network")?;
        assert_eq!(p.steps, vec![Step::Key("in_network".into())]);
        assert!(p.matches(&[At::Key("in_network".into())]));
        assert!(!p.matches(&[At::Key("provider_references".into())]));
        let p = RecordsPath::parse("$.entry[*].resource")?;
        assert!(p.matches(&[
            At::Key("entry".into()),
            At::Index(7),
            At::Key("resource".into())
        ]));
        assert_eq!(
            RecordsPath::parse("$[\"a.b\"]")?.steps,
            vec![Step::Key("a.b".into())]
        );
        Ok(())
    }

    #[test]
    fn bad_paths_say_why() {
        let errs: Vec<String> = ["in_network", "$", "$.", "$.a[0]", "$.*", "$[\"a", "$x"]
            .iter()
            .map(|t| {
                RecordsPath::parse(t)
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_default()
            })
            .collect();
        insta::assert_snapshot!(errs.join("\n"));
    }

    #[test]
    fn pointers_escape() {
        let mut p = String::new();
        push_pointer(&mut p, &At::Key("a/b~c".into()));
        push_pointer(&mut p, &At::Index(3));
        assert_eq!(p, "/a~1b~0c/3");
    }
}
