//! Credential redaction for URLs and connection strings, so secrets never reach a log,
//! a report or a health body.

use std::borrow::Cow;

/// What a redacted secret is replaced with.
pub const REDACTED: &str = "***";

/// Keys whose values are secrets in `key=value` connection strings and URL queries
/// (compared case-insensitively).
const SECRET_KEYS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "pass",
    "secret",
    "client_secret",
    "token",
    "access_token",
    "refresh_token",
    "api_key",
    "apikey",
    "sslpassword",
    "auth",
    "authorization",
];

/// Replaces credentials in `text` with `***`: the password of every `scheme://user:pass@host`
/// URL, and the value of secret-looking keys (`password=`, `token=`, `api_key=` …) in
/// libpq/ADO-style connection strings and URL query strings.
///
/// User names and hosts are kept, because they are what a person needs to debug a
/// connection. Text with nothing to redact is returned borrowed.
///
/// ```
/// use steadfast_core::redact_credentials;
///
/// assert_eq!(
///     redact_credentials("postgres://etl:s3cret@db:5432/fhir"),
///     "postgres://etl:***@db:5432/fhir"
/// );
/// assert_eq!(
///     redact_credentials("host=db user=etl password='s3 cret' dbname=fhir"),
///     "host=db user=etl password=*** dbname=fhir"
/// );
/// assert_eq!(
///     redact_credentials("https://ehr.example/fhir?_count=50&access_token=abc"),
///     "https://ehr.example/fhir?_count=50&access_token=***"
/// );
/// ```
pub fn redact_credentials(text: &str) -> Cow<'_, str> {
    let after_urls = redact_url_passwords(text);
    match redact_key_values(&after_urls) {
        Cow::Borrowed(_) => after_urls,
        Cow::Owned(s) => Cow::Owned(s),
    }
}

fn redact_url_passwords(text: &str) -> Cow<'_, str> {
    let mut out = String::new();
    let mut copied = 0;
    let mut search = 0;
    while let Some(rel) = text[search..].find("://") {
        let auth_start = search + rel + 3;
        let auth_end = text[auth_start..]
            .find(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace())
            .map_or(text.len(), |i| auth_start + i);
        let authority = &text[auth_start..auth_end];
        if let Some(at) = authority.rfind('@') {
            let userinfo = &authority[..at];
            if let Some(colon) = userinfo.find(':') {
                let pass_start = auth_start + colon + 1;
                let pass_end = auth_start + at;
                out.push_str(&text[copied..pass_start]);
                out.push_str(REDACTED);
                copied = pass_end;
            }
        }
        search = auth_end.max(auth_start);
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

fn is_key_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

fn redact_key_values(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'=' {
            i += 1;
            continue;
        }
        // The key is the run of key characters just before '=' (spaces allowed around it).
        let mut key_end = i;
        while key_end > 0 && bytes[key_end - 1] == b' ' {
            key_end -= 1;
        }
        let mut key_start = key_end;
        while key_start > 0 && is_key_char(bytes[key_start - 1]) {
            key_start -= 1;
        }
        let key = &text[key_start..key_end];
        let mut value_start = i + 1;
        while value_start < bytes.len() && bytes[value_start] == b' ' {
            value_start += 1;
        }
        if key.is_empty() || !SECRET_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key)) {
            i += 1;
            continue;
        }
        let value_end = match bytes.get(value_start) {
            Some(&q @ (b'\'' | b'"')) => {
                // Quoted value: up to the closing quote (libpq allows \' inside).
                let mut j = value_start + 1;
                while j < bytes.len() && bytes[j] != q {
                    j += if bytes[j] == b'\\' { 2 } else { 1 };
                }
                (j + 1).min(bytes.len())
            }
            _ => text[value_start..]
                .find(|c: char| c.is_whitespace() || matches!(c, '&' | ';' | ',' | '#'))
                .map_or(text.len(), |j| value_start + j),
        };
        if value_end > value_start {
            out.push_str(&text[copied..value_start]);
            out.push_str(REDACTED);
            copied = value_end;
        }
        i = value_end.max(i + 1);
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpus() {
        let cases = [
            (
                "redis://:hunter2@127.0.0.1:6379/0",
                "redis://:***@127.0.0.1:6379/0",
            ),
            (
                "postgres://postgres@127.0.0.1:5432/test",
                "postgres://postgres@127.0.0.1:5432/test",
            ),
            (
                "connect to postgres://a:b@h1/x and mysql://c:d@h2/y failed",
                "connect to postgres://a:***@h1/x and mysql://c:***@h2/y failed",
            ),
            ("https://u:p%40ss@host?x=1", "https://u:***@host?x=1"),
            (
                "Server=db;User Id=etl;Password=p@ss;Database=fhir",
                "Server=db;User Id=etl;Password=***;Database=fhir",
            ),
            ("password = 'a b' x", "password = *** x"),
            (r"password='a\'b' host=x", "password=*** host=x"),
            ("token=abc&x=1", "token=***&x=1"),
            ("mytoken=abc", "mytoken=abc"),
            ("password=", "password="),
            ("no secrets here: a=b", "no secrets here: a=b"),
            ("ünïcode://ü:ö@h", "ünïcode://ü:***@h"),
        ];
        for (input, expected) in cases {
            assert_eq!(redact_credentials(input), expected, "{input}");
        }
    }

    #[test]
    fn untouched_text_is_borrowed() {
        assert!(matches!(redact_credentials("plain text"), Cow::Borrowed(_)));
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_hides_url_passwords(user in "[a-z]{1,8}", pass in "[A-Za-z0-9]{4,12}", noise in "[a-z :/@]{0,20}") {
            let text = format!("{noise} postgres://{user}:{pass}@db/x {noise}");
            let out = redact_credentials(&text);
            let expected = format!("postgres://{user}:***@db/x");
            proptest::prop_assert!(out.contains(&expected), "{}", out);
        }
    }
}
