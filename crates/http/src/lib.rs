//! The workspace's one HTTP client: reqwest on rustls (the `ring` provider), trusting the
//! system's certificate authorities plus an optional extra CA file, with a client
//! certificate for mTLS, proxies from the environment (`HTTPS_PROXY`, `NO_PROXY` …) and
//! connect and request timeouts — and errors that say what a person can act on, above all
//! [`Error::CertificateNotTrusted`].
//!
//! Health checks, the Pushgateway push and the demo's client use it; see
//! `docs/adr/0002-http-client.md` for why this is a crate of its own.
//!
//! ```
//! use std::time::Duration;
//! use steadfast_http::HttpSettings;
//!
//! let settings = HttpSettings::default().timeout(Duration::from_secs(10));
//! assert_eq!(settings.connect_timeout.get(), Duration::from_secs(5));
//! let err = settings.ca_file("/no/such/ca.pem").build().unwrap_err();
//! assert!(err.to_string().contains("ca_file"));
//! ```

mod client;
mod error;
mod redirect;
mod settings;
mod shown;
mod tls;

pub use client::HttpClient;
pub use error::Error;
pub use redirect::{HostPattern, MAX_REDIRECTS, Redirects};
pub use reqwest;
pub use rustls;
pub use settings::HttpSettings;
pub use shown::{elide_query_values, shown_url};
pub use tls::{read_certificates, root_store};
