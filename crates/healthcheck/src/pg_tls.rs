//! PostgreSQL TLS with libpq's `sslmode` semantics (feature `postgres`), on rustls.
//!
//! tokio-postgres knows `disable`, `prefer` and `require` and no root certificate, so the
//! TLS keys are taken out of the connection string here and the verification is done by
//! the rustls configuration handed to tokio-postgres-rustls:
//!
//! | sslmode | TLS | certificate checked |
//! |---|---|---|
//! | `disable` | never | — |
//! | `prefer` (default) | if the server offers it | no |
//! | `require` | always | no — unless `sslrootcert` is given: then as `verify-ca` (libpq) |
//! | `verify-ca` | always | chain to `sslrootcert` |
//! | `verify-full` | always | chain to `sslrootcert` and the host name |
//!
//! `sslrootcert=system` trusts the system's roots (libpq 16). Unlike libpq, a `verify-*`
//! mode without `sslrootcert` is an error rather than a look for `~/.postgresql/root.crt`.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use steadfast_http::rustls;

use crate::error::Error;

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// A connection string with its TLS keys taken out.
#[derive(Debug)]
pub(crate) struct PgTarget {
    /// What tokio-postgres parses (no `sslrootcert`; `sslmode` only as it knows it).
    pub(crate) config: String,
    pub(crate) mode: SslMode,
    /// `sslrootcert`: a PEM path, or `system`.
    pub(crate) root: Option<String>,
}

fn invalid(reason: impl Into<String>) -> Error {
    Error::InvalidConnectionString {
        kind: "PostgreSQL",
        reason: reason.into(),
    }
}

/// Applies one key; `false` when it is not a TLS key (kept for tokio-postgres).
fn take(
    key: &str,
    value: &str,
    mode: &mut SslMode,
    root: &mut Option<String>,
) -> Result<bool, Error> {
    match key {
        "sslmode" => {
            *mode = match value {
                "disable" => SslMode::Disable,
                "allow" | "prefer" => SslMode::Prefer,
                "require" => SslMode::Require,
                "verify-ca" => SslMode::VerifyCa,
                "verify-full" => SslMode::VerifyFull,
                other => {
                    return Err(invalid(format!(
                        "sslmode '{}' is none of disable, prefer, require, verify-ca, verify-full",
                        other.escape_debug()
                    )));
                }
            };
        }
        "sslrootcert" => *root = Some(value.to_owned()),
        "sslcert" | "sslkey" | "sslcrl" | "sslpassword" => {
            return Err(invalid(format!(
                "{key} is not supported (client certificates to PostgreSQL)"
            )));
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// `%2F` → `/` in a URL's query value.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                i += 3;
            }
            (b'+', ..) => {
                out.push(b' ');
                i += 1;
            }
            (b, ..) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Splits the TLS keys out of a URL (`?sslmode=…&sslrootcert=…`) or a libpq `key=value`
/// string (values without spaces, or single-quoted).
pub(crate) fn parse(text: &str) -> Result<PgTarget, Error> {
    let (mut mode, mut root) = (SslMode::Prefer, None);
    let config = if text.starts_with("postgres://") || text.starts_with("postgresql://") {
        let (base, query) = text.split_once('?').unwrap_or((text, ""));
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            if !take(key, &percent_decode(value), &mut mode, &mut root)? {
                kept.push(pair);
            }
        }
        if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        }
    } else {
        let mut kept = Vec::new();
        for token in split_pairs(text) {
            let (key, value) = token
                .split_once('=')
                .map_or((token.as_str(), ""), |(k, v)| (k.trim(), v.trim()));
            let value = value.trim_matches('\'');
            if !take(key, value, &mut mode, &mut root)? {
                kept.push(token.clone());
            }
        }
        kept.join(" ")
    };
    if matches!(mode, SslMode::VerifyCa | SslMode::VerifyFull) && root.is_none() {
        return Err(invalid(
            "sslmode verify-ca and verify-full need sslrootcert=/path/to/ca.pem (or sslrootcert=system)",
        ));
    }
    // libpq: `require` with a root certificate verifies the chain, as verify-ca.
    if mode == SslMode::Require && root.is_some() {
        mode = SslMode::VerifyCa;
    }
    Ok(PgTarget { config, mode, root })
}

/// `key=value` tokens, whitespace-separated, a single-quoted value kept whole.
fn split_pairs(text: &str) -> Vec<String> {
    let (mut tokens, mut current, mut quoted) = (Vec::new(), String::new(), false);
    for c in text.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                current.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    tokens.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
}

impl PgTarget {
    /// tokio-postgres's own mode: TLS required or preferred or off.
    pub(crate) fn driver_mode(&self) -> tokio_postgres::config::SslMode {
        match self.mode {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            _ => tokio_postgres::config::SslMode::Require,
        }
    }

    /// The rustls connector that verifies as the mode says.
    pub(crate) fn connector(&self) -> Result<tokio_postgres_rustls::MakeRustlsConnect, Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier: Arc<dyn ServerCertVerifier> = match (self.mode, self.root.as_deref()) {
            (SslMode::VerifyCa | SslMode::VerifyFull, Some(root)) => {
                let roots = match root {
                    "system" => steadfast_http::root_store(true, None)?,
                    path => steadfast_http::root_store(false, Some(path.as_ref()))?,
                };
                let webpki = WebPkiServerVerifier::builder_with_provider(
                    Arc::new(roots),
                    Arc::clone(&provider),
                )
                .build()
                .map_err(|e| invalid(format!("sslrootcert not usable: {e}")))?;
                Arc::new(Verify {
                    inner: webpki,
                    check_name: self.mode == SslMode::VerifyFull,
                })
            }
            _ => Arc::new(NoVerify(Arc::clone(&provider))),
        };
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| invalid(format!("TLS: {e}")))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
    }
}

/// verify-ca and verify-full: the chain to `sslrootcert`; the name only for verify-full.
#[derive(Debug)]
struct Verify {
    inner: Arc<WebPkiServerVerifier>,
    check_name: bool,
}

impl ServerCertVerifier for Verify {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.check_name => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// prefer and require without a root certificate: encrypted, the certificate unchecked
/// (libpq's documented behaviour); the handshake's signatures are still verified.
#[derive(Debug)]
struct NoVerify(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmode_and_sslrootcert_are_taken_out() {
        let t = parse("postgres://etl@db:5432/fhir?sslmode=verify-full&sslrootcert=%2Fca.pem&application_name=x").unwrap();
        assert_eq!(
            (t.mode, t.root.as_deref()),
            (SslMode::VerifyFull, Some("/ca.pem"))
        );
        assert_eq!(t.config, "postgres://etl@db:5432/fhir?application_name=x");
        let t = parse("host=db user=etl sslmode=require sslrootcert='/c a.pem'").unwrap();
        assert_eq!(
            (t.mode, t.root.as_deref()),
            (SslMode::VerifyCa, Some("/c a.pem"))
        );
        assert_eq!(t.config, "host=db user=etl");
        assert_eq!(parse("postgres://db/x").unwrap().mode, SslMode::Prefer);
        assert_eq!(
            parse("postgres://db/x?sslmode=require").unwrap().mode,
            SslMode::Require
        );
        assert!(parse("postgres://db/x?sslmode=verify-full").is_err());
        assert!(parse("postgres://db/x?sslmode=strict").is_err());
        assert!(parse("postgres://db/x?sslcert=/c.pem").is_err());
    }
}
