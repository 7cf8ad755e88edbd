//! The one error type of `steadfast-http`: setting a client up, and one request failing.

use std::path::PathBuf;

/// What went wrong building a client or sending a request.
///
/// [`Error::reason`] gives a fixed phrase for places that must not carry details (a health
/// body); `Display` gives the details a person acts on (a log line).
///
/// ```
/// let err = steadfast_http::Error::NoRoots;
/// assert_eq!(err.reason(), "invalid client settings");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A certificate or key file could not be read.
    #[error("cannot read {what} {}: {source}", path.display())]
    ReadFile {
        /// `ca_file`, `client_cert_file` or `client_key_file`.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A certificate or key file is not PEM, or holds nothing usable.
    #[error("{what} {} holds no usable PEM {expected}: {detail}", path.display())]
    InvalidPem {
        /// `ca_file`, `client_cert_file` or `client_key_file`.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// `CERTIFICATE` or `PRIVATE KEY`.
        expected: &'static str,
        /// What the parser said.
        detail: String,
    },
    /// Only one half of a client certificate was given.
    #[error("mTLS needs both client_cert_file and client_key_file; only {given} is set")]
    HalfClientCertificate {
        /// The one that is set.
        given: &'static str,
    },
    /// The client certificate and key were refused by rustls (they do not match, or the
    /// key type is unsupported).
    #[error("client certificate not usable: {0}; check that the key belongs to the certificate")]
    ClientCertificate(#[source] rustls::Error),
    /// No trusted roots: system roots are off and no `ca_file` is given.
    #[error("no trusted certificate authorities: enable system_roots or set ca_file")]
    NoRoots,
    /// A host a redirect may go to is not a host name or a `*.suffix` pattern.
    #[error("invalid redirect host {pattern:?}: {reason}")]
    InvalidHostPattern {
        /// The pattern as given.
        pattern: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// reqwest refused the settings.
    #[error("cannot build the HTTP client: {0}")]
    Build(#[source] reqwest::Error),
    /// The server's certificate is not trusted (unknown issuer, expired, wrong name).
    #[error(
        "{url}: certificate not trusted ({detail}); add the CA that signed it with ca_file, or install it in the system store"
    )]
    CertificateNotTrusted {
        /// The URL, credentials redacted.
        url: String,
        /// rustls's words (`UnknownIssuer`, `NotValidForName`, `Expired`).
        detail: String,
    },
    /// The TLS handshake failed for another reason.
    #[error("{url}: TLS handshake failed ({detail})")]
    Tls {
        /// The URL, credentials redacted.
        url: String,
        /// rustls's words.
        detail: String,
    },
    /// The host name did not resolve.
    #[error("{url}: name not resolved")]
    Dns {
        /// The URL, credentials redacted.
        url: String,
    },
    /// The connection was refused.
    #[error("{url}: connection refused")]
    Refused {
        /// The URL, credentials redacted.
        url: String,
    },
    /// The connect or request timeout passed.
    #[error("{url}: timed out")]
    Timeout {
        /// The URL, credentials redacted.
        url: String,
    },
    /// Anything else on the way (a reset connection, a malformed response).
    #[error("{url}: request failed: {source}")]
    Request {
        /// The URL, credentials redacted.
        url: String,
        /// The cause.
        #[source]
        source: reqwest::Error,
    },
}

impl Error {
    /// A fixed phrase for the error, safe for a public health body: no URL, no details.
    ///
    /// ```
    /// let err = steadfast_http::Error::Timeout { url: "https://ehr.example/".into() };
    /// assert_eq!(err.reason(), "timed out");
    /// ```
    pub fn reason(&self) -> &'static str {
        match self {
            Self::CertificateNotTrusted { .. } => "certificate not trusted",
            Self::Tls { .. } => "tls handshake failed",
            Self::Dns { .. } => "name not resolved",
            Self::Refused { .. } => "connection refused",
            Self::Timeout { .. } => "timed out",
            Self::Request { source, .. } if source.is_connect() => "connection failed",
            Self::Request { .. } => "request failed",
            _ => "invalid client settings",
        }
    }

    /// Whether the server's certificate was not trusted.
    pub fn is_certificate_not_trusted(&self) -> bool {
        matches!(self, Self::CertificateNotTrusted { .. })
    }

    /// Whether trying again later may help (a timeout, a refused or reset connection, a
    /// name that did not resolve); certificate and settings problems need a person.
    ///
    /// ```
    /// let err = steadfast_http::Error::Refused { url: "http://127.0.0.1:1/".into() };
    /// assert!(err.is_transient());
    /// ```
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Dns { .. } | Self::Refused { .. } | Self::Timeout { .. } | Self::Request { .. }
        )
    }

    /// Classifies a failed request by walking reqwest's source chain down to rustls and
    /// the socket. The URL is shown as every message shows one (`shown_url`: no user
    /// info, query values elided — a search's parameters may be patient data, a
    /// pre-signed URL's signature a secret), and reqwest's own error loses its copy.
    pub(crate) fn from_request(url: &str, err: reqwest::Error) -> Self {
        let url = reqwest::Url::parse(url).map_or_else(
            |_| crate::elide_query_values(&steadfast_core::redact_credentials(url)),
            |u| crate::shown_url(&u),
        );
        let err = err.without_url();
        if err.is_timeout() {
            return Self::Timeout { url };
        }
        let mut next: Option<&(dyn std::error::Error + 'static)> = Some(&err);
        while let Some(e) = next {
            if let Some(found) = tls_or_io(&url, e) {
                return found;
            }
            // hyper-util's resolver error says only this.
            if e.to_string() == "dns error" {
                return Self::Dns { url };
            }
            next = e.source();
        }
        Self::Request { url, source: err }
    }
}

/// A rustls or socket error at `e`, also inside an `io::Error` (whose `source` skips it).
fn tls_or_io(url: &str, e: &(dyn std::error::Error + 'static)) -> Option<Error> {
    let mut e = e;
    // io errors nest (hyper-util wraps tokio-rustls's): unwrap them all.
    while let Some(io) = e.downcast_ref::<std::io::Error>() {
        if io.kind() == std::io::ErrorKind::ConnectionRefused {
            return Some(Error::Refused {
                url: url.to_owned(),
            });
        }
        if io.kind() == std::io::ErrorKind::TimedOut {
            return Some(Error::Timeout {
                url: url.to_owned(),
            });
        }
        e = io.get_ref()?;
    }
    let tls = e.downcast_ref::<rustls::Error>()?;
    let detail = tls.to_string();
    Some(match tls {
        rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented => {
            Error::CertificateNotTrusted {
                url: url.to_owned(),
                detail,
            }
        }
        _ => Error::Tls {
            url: url.to_owned(),
            detail,
        },
    })
}
