//! The query of a health request: `exclude=name` (repeatable) and `verbose`, as
//! kube-apiserver's `/readyz` takes them; percent-decoded, other keys ignored, bounded.

/// The most `exclude` names read from one request; more are ignored.
const MAX_EXCLUDE: usize = 64;
/// The longest name read; a longer one cannot name a check and is cut.
const MAX_NAME: usize = 256;

/// `?exclude=a&exclude=b&verbose`.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Query {
    pub(crate) exclude: Vec<String>,
    pub(crate) verbose: bool,
}

impl Query {
    pub(crate) fn parse(query: Option<&str>) -> Self {
        let mut out = Self::default();
        for pair in query.unwrap_or("").split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match decode(key).as_str() {
                "exclude" if out.exclude.len() < MAX_EXCLUDE => {
                    let name = decode(value);
                    if !name.is_empty() && !out.exclude.contains(&name) {
                        out.exclude.push(name);
                    }
                }
                // `?verbose`, `?verbose=1`, `?verbose=true`; `?verbose=false` is not.
                "verbose" => out.verbose = !matches!(value, "false" | "0"),
                _ => {}
            }
        }
        out
    }
}

/// Percent-decoding (`+` is a space), at most [`MAX_NAME`] bytes; invalid UTF-8 replaced.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len().min(MAX_NAME));
    let mut i = 0;
    while i < bytes.len() && out.len() < MAX_NAME {
        let b = bytes[i];
        let hex = |j: usize| {
            bytes
                .get(j)
                .and_then(|c| char::from(*c).to_digit(16))
                .and_then(|d| u8::try_from(d).ok())
        };
        match b {
            b'%' => match (hex(i + 1), hex(i + 2)) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclusions_repeat_decode_and_are_bounded() {
        let q = Query::parse(Some(
            "exclude=db%3Aping&verbose&exclude=cache:ping&exclude=db:ping&x=1",
        ));
        assert_eq!(q.exclude, ["db:ping", "cache:ping"]);
        assert!(q.verbose);
        assert!(!Query::parse(Some("verbose=false")).verbose);
        assert_eq!(Query::parse(None), Query::default());
        assert_eq!(Query::parse(Some("exclude=%zz%4")).exclude, ["%zz%4"]);
        let many = vec!["exclude=x"; 1000].join("&")
            + &(0..1000)
                .map(|i| format!("&exclude=n{i}"))
                .collect::<String>();
        assert_eq!(Query::parse(Some(&many)).exclude.len(), MAX_EXCLUDE);
        let long = format!("exclude={}", "a".repeat(10_000));
        assert_eq!(Query::parse(Some(&long)).exclude[0].len(), MAX_NAME);
    }
}
