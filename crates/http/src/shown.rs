//! URLs as messages show them: [`elide_query_values`] (each query value replaced by `…`,
//! the keys kept) and [`shown_url`] (origin and path, query values elided, never user info)
//! — the one way every crate writes a URL into an error, a log line or stderr, because a
//! pre-signed URL's signature or a search's parameters (patient data) sit in its query.

use reqwest::Url;

/// The longest query key shown; a longer one is cut.
const MAX_KEY: usize = 64;

/// `text` with each query value elided: everything before the first `?` as it is, then
/// each `key=value` as `key=…` and a bare entry (no `=`, which may be a token itself) as
/// `…`; empty pairs dropped, keys cut to 64 characters of `A–Z a–z 0–9 _ - . :` (so nothing else of the query can show). Text
/// without `?` comes back unchanged. For a relative reference (`Patient?name=Ada`) or any
/// text that may hold a query; [`shown_url`] for a whole URL.
///
/// ```
/// use steadfast_http::elide_query_values;
///
/// assert_eq!(elide_query_values("Patient?_count=2&name=Ada"), "Patient?_count=…&name=…");
/// assert_eq!(elide_query_values("/f.json?sig=s3cr3t&flag"), "/f.json?sig=…&…");
/// assert_eq!(elide_query_values("/f.json?s3cr3t"), "/f.json?…");
/// assert_eq!(elide_query_values("/f.json"), "/f.json");
/// ```
pub fn elide_query_values(text: &str) -> String {
    let Some((head, query)) = text.split_once('?') else {
        return text.to_owned();
    };
    let keys: Vec<String> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) => {
                let key: String = key
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
                    .take(MAX_KEY)
                    .collect();
                format!("{key}=…")
            }
            None => "…".to_owned(),
        })
        .collect();
    format!("{head}?{}", keys.join("&"))
}

/// `url` as a message shows it: scheme, host, port and path, the query through
/// [`elide_query_values`]; never user info or a fragment.
///
/// ```
/// use steadfast_http::{reqwest::Url, shown_url};
///
/// let url = Url::parse("https://u:p@cdn.example:8443/a/b.json?X-Amz-Signature=s3cr3t&v=1#x")?;
/// assert_eq!(shown_url(&url), "https://cdn.example:8443/a/b.json?X-Amz-Signature=…&v=…");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn shown_url(url: &Url) -> String {
    let origin = url.origin().ascii_serialization();
    match url.query() {
        Some(q) => elide_query_values(&format!("{origin}{}?{q}", url.path())),
        None => format!("{origin}{}", url.path()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

    use super::*;

    fn shown(text: &str) -> String {
        shown_url(&Url::parse(text).unwrap())
    }

    #[test]
    fn query_values_are_elided_and_keys_kept() {
        // steadfast-fhir's search paths (Base::shown).
        assert_eq!(
            elide_query_values("Patient?_count=2&name=Ada"),
            "Patient?_count=…&name=…"
        );
        assert_eq!(elide_query_values("Patient"), "Patient");
        assert_eq!(elide_query_values("a?x=1&&y=2&"), "a?x=…&y=…");
        assert_eq!(elide_query_values("a?x=1=2"), "a?x=…");
        // A bare entry may be the secret itself: it never shows.
        assert_eq!(elide_query_values("a?s3cr3t"), "a?…");
        assert_eq!(elide_query_values("a?x=1&s3cr3t&&"), "a?x=…&…");
        // Keys keep only their plain characters, at most 64 of them.
        assert_eq!(elide_query_values("a?<b>%20c=1"), "a?b20c=…");
        let long = format!("a?{}=1", "k".repeat(100));
        assert_eq!(elide_query_values(&long), format!("a?{}=…", "k".repeat(64)));
    }

    #[test]
    fn urls_show_origin_path_and_query_keys_only() {
        // Download's messages.
        assert_eq!(
            shown("https://u:p@cdn.example:8443/a/b.json?X-Amz-Signature=s3cr3t&v=1"),
            "https://cdn.example:8443/a/b.json?X-Amz-Signature=…&v=…"
        );
        // fetch --toc's refused locations.
        assert_eq!(
            shown("https://u:p@a/in.json?X-Amz-Signature=secret&flag"),
            "https://a/in.json?X-Amz-Signature=…&…"
        );
        assert_eq!(shown("https://a/in.json"), "https://a/in.json");
        assert_eq!(shown("https://a/in.json?t0k3n"), "https://a/in.json?…");
        assert_eq!(shown("https://a/in.json#part"), "https://a/in.json");
        // The token endpoint's, whose query is dropped before.
        assert_eq!(
            shown("https://u:p@auth.example:8443/token"),
            "https://auth.example:8443/token"
        );
        assert_eq!(shown("http://127.0.0.1:80/x?"), "http://127.0.0.1/x?");
    }
}
