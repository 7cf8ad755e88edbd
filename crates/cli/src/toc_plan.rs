//! The files of a price-transparency table of contents, planned for `fetch --toc`: each
//! URL once, only `http(s)` (plain http under an https table only when allowed), named
//! after the URL's last path segment, percent-decoded, made unique (`name-2.json.gz`) — a
//! name that could leave the output directory, or that starts with `.`, refused.

use std::collections::HashSet;

use steadfast::http::reqwest::Url;

/// A URL without its query and fragment: a pre-signed URL signed anew on each table of
/// contents still names the same file (as the bulk export's state does).
pub(crate) fn bare(url: &Url) -> String {
    let mut bare = url.clone();
    bare.set_query(None);
    bare.set_fragment(None);
    bare.to_string()
}

/// `%XX` decoded; `None` when the result is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| char::from(c).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push(u8::try_from(h * 16 + l).ok()?);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The local name of `url`: its last path segment, decoded; `Err` with the reason when
/// that name could leave the directory or clash with this command's own files.
pub(crate) fn local_name(url: &Url) -> Result<String, &'static str> {
    let last = url
        .path_segments()
        .and_then(|mut s| s.next_back())
        .unwrap_or("");
    let name = percent_decode(last).ok_or("its file name is not UTF-8")?;
    if name.is_empty() {
        return Err("its path names no file");
    }
    if name.contains(['/', '\\']) || name == "." || name == ".." {
        return Err("its file name would leave the output directory");
    }
    if name.starts_with('.') {
        return Err("its file name is hidden (names starting with '.' are this command's own)");
    }
    if name.chars().any(char::is_control) {
        return Err("its file name holds control characters");
    }
    Ok(name)
}

/// `name` made unique among `taken`: `a.json.gz`, then `a-2.json.gz`, `a-3.json.gz` …
pub(crate) fn unique(name: &str, taken: &mut HashSet<String>) -> String {
    let (stem, ext) = name.split_once('.').map_or((name, ""), |(s, e)| (s, e));
    let mut candidate = name.to_owned();
    let mut n = 2u32;
    // Compared lowercased: `A.json` and `a.json` are one file on a case-insensitive
    // filesystem (macOS, Windows).
    while taken.contains(&candidate.to_lowercase()) {
        candidate = if ext.is_empty() {
            format!("{stem}-{n}")
        } else {
            format!("{stem}-{n}.{ext}")
        };
        n += 1;
    }
    taken.insert(candidate.to_lowercase());
    candidate
}

/// A location as messages show it: a URL through steadfast-http's `shown_url` (origin and
/// path, each query value elided, never user info); text that is not a URL is cut at its
/// `?`.
pub(crate) fn shown_location(location: &str) -> String {
    match Url::parse(location) {
        Ok(url) => steadfast::http::shown_url(&url),
        Err(_) => match location.split_once('?') {
            Some((head, _)) => format!("{head}?…"),
            None => location.to_owned(),
        },
    }
}

/// One file to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Queued {
    pub(crate) url: Url,
    pub(crate) name: String,
}

/// The files a table of contents lists, each URL once, named; and the refused ones
/// (location, reason).
pub(crate) fn plan(
    toc_url: &Url,
    locations: &[String],
    allow_http: bool,
    taken: &mut HashSet<String>,
) -> (Vec<Queued>, Vec<(String, String)>) {
    let mut seen = HashSet::new();
    let (mut queued, mut refused) = (Vec::new(), Vec::new());
    for location in locations {
        // One file per bare URL (query removed), as the state file keys them: two
        // signatures of one file are one download.
        let url = match Url::parse(location) {
            Ok(u) => u,
            Err(e) => {
                if seen.insert(location.clone()) {
                    refused.push((location.clone(), format!("not a URL ({e})")));
                }
                continue;
            }
        };
        if !seen.insert(bare(&url)) {
            continue;
        }
        let why = match url.scheme() {
            "https" => None,
            "http" if toc_url.scheme() == "http" || allow_http => None,
            "http" => {
                Some("a plain-http file under an https table of contents (--allow-http)".to_owned())
            }
            other => Some(format!("only http and https are fetched, not {other}:")),
        };
        if let Some(why) = why {
            refused.push((location.clone(), why));
            continue;
        }
        match local_name(&url) {
            Ok(name) => {
                let name = unique(&name, taken);
                queued.push(Queued { url, name });
            }
            Err(why) => refused.push((location.clone(), why.to_owned())),
        }
    }
    (queued, refused)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn names_come_from_the_last_segment_and_never_leave_the_directory() {
        assert_eq!(
            local_name(&url("https://x/a/in%20network.json.gz")).as_deref(),
            Ok("in network.json.gz")
        );
        assert!(local_name(&url("https://x/a/..%2F..%2Fetc%2Fpasswd")).is_err());
        assert!(local_name(&url("https://x/a/%2e%2e")).is_err());
        assert!(local_name(&url("https://x/a/..%5Cwin")).is_err());
        assert!(local_name(&url("https://x/a/")).is_err());
        assert!(local_name(&url("https://x/a/.steadfast-fetch.json")).is_err());
    }

    #[test]
    fn duplicate_names_get_a_number_and_duplicate_urls_are_fetched_once() {
        let toc = url("https://x/toc.json");
        let mut taken: HashSet<String> = ["toc.json".to_owned()].into();
        let locations = [
            "https://a/in.json.gz",
            "https://b/in.json.gz",
            "https://a/in.json.gz",
            "http://c/plain.json",
            "ftp://d/f.json",
            "https://e/toc.json",
        ]
        .map(str::to_owned);
        let (queued, refused) = plan(&toc, &locations, false, &mut taken);
        let names: Vec<_> = queued.iter().map(|q| q.name.as_str()).collect();
        assert_eq!(names, ["in.json.gz", "in-2.json.gz", "toc-2.json"]);
        assert_eq!(refused.len(), 2);
        let (queued, _) = plan(&toc, &locations[3..4], true, &mut HashSet::new());
        assert_eq!(queued.len(), 1);
    }

    #[test]
    fn names_differing_only_in_case_are_made_unique() {
        let mut taken = HashSet::new();
        assert_eq!(unique("In.json", &mut taken), "In.json");
        assert_eq!(unique("in.json", &mut taken), "in-2.json");
        assert_eq!(unique("IN-2.json", &mut taken), "IN-2-2.json");
    }

    #[test]
    fn one_file_signed_twice_is_fetched_once() {
        let toc = url("https://x/toc.json");
        let locations = [
            "https://a/in.json.gz?sig=one",
            "https://a/in.json.gz?sig=two",
        ]
        .map(str::to_owned);
        let (queued, refused) = plan(&toc, &locations, false, &mut HashSet::new());
        assert_eq!(queued.len(), 1);
        assert!(refused.is_empty());
    }

    #[test]
    fn shown_locations_elide_query_values() {
        assert_eq!(
            shown_location("https://u:p@a/in.json?X-Amz-Signature=secret&flag"),
            "https://a/in.json?X-Amz-Signature=…&…"
        );
        assert_eq!(shown_location("not a url?sig=secret"), "not a url?…");
        assert_eq!(shown_location("not a url"), "not a url");
    }
}
