//! The targets of declared network checks, parsed without any I/O: `host:port`,
//! `http(s)://` URLs, and PostgreSQL and Redis URLs. Messages never repeat a password.

use steadfast_core::redact_credentials;

use crate::declared::CheckKind;

/// `host:port` (or `[v6]:port`), split.
pub(crate) fn host_port(text: &str) -> Result<(&str, u16), String> {
    let bad = || {
        format!(
            "'{}' is not host:port, like \"db.internal:5432\"",
            text.escape_debug()
        )
    };
    let (host, port) = text.rsplit_once(':').ok_or_else(bad)?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let port = port.parse::<u16>().map_err(|_| bad())?;
    if host.is_empty() || port == 0 || host.contains(['/', '@', ' ', '[', ']']) {
        return Err(bad());
    }
    Ok((host, port))
}

/// An `http://` or `https://` URL with a host and no credentials (a FHIR check's token goes
/// in `token`, never in the URL, where it would be logged).
pub(crate) fn http_url(url: &str) -> Result<steadfast_http::reqwest::Url, String> {
    let shown = redact_credentials(url);
    let example = "like \"https://ehr.example/fhir\"";
    let parsed = steadfast_http::reqwest::Url::parse(url)
        .map_err(|e| format!("'{shown}' is not a URL ({e}), {example}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "'{shown}' is not an http:// or https:// URL, {example}"
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(format!("'{shown}' names no host, {example}"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(format!(
            "'{shown}': credentials in an http URL are not supported; a fhir check takes 'token'"
        ));
    }
    Ok(parsed)
}

/// Whether `url` is a connection string the check of `kind` can use (PostgreSQL: a URL or
/// libpq `key=value` pairs, `sslmode` as libpq reads it; Redis: `redis[s]://…`).
pub(crate) fn datastore_url(kind: CheckKind, url: &str) -> Result<(), String> {
    match kind {
        #[cfg(feature = "postgres")]
        CheckKind::Postgres => crate::pg_tls::parse(url)
            .and_then(|t| {
                t.config
                    .parse::<tokio_postgres::Config>()
                    .map(drop)
                    .map_err(|_| crate::Error::InvalidConnectionString {
                        kind: "PostgreSQL",
                        reason: "expected postgres://user@host:5432/db or host=… user=… dbname=…"
                            .to_owned(),
                    })
            })
            .map_err(|e| e.to_string()),
        #[cfg(feature = "redis")]
        CheckKind::Redis => crate::RedisCheck::new(url)
            .map(drop)
            .map_err(|e| format!("{e}, like \"rediss://cache.internal:6380\"")),
        _ => {
            let _ = url;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_and_https_urls_are_taken() {
        let url = http_url("https://ehr.example/fhir").unwrap();
        assert_eq!((url.host_str(), url.path()), (Some("ehr.example"), "/fhir"));
        assert_eq!(
            http_url("http://[::1]?x=1").unwrap().as_str(),
            "http://[::1]/?x=1"
        );
        let err = http_url("http://u:s3cret@h/").unwrap_err();
        assert!(!err.contains("s3cret"), "{err}");
        assert!(http_url("http://:80/").is_err());
        assert!(http_url("ftp://h/").is_err());
        assert!(http_url("ehr.example/fhir").is_err());
    }

    #[test]
    fn host_port_needs_both() {
        assert_eq!(host_port("db:5432").unwrap(), ("db", 5432));
        assert_eq!(host_port("[::1]:6379").unwrap(), ("::1", 6379));
        for bad in ["db", "db:", ":5432", "db:0", "db:99999", "a/b:1"] {
            assert!(host_port(bad).is_err(), "{bad}");
        }
    }
}
