//! The targets of declared network checks, parsed without any I/O: `host:port`,
//! `http://host:port/path` URLs (https refused until the TLS client exists), and
//! PostgreSQL and Redis URLs. Messages never repeat a password.

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

/// An `http://host[:port][/path]` URL, split.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct HttpUrl {
    /// `host:port` to connect to (port 80 when none).
    pub(crate) connect: String,
    /// The `Host` header: the authority as written.
    pub(crate) host: String,
    /// The path and query to GET (`/` when none).
    pub(crate) path: String,
}

/// Splits an `http://host[:port][/path]` URL.
pub(crate) fn http_url(url: &str) -> Result<HttpUrl, String> {
    let shown = redact_credentials(url);
    let Some(rest) = url.strip_prefix("http://") else {
        if url.starts_with("https://") {
            return Err(format!(
                "'{shown}': https is not supported yet (issue 20 item 1); use an http:// URL on a trusted network, or a tcp check"
            ));
        }
        return Err(format!(
            "'{shown}' is not an http:// URL, like \"http://ehr.internal:8080/fhir\""
        ));
    };
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.contains('@') {
        return Err(format!(
            "'{shown}': credentials in an http URL are not supported; the check sends none"
        ));
    }
    let path = if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_owned()
    };
    let with_port = if authority.ends_with(']') || !authority.contains(':') {
        format!("{authority}:80")
    } else {
        authority.to_owned()
    };
    host_port(&with_port).map_err(|_| {
        format!("'{shown}' names no valid host[:port], like \"http://ehr.internal:8080/fhir\"")
    })?;
    if path.chars().any(|c| c.is_control() || c == ' ') {
        return Err(format!(
            "'{shown}': the path has spaces or control characters; percent-encode them"
        ));
    }
    Ok(HttpUrl {
        connect: with_port,
        host: authority.to_owned(),
        path,
    })
}

/// Whether `url` is a connection string the check of `kind` can use (PostgreSQL: a URL or
/// libpq `key=value` pairs; Redis: `redis://[:password@]host[:port]`).
pub(crate) fn datastore_url(kind: CheckKind, url: &str) -> Result<(), String> {
    match kind {
        #[cfg(feature = "postgres")]
        CheckKind::Postgres => url.parse::<tokio_postgres::Config>().map(drop).map_err(|_| {
            "not a PostgreSQL connection string: expected postgres://user@host:5432/db or host=… user=… dbname=…".to_owned()
        }),
        CheckKind::Redis => crate::RedisCheck::new(url).map(drop).map_err(|e| {
            format!("not a Redis URL: {e}, like \"redis://127.0.0.1:6379\"")
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_urls_split_into_address_and_path() {
        let split = |url: &str| {
            let u = http_url(url).unwrap();
            (u.connect, u.host, u.path)
        };
        let owned = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), c.to_owned());
        assert_eq!(
            split("http://127.0.0.1:8080/fhir"),
            owned("127.0.0.1:8080", "127.0.0.1:8080", "/fhir")
        );
        assert_eq!(
            split("http://ehr.internal"),
            owned("ehr.internal:80", "ehr.internal", "/")
        );
        assert_eq!(
            split("http://[::1]?x=1"),
            owned("[::1]:80", "[::1]", "/?x=1")
        );
        assert!(
            http_url("https://ehr.example/fhir")
                .unwrap_err()
                .contains("issue 20 item 1")
        );
        let err = http_url("http://u:s3cret@h/").unwrap_err();
        assert!(!err.contains("s3cret"), "{err}");
        assert!(http_url("http://:80/").is_err());
        assert!(http_url("ftp://h/").is_err());
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
