//! [`HttpSettings`]: everything the workspace's HTTP client can be told, with documented
//! defaults, as a builder and as a configuration section.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use steadfast_core::HumanDuration;

use crate::redirect::{HostPattern, Redirects, policy};
use crate::{Error, HttpClient};

/// How to connect: timeouts, trusted roots, a client certificate, proxies.
///
/// Defaults: connect timeout 5 s, request timeout 30 s, the system's roots, no extra CA,
/// no client certificate, proxies from `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`/`NO_PROXY`
/// (as curl reads them). As configuration (`deny_unknown_fields`): `connect_timeout`,
/// `timeout`, `system_roots`, `ca_file`, `client_cert_file`, `client_key_file`,
/// `proxy_from_env`, `redirects`.
///
/// Redirects: by default the client follows a redirect only to the same origin (scheme,
/// host and port) as the request that was redirected — never to another host or port,
/// never from `https` to `http` — and at most [`MAX_REDIRECTS`](crate::MAX_REDIRECTS) in a
/// row. Any other redirect is not followed: the `3xx` response itself is the answer, so
/// credentials and request data never reach a server the caller did not name (no SSRF
/// through a redirect). [`allow_redirect_host`](Self::allow_redirect_host) opts in to
/// redirects to named hosts (a file server's `302` to its CDN) for the requests sent with
/// [`HttpClient::send_following`] only — in the workspace a download's plain `GET`
/// without credentials — and without the client certificate; see [`Redirects`]. No
/// `Referer` is sent on a redirect: the first URL's query may be a signature.
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
    /// Which redirects are followed (`same_origin`).
    #[serde(skip_serializing_if = "Redirects::is_same_origin")]
    pub redirects: Redirects,
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
            redirects: Redirects::SameOrigin,
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

    /// Also follows redirects to hosts `pattern` matches (`cdn.example.com`,
    /// `*.example.com`), on any port, for a plain `GET`/`HEAD` without body or credentials
    /// sent with [`HttpClient::send_following`] (a download); never from `https` to `http`.
    /// Every other request still follows same-origin redirects only. Call it once per
    /// pattern.
    ///
    /// ```
    /// use steadfast_http::HttpSettings;
    ///
    /// let settings = HttpSettings::default()
    ///     .allow_redirect_host("*.cdn.example".parse()?)
    ///     .allow_redirect_host("files.example.org".parse()?);
    /// assert!(settings.redirects.allows_host("eu.cdn.example"));
    /// # Ok::<(), steadfast_http::Error>(())
    /// ```
    #[must_use]
    pub fn allow_redirect_host(mut self, pattern: HostPattern) -> Self {
        match &mut self.redirects {
            Redirects::Hosts(patterns) => patterns.push(pattern),
            other => *other = Redirects::Hosts(vec![pattern]),
        }
        self
    }

    /// Sets which redirects are followed.
    #[must_use]
    pub fn redirects(mut self, redirects: Redirects) -> Self {
        self.redirects = redirects;
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
            roots.clone(),
            self.client_cert_file.as_deref(),
            self.client_key_file.as_deref(),
        )?;
        let build = |tls: rustls::ClientConfig, redirects: Redirects| {
            let mut builder = reqwest::Client::builder()
                .tls_backend_preconfigured(tls)
                .connect_timeout(self.connect_timeout.get())
                .timeout(self.timeout.get())
                .redirect(policy(redirects))
                .referer(false)
                .user_agent(concat!("steadfast/", env!("CARGO_PKG_VERSION")));
            if !self.proxy_from_env {
                builder = builder.no_proxy();
            }
            builder.build().map_err(Error::Build)
        };
        let strict = build(tls, Redirects::SameOrigin)?;
        // The client that may reach other hosts trusts the same roots but presents no
        // client certificate: an mTLS identity is for the hosts the caller named.
        let follow = if self.redirects.is_same_origin() {
            None
        } else {
            let anonymous = crate::tls::client_config(roots, None, None)?;
            Some(build(anonymous, self.redirects.clone())?)
        };
        Ok(HttpClient::from_reqwest(
            strict,
            follow,
            self.redirects.clone(),
        ))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

    use std::io::{BufRead as _, BufReader, Write as _};
    use std::net::TcpListener;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use crate::MAX_REDIRECTS;

    /// A server on 127.0.0.1 answering every request with `status` and `location`;
    /// counts requests.
    fn server(status: &'static str, location: Option<String>) -> (String, Arc<AtomicU32>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let hits = Arc::new(AtomicU32::new(0));
        let counter = hits.clone();
        std::thread::spawn(move || {
            for mut conn in listener.incoming().flatten() {
                counter.fetch_add(1, Ordering::SeqCst);
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                        break;
                    }
                }
                let location = location
                    .as_deref()
                    .map(|l| format!("location: {l}\r\n"))
                    .unwrap_or_default();
                let _ = write!(
                    conn,
                    "HTTP/1.1 {status}\r\n{location}content-length: 0\r\nconnection: close\r\n\r\n"
                );
            }
        });
        (base, hits)
    }

    fn get(url: &str) -> reqwest::StatusCode {
        let client = HttpSettings::default().no_proxy().build().unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async { client.send(client.get(url)).await.unwrap().status() })
    }

    #[test]
    fn a_redirect_to_another_port_is_not_followed() {
        let (other, other_hits) = server("200 OK", None);
        let (base, hits) = server("302 Found", Some(format!("{other}/secret")));
        assert_eq!(get(&format!("{base}/start")), reqwest::StatusCode::FOUND);
        assert_eq!(hits.load(Ordering::SeqCst), 1);
        assert_eq!(other_hits.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn a_redirect_on_the_same_origin_is_followed_at_most_ten_times() {
        // Every answer redirects to the same origin: the eleventh redirect is refused.
        let (base, hits) = server("302 Found", Some("/again".to_owned()));
        let client = HttpSettings::default().no_proxy().build().unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let result = rt.block_on(async { client.send(client.get(format!("{base}/x"))).await });
        assert!(result.is_err());
        assert_eq!(
            u32::try_from(MAX_REDIRECTS + 1).ok(),
            Some(hits.load(Ordering::SeqCst))
        );
    }
}
