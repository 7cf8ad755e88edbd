//! rustls on the `ring` provider: the system's roots plus an extra CA file, and a client
//! certificate for mTLS. Shared with the datastore checks, which need the same PEM reading.

use std::path::Path;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::Error;

/// The process's crypto provider: `ring` (no cmake or nasm to build, unlike aws-lc-rs).
pub(crate) fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Reads every certificate in a PEM file (`what` names the setting in messages).
///
/// ```
/// let err = steadfast_http::read_certificates("ca_file", "/no/such/ca.pem".as_ref()).unwrap_err();
/// assert!(err.to_string().contains("ca_file"));
/// ```
///
/// # Errors
/// [`Error::ReadFile`] when the file cannot be read, [`Error::InvalidPem`] when it holds no
/// certificate.
pub fn read_certificates(
    what: &'static str,
    path: &Path,
) -> Result<Vec<CertificateDer<'static>>, Error> {
    let pem = std::fs::read(path).map_err(|source| Error::ReadFile {
        what,
        path: path.to_owned(),
        source,
    })?;
    let invalid = |detail: String| Error::InvalidPem {
        what,
        path: path.to_owned(),
        expected: "CERTIFICATE",
        detail,
    };
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(e.to_string()))?;
    if certs.is_empty() {
        return Err(invalid("no BEGIN CERTIFICATE block".to_owned()));
    }
    Ok(certs)
}

/// Reads the first private key (PKCS#8, PKCS#1 or SEC1) in a PEM file.
fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, Error> {
    let what = "client_key_file";
    let pem = std::fs::read(path).map_err(|source| Error::ReadFile {
        what,
        path: path.to_owned(),
        source,
    })?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| Error::InvalidPem {
        what,
        path: path.to_owned(),
        expected: "PRIVATE KEY",
        // The parser's words name the format, never the key's bytes.
        detail: e.to_string(),
    })
}

/// The trusted roots: the system's (`/etc/ssl/certs` on Debian, `SSL_CERT_FILE` /
/// `SSL_CERT_DIR` when set) when `system`, plus every certificate in `extra`.
///
/// # Errors
/// A file that cannot be read, or no root at all.
pub fn root_store(system: bool, extra: Option<&Path>) -> Result<RootCertStore, Error> {
    let mut roots = RootCertStore::empty();
    if system {
        let found = rustls_native_certs::load_native_certs();
        for e in &found.errors {
            tracing::debug!(error = %e, "a system certificate could not be loaded");
        }
        let (added, ignored) = roots.add_parsable_certificates(found.certs);
        if ignored > 0 {
            tracing::debug!(added, ignored, "system certificates ignored as unparsable");
        }
    }
    if let Some(path) = extra {
        let certs = read_certificates("ca_file", path)?;
        let (_, ignored) = roots.add_parsable_certificates(certs);
        if ignored > 0 {
            return Err(Error::InvalidPem {
                what: "ca_file",
                path: path.to_owned(),
                expected: "CERTIFICATE",
                detail: format!("{ignored} certificate(s) could not be parsed"),
            });
        }
    }
    if roots.is_empty() {
        return Err(Error::NoRoots);
    }
    Ok(roots)
}

/// A rustls client configuration: `roots`, and a client certificate when both files are
/// given.
pub(crate) fn client_config(
    roots: RootCertStore,
    cert: Option<&Path>,
    key: Option<&Path>,
) -> Result<rustls::ClientConfig, Error> {
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(Error::ClientCertificate)?
        .with_root_certificates(roots);
    match (cert, key) {
        (None, None) => Ok(builder.with_no_client_auth()),
        (Some(cert), Some(key)) => builder
            .with_client_auth_cert(read_certificates("client_cert_file", cert)?, read_key(key)?)
            .map_err(Error::ClientCertificate),
        (Some(_), None) => Err(Error::HalfClientCertificate {
            given: "client_cert_file",
        }),
        (None, Some(_)) => Err(Error::HalfClientCertificate {
            given: "client_key_file",
        }),
    }
}
