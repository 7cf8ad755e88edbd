//! [`HttpSettings`]: everything the workspace's HTTP client can be told, with documented
//! defaults, as a builder and as a configuration section.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use steadfast_core::HumanDuration;

use crate::{Error, HttpClient};

/// How to connect: timeouts, trusted roots, a client certificate, proxies.
///
/// Defaults: connect timeout 5 s, request timeout 30 s, the system's roots, no extra CA,
/// no client certificate, proxies from `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`/`NO_PROXY`
/// (as curl reads them). As configuration (`deny_unknown_fields`): `connect_timeout`,
/// `timeout`, `system_roots`, `ca_file`, `client_cert_file`, `client_key_file`,
/// `proxy_from_env`.
///
/// ```
/// use std::time::Duration;
/// use steadfast_http::HttpSettings;
///
/// let client = HttpSettings::default()
///     .connect_timeout(Duration::from_secs(2))
///     .timeout(Duration::from_secs(10))
///     .build()?;
/// # drop(client);
/// # Ok::<(), steadfast_http::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSettings {
    /// Longest wait for a connection, TLS handshake included (5s).
    pub connect_timeout: HumanDuration,
    /// Longest a whole request may take, body included (30s).
    pub timeout: HumanDuration,
    /// Trust the system's certificate authorities (true).
    pub system_roots: bool,
    /// A PEM file of further certificate authorities to trust (an internal CA).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    /// mTLS: the client's certificate chain, PEM.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_cert_file: Option<PathBuf>,
    /// mTLS: the client's private key, PEM (PKCS#8, PKCS#1 or SEC1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_key_file: Option<PathBuf>,
    /// Use the proxies the environment names (true).
    pub proxy_from_env: bool,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            connect_timeout: HumanDuration::new(Duration::from_secs(5)),
            timeout: HumanDuration::new(Duration::from_secs(30)),
            system_roots: true,
            ca_file: None,
            client_cert_file: None,
            client_key_file: None,
            proxy_from_env: true,
        }
    }
}

impl HttpSettings {
    /// Sets the connect timeout.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = HumanDuration::new(timeout);
        self
    }

    /// Sets the request timeout.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = HumanDuration::new(timeout);
        self
    }

    /// Trusts the certificate authorities in a PEM file too.
    #[must_use]
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_file = Some(path.into());
        self
    }

    /// Trusts only `ca_file`, not the system's roots.
    #[must_use]
    pub fn without_system_roots(mut self) -> Self {
        self.system_roots = false;
        self
    }

    /// Presents a client certificate (mTLS).
    #[must_use]
    pub fn client_certificate(mut self, cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.client_cert_file = Some(cert.into());
        self.client_key_file = Some(key.into());
        self
    }

    /// Ignores proxy variables in the environment.
    #[must_use]
    pub fn no_proxy(mut self) -> Self {
        self.proxy_from_env = false;
        self
    }

    /// Builds the client. Files are read now: a missing CA or key fails here, at start-up,
    /// not at the first request.
    ///
    /// # Errors
    /// A certificate or key file that cannot be read or parsed, half a client certificate,
    /// no trusted root at all.
    pub fn build(&self) -> Result<HttpClient, Error> {
        let roots = crate::tls::root_store(self.system_roots, self.ca_file.as_deref())?;
        let tls = crate::tls::client_config(
            roots,
            self.client_cert_file.as_deref(),
            self.client_key_file.as_deref(),
        )?;
        let mut builder = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .connect_timeout(self.connect_timeout.get())
            .timeout(self.timeout.get())
            .user_agent(concat!("steadfast/", env!("CARGO_PKG_VERSION")));
        if !self.proxy_from_env {
            builder = builder.no_proxy();
        }
        builder
            .build()
            .map(HttpClient::from_reqwest)
            .map_err(Error::Build)
    }
}
