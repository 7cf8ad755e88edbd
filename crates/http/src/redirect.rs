//! [`Redirects`]: which redirects the client follows — the same origin only (the default),
//! or also to the hosts of a list of [`HostPattern`]s — and the reqwest policy for each.
//! Whatever is allowed: never from `https` to `http`, at most [`MAX_REDIRECTS`] in a row,
//! and only a plain `GET`/`HEAD` without body or credentials sent through
//! [`HttpClient::send_following`](crate::HttpClient::send_following) ever leaves its
//! origin; everything else follows same-origin redirects only.

use std::fmt;
use std::str::FromStr;

use reqwest::Url;
use serde::{Deserialize, Serialize};

use crate::Error;

/// The most redirects the client follows for one request.
pub const MAX_REDIRECTS: usize = 10;

/// Which redirects the client follows.
///
/// [`SameOrigin`](Redirects::SameOrigin) (the default) follows a redirect only to the
/// origin (scheme, host, port) of the request that was redirected.
/// [`Hosts`](Redirects::Hosts) also follows one to a host a pattern matches, on any port —
/// the opt-in for file servers that answer with a `302` to a CDN. There is deliberately no
/// "any host" choice: a redirect is the server's word, and following it anywhere lets any
/// server that answers (or a table of contents that names it) aim the client at hosts the
/// caller never named, internal ones included.
///
/// The hosts apply only to the requests a caller sends with
/// [`HttpClient::send_following`](crate::HttpClient::send_following) (in the workspace:
/// a download's plain `GET`, `steadfast_fhir::Download`), and only when such a request is
/// a `GET` or `HEAD` without a body, with no header beyond a short list of harmless ones
/// (`Range`, `If-Range`, `Accept` …; so no `Authorization`, `Cookie`, `X-Api-Key` or any
/// other credential) and no user info in its URL. Everything else —
/// [`HttpClient::send`](crate::HttpClient::send), [`HttpClient::reqwest`](crate::HttpClient::reqwest),
/// FHIR calls, token requests — follows same-origin redirects only. The client that
/// follows them presents no client certificate (mTLS) to the other host.
///
/// In either case a redirect from `https` to `http` is never followed and at most
/// [`MAX_REDIRECTS`] are followed in a row. A redirect not followed is no error: the
/// `3xx` answer is handed back.
///
/// As configuration: `redirects = "same_origin"` or
/// `redirects = { hosts = ["cdn.example.com", "*.cloudfront.net"] }`.
///
/// ```
/// use steadfast_http::{HostPattern, Redirects};
///
/// let redirects = Redirects::Hosts(vec!["*.cdn.example".parse()?]);
/// assert!(redirects.allows_host("eu.cdn.example"));
/// assert!(!redirects.allows_host("cdn.example"));
/// assert!(!Redirects::default().allows_host("eu.cdn.example"));
/// # Ok::<(), steadfast_http::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Redirects {
    /// Only to the same origin (the default).
    #[default]
    SameOrigin,
    /// To the same origin, or to a host one of these patterns matches.
    Hosts(Vec<HostPattern>),
}

impl Redirects {
    /// Whether a redirect to `host` (on another origin) may be followed.
    pub fn allows_host(&self, host: &str) -> bool {
        match self {
            Self::SameOrigin => false,
            Self::Hosts(patterns) => patterns.iter().any(|p| p.matches(host)),
        }
    }

    /// Whether only same-origin redirects are followed.
    pub fn is_same_origin(&self) -> bool {
        match self {
            Self::SameOrigin => true,
            Self::Hosts(patterns) => patterns.is_empty(),
        }
    }
}

/// A host a redirect may go to: an exact name or address (`cdn.example.com`, `10.0.0.7`)
/// or a suffix pattern (`*.example.com`: any name below `example.com`, not `example.com`
/// itself), on any port. Pattern and host are both compared as a URL names hosts:
/// lowercase, an internationalised name in its IDNA (`xn--`) form, so `*.bücher.example`
/// matches `shop.xn--bcher-kva.example`. A pattern is written without scheme, port or
/// path; `*` only as the leading `*.`; a suffix needs two labels at least and must not be a
/// public suffix from the [Public Suffix List](https://publicsuffix.org) (`*.com`,
/// `*.co.uk`, `*.github.io`, `*.s3.amazonaws.com` are refused: anyone can hold a name
/// below them).
///
/// A suffix pattern on a shared CDN's domain that is not on the list (`*.cloudfront.net`)
/// still admits every customer's distribution on it; name the distribution when it is
/// known.
///
/// ```
/// use steadfast_http::HostPattern;
///
/// let p: HostPattern = "*.Example.com".parse()?;
/// assert!(p.matches("files.example.com") && p.matches("a.b.example.com"));
/// assert!(!p.matches("example.com") && !p.matches("badexample.com"));
/// assert!("*.com".parse::<HostPattern>().is_err());
/// assert!("*.co.uk".parse::<HostPattern>().is_err());
/// assert!("cdn.example.com:8443".parse::<HostPattern>().is_err());
/// # Ok::<(), steadfast_http::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HostPattern {
    /// The host, normalised (lowercase, IDNA); a suffix pattern without its `*.`.
    host: String,
    /// Whether it is `*.host`.
    suffix: bool,
}

impl HostPattern {
    /// Whether `host` is one this pattern allows. `host` is compared as a URL names it
    /// (lowercase, IDNA `xn--` form): a name that is not ASCII is converted first, and one
    /// that is no valid host matches nothing.
    pub fn matches(&self, host: &str) -> bool {
        let host = if host.is_ascii() {
            host.trim_end_matches('.').to_ascii_lowercase()
        } else {
            match normal_host(host) {
                Ok(h) => h,
                Err(_) => return false,
            }
        };
        if self.suffix {
            host.strip_suffix(self.host.as_str())
                .is_some_and(|head| head.len() > 1 && head.ends_with('.'))
        } else {
            host == self.host
        }
    }
}

/// The host of `text` as a URL would name it, or why it is not one.
fn normal_host(text: &str) -> Result<String, &'static str> {
    if text.is_empty() {
        return Err("it is empty");
    }
    if text.contains(['/', '?', '#', '@', '\\']) || text.contains("://") {
        return Err("write the host alone, without scheme, user, path or query");
    }
    let url = Url::parse(&format!("http://{text}/")).map_err(|_| "it is not a host name")?;
    if url.port().is_some() || text.rsplit_once(':').is_some_and(|(_, p)| !p.contains(']')) {
        return Err("write the host without a port (any port of the host is allowed)");
    }
    let host = url.host_str().ok_or("it is not a host name")?;
    Ok(host.trim_end_matches('.').to_owned())
}

impl FromStr for HostPattern {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        let invalid = |reason: &'static str| Error::InvalidHostPattern {
            pattern: text.to_owned(),
            reason,
        };
        let trimmed = text.trim();
        if let Some(rest) = trimmed.strip_prefix("*.") {
            if rest.contains('*') {
                return Err(invalid("'*' may only open a pattern, as in *.example.com"));
            }
            let host = normal_host(rest).map_err(invalid)?;
            if !host.contains('.') {
                return Err(invalid(
                    "a suffix pattern needs two labels at least (*.example.com)",
                ));
            }
            if host.parse::<std::net::Ipv4Addr>().is_ok() || host.starts_with('[') {
                return Err(invalid("an address cannot be a suffix pattern"));
            }
            if psl::suffix_str(&host) == Some(host.as_str()) {
                return Err(invalid(
                    "a public suffix (on the Public Suffix List, as co.uk or github.io) has names anyone can register; name a host or a domain below it",
                ));
            }
            return Ok(Self { host, suffix: true });
        }
        if trimmed.contains('*') {
            return Err(invalid("'*' may only open a pattern, as in *.example.com"));
        }
        let host = normal_host(trimmed).map_err(invalid)?;
        Ok(Self {
            host,
            suffix: false,
        })
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.suffix {
            f.write_str("*.")?;
        }
        f.write_str(&self.host)
    }
}

impl TryFrom<String> for HostPattern {
    type Error = Error;

    fn try_from(text: String) -> Result<Self, Error> {
        text.parse()
    }
}

impl From<HostPattern> for String {
    fn from(p: HostPattern) -> Self {
        p.to_string()
    }
}

/// What to do with one redirect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Follow,
    Stop,
    TooMany,
}

/// The decision on a redirect from `from` to `to` after `hops` redirects (this one
/// counted): the same origin, or a host `redirects` allows; never from `https` to `http`;
/// at most [`MAX_REDIRECTS`].
fn step(redirects: &Redirects, from: &Url, to: &Url, hops: usize) -> Step {
    let downgrade = from.scheme() == "https" && to.scheme() != "https";
    let same_origin = from.origin() == to.origin();
    if hops > MAX_REDIRECTS {
        Step::TooMany
    } else if !downgrade && (same_origin || to.host_str().is_some_and(|h| redirects.allows_host(h)))
    {
        Step::Follow
    } else {
        Step::Stop
    }
}

/// The reqwest policy of `redirects` (see [`step`]); a redirect not followed hands back
/// its `3xx` answer.
pub(crate) fn policy(redirects: Redirects) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        let Some(from) = attempt.previous().last() else {
            return attempt.stop();
        };
        match step(&redirects, from, attempt.url(), attempt.previous().len()) {
            Step::Follow => attempt.follow(),
            Step::Stop => attempt.stop(),
            Step::TooMany => attempt.error("too many redirects"),
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

    use super::*;

    #[test]
    fn patterns_are_hosts_or_suffixes_and_nothing_else() {
        let exact: HostPattern = "CDN.Example.com.".parse().unwrap();
        assert_eq!(exact.to_string(), "cdn.example.com");
        assert!(exact.matches("cdn.example.com") && exact.matches("CDN.example.com."));
        assert!(!exact.matches("a.cdn.example.com"));
        let ip: HostPattern = "127.0.0.1".parse().unwrap();
        assert!(ip.matches("127.0.0.1"));
        let v6: HostPattern = "[::1]".parse().unwrap();
        assert!(v6.matches("[::1]"));
        for bad in [
            "",
            "*",
            "*.com",
            "a.*.com",
            "https://cdn.example.com",
            "cdn.example.com:443",
            "cdn.example.com/path",
            "user@cdn.example.com",
            "*.10.0.0.1",
            "*.*.example.com",
            "*.a*.example.com",
        ] {
            assert!(bad.parse::<HostPattern>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_public_suffix_is_no_suffix_pattern() {
        for public in [
            "*.co.uk",
            "*.github.io",
            "*.s3.amazonaws.com",
            "*.blob.core.windows.net",
            "*.CO.UK.",
        ] {
            let err = public.parse::<HostPattern>().unwrap_err().to_string();
            assert!(err.contains("public suffix"), "{public}: {err}");
        }
        // A name below one is fine, and an exact public suffix is no wildcard.
        for fine in ["*.octo.github.io", "*.bucket.s3.amazonaws.com", "github.io"] {
            assert!(fine.parse::<HostPattern>().is_ok(), "{fine}");
        }
    }

    #[test]
    fn internationalised_names_match_in_their_idna_form() {
        let p: HostPattern = "*.Bücher.example".parse().unwrap();
        assert_eq!(p.to_string(), "*.xn--bcher-kva.example");
        assert!(p.matches("shop.xn--bcher-kva.example"));
        assert!(p.matches("shop.bücher.example") && p.matches("SHOP.BÜCHER.example"));
        assert!(!p.matches("shop.bucher.example") && !p.matches("a b.bücher.example"));
        let exact: HostPattern = "bücher.example".parse().unwrap();
        assert!(exact.matches("xn--bcher-kva.example") && exact.matches("Bücher.example"));
    }

    #[test]
    fn a_redirect_goes_to_the_same_origin_or_an_allowed_host_and_never_to_http() {
        let url = |s: &str| Url::parse(s).unwrap();
        let hosts = Redirects::Hosts(vec!["*.cdn.example".parse().unwrap()]);
        let from = url("https://mrf.example/in.json");
        let cdn = url("https://eu.cdn.example:8443/in.json?sig=x");
        let same = url("https://mrf.example/other.json");
        for r in [&Redirects::SameOrigin, &hosts] {
            assert_eq!(step(r, &from, &same, 1), Step::Follow);
            assert_eq!(step(r, &from, &same, MAX_REDIRECTS + 1), Step::TooMany);
            assert_eq!(
                step(r, &from, &url("https://mrf.example:444/"), 1),
                Step::Stop
            );
            assert_eq!(step(r, &from, &url("http://mrf.example/"), 1), Step::Stop);
            assert_eq!(
                step(r, &from, &url("http://eu.cdn.example/"), 1),
                Step::Stop
            );
            assert_eq!(step(r, &from, &url("https://evil.example/"), 1), Step::Stop);
        }
        assert_eq!(step(&Redirects::SameOrigin, &from, &cdn, 1), Step::Stop);
        assert_eq!(step(&hosts, &from, &cdn, 1), Step::Follow);
        assert_eq!(step(&hosts, &from, &cdn, MAX_REDIRECTS + 1), Step::TooMany);
        // http to https, and http to http on an allowed host, are no downgrade.
        let plain = url("http://mrf.example/in.json");
        assert_eq!(step(&hosts, &plain, &cdn, 1), Step::Follow);
        assert_eq!(
            step(&hosts, &plain, &url("http://eu.cdn.example/"), 1),
            Step::Follow
        );
    }

    #[test]
    fn patterns_read_as_configuration_are_checked() {
        use serde::de::IntoDeserializer as _;
        use serde::de::value::{Error as DeError, StrDeserializer};
        let read = |s: &'static str| {
            let d: StrDeserializer<'_, DeError> = s.into_deserializer();
            HostPattern::deserialize(d).map(|p| p.to_string())
        };
        assert_eq!(read("*.S3.example").unwrap(), "*.s3.example");
        assert!(read("*.com").is_err());
        let d: StrDeserializer<'_, DeError> = "same_origin".into_deserializer();
        assert_eq!(Redirects::deserialize(d).unwrap(), Redirects::SameOrigin);
        assert!(Redirects::Hosts(Vec::new()).is_same_origin());
    }
}
