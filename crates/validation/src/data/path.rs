//! Field paths into a resource: `subject.reference`, `code.coding[0].system`.

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// One step of a [`FieldPath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Segment {
    /// An object member.
    Key(String),
    /// An array element.
    Index(u32),
}

/// A parsed field path: member names separated by dots, array indexes in brackets.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct FieldPath {
    pub(crate) segments: Vec<Segment>,
}

impl FromStr for FieldPath {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        let bad = |why: &str| {
            Err(Error::InvalidFieldPath {
                text: text.to_owned(),
                reason: why.to_owned(),
            })
        };
        if text.is_empty() {
            return bad("it is empty");
        }
        let mut segments = Vec::new();
        for part in text.split('.') {
            let (name, mut rest) = match part.find('[') {
                Some(at) => part.split_at(at),
                None => (part, ""),
            };
            if name.is_empty() {
                return bad("a member name is empty");
            }
            if !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return bad(&format!("'{name}' is not a member name"));
            }
            segments.push(Segment::Key(name.to_owned()));
            while !rest.is_empty() {
                let Some(close) = rest.find(']') else {
                    return bad("a '[' is not closed");
                };
                let Ok(index) = rest[1..close].parse::<u32>() else {
                    return bad(&format!("'{}' is not an array index", &rest[1..close]));
                };
                segments.push(Segment::Index(index));
                rest = &rest[close + 1..];
                if !rest.is_empty() && !rest.starts_with('[') {
                    return bad("expected '.' or '[' after ']'");
                }
            }
        }
        Ok(Self { segments })
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.segments.iter().enumerate() {
            match s {
                Segment::Key(k) if i == 0 => f.write_str(k)?,
                Segment::Key(k) => write!(f, ".{k}")?,
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_parse_and_print_back() {
        for text in [
            "id",
            "subject.reference",
            "code.coding[0].system",
            "a[1][2].b",
        ] {
            let path: FieldPath = text.parse().unwrap();
            assert_eq!(path.to_string(), text);
        }
        let path: FieldPath = "code.coding[0].system".parse().unwrap();
        assert_eq!(
            path.segments,
            [
                Segment::Key("code".into()),
                Segment::Key("coding".into()),
                Segment::Index(0),
                Segment::Key("system".into())
            ]
        );
    }

    #[test]
    fn bad_paths_say_why() {
        for (text, why) in [
            ("", "it is empty"),
            ("a..b", "a member name is empty"),
            ("a[x]", "'x' is not an array index"),
            ("a[0", "a '[' is not closed"),
            ("a[0]b", "expected '.' or '['"),
            ("a b", "'a b' is not a member name"),
        ] {
            let err = text.parse::<FieldPath>().unwrap_err();
            assert!(err.to_string().contains(why), "{text}: {err}");
        }
    }
}
