//! `PrivateKey`: the key a SMART Backend Services client signs its assertions with, read
//! from PEM text, a file or an environment variable. An RSA key signs RS384, an EC P-384
//! key ES384; the key is tried once when it is read, so a wrong key fails at start-up and
//! not at the first token request. Its text is never kept, shown or put in an error.

use std::fmt;
use std::path::Path;

use jsonwebtoken::{Algorithm, EncodingKey, Header};

use crate::error::FhirError;

/// A private key for signing client assertions: RSA (PKCS#1 `RSA PRIVATE KEY` or PKCS#8
/// `PRIVATE KEY`, at least 2048 bits) signs RS384; EC P-384 (PKCS#8 `PRIVATE KEY`) signs
/// ES384.
///
/// Its `Debug` shows the algorithm and where the key came from (a file path, an
/// environment variable's name), never the key; errors name the same and say what is
/// wrong, never quoting the text.
///
/// ```
/// use steadfast_fhir::{FhirError, PrivateKey};
///
/// let err = PrivateKey::from_pem("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----")
///     .unwrap_err();
/// assert!(matches!(err, FhirError::InvalidKey { .. }));
/// assert!(!err.to_string().contains("not a key"));
/// ```
#[derive(Clone)]
pub struct PrivateKey {
    key: EncodingKey,
    algorithm: Algorithm,
    origin: String,
}

impl PrivateKey {
    /// The key in `pem` (a secret manager's value, say).
    ///
    /// # Errors
    /// [`FhirError::InvalidKey`] when the text is not an RSA or EC P-384 private key in
    /// one of the forms above.
    pub fn from_pem(pem: &str) -> Result<Self, FhirError> {
        Self::parse(pem, "PEM text".to_owned())
    }

    /// The key in the PEM file at `path`.
    ///
    /// # Errors
    /// [`FhirError::InvalidKey`] when the file cannot be read or holds no usable key; the
    /// error names the path.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, FhirError> {
        let origin = format!("file {}", path.as_ref().display());
        let pem = std::fs::read_to_string(path.as_ref()).map_err(|_| FhirError::InvalidKey {
            origin: origin.clone(),
            reason: "the file cannot be read as text",
        })?;
        Self::parse(&pem, origin)
    }

    /// The key in the environment variable `name` (its PEM text).
    ///
    /// # Errors
    /// [`FhirError::InvalidKey`] when the variable is unset, not Unicode, or holds no
    /// usable key; the error names the variable.
    ///
    /// ```
    /// use steadfast_fhir::PrivateKey;
    ///
    /// let err = PrivateKey::from_env("STEADFAST_DOC_UNSET_KEY").unwrap_err();
    /// assert_eq!(err.to_string(),
    ///     "cannot use the private key from environment variable STEADFAST_DOC_UNSET_KEY: it is not set");
    /// ```
    #[expect(
        clippy::disallowed_methods,
        reason = "a secret comes from the environment on purpose: the config layer would save it into the run's effective configuration"
    )]
    pub fn from_env(name: &str) -> Result<Self, FhirError> {
        let origin = format!("environment variable {name}");
        let pem = std::env::var(name).map_err(|e| FhirError::InvalidKey {
            origin: origin.clone(),
            reason: match e {
                std::env::VarError::NotPresent => "it is not set",
                std::env::VarError::NotUnicode(_) => "it is not Unicode",
            },
        })?;
        Self::parse(&pem, origin)
    }

    /// The JWS algorithm the key signs with: `RS384` or `ES384`.
    pub fn algorithm(&self) -> &'static str {
        match self.algorithm {
            Algorithm::ES384 => "ES384",
            _ => "RS384",
        }
    }

    /// Where the key came from (`file keys/client.pem`, `environment variable SMART_KEY`).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// `claims` signed as a compact JWS with `header` (its `alg` set here).
    pub(crate) fn sign<T: serde::Serialize>(
        &self,
        mut header: Header,
        claims: &T,
    ) -> Result<String, FhirError> {
        header.alg = self.algorithm;
        jsonwebtoken::encode(&header, claims, &self.key).map_err(|_| FhirError::InvalidKey {
            origin: self.origin.clone(),
            reason: "signing the client assertion failed",
        })
    }

    fn parse(pem: &str, origin: String) -> Result<Self, FhirError> {
        let invalid = |reason| FhirError::InvalidKey {
            origin: origin.clone(),
            reason,
        };
        const NOT_A_KEY: &str = "not a PEM private key (PKCS#1 RSA, or PKCS#8 RSA or EC P-384)";
        // A public key or certificate parses as one too; only a private key signs.
        if !pem.contains("PRIVATE KEY-----") {
            return Err(invalid(NOT_A_KEY));
        }
        if pem.contains("-----BEGIN EC PRIVATE KEY-----") {
            return Err(invalid(
                "an EC key must be PKCS#8 (BEGIN PRIVATE KEY); convert it with `openssl pkcs8 -topk8 -nocrypt`",
            ));
        }
        if pem.contains("ENCRYPTED PRIVATE KEY") || pem.contains("Proc-Type: 4,ENCRYPTED") {
            return Err(invalid(
                "an encrypted key is not supported; decrypt it first",
            ));
        }
        let candidates = [
            (Algorithm::RS384, EncodingKey::from_rsa_pem(pem.as_bytes())),
            (Algorithm::ES384, EncodingKey::from_ec_pem(pem.as_bytes())),
        ];
        let mut parsed = false;
        for (algorithm, key) in candidates {
            let Ok(key) = key else { continue };
            parsed = true;
            let candidate = Self {
                key,
                algorithm,
                origin: origin.clone(),
            };
            // The PEM parser only reads the key's type; ring checks the key itself (size,
            // curve) when it signs — do that once now.
            if candidate
                .sign(Header::default(), &Probe { probe: 1 })
                .is_ok()
            {
                return Ok(candidate);
            }
        }
        Err(invalid(if parsed {
            "the key cannot sign RS384 or ES384 (an RSA key of at least 2048 bits, or an EC key on P-384)"
        } else {
            NOT_A_KEY
        }))
    }
}

#[derive(serde::Serialize)]
struct Probe {
    probe: u8,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("algorithm", &self.algorithm())
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sec1_ec_key_is_refused_with_the_conversion_and_no_text() {
        let pem =
            "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBsecretbits\n-----END EC PRIVATE KEY-----\n";
        let err = PrivateKey::from_pem(pem).unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(shown.contains("pkcs8 -topk8"), "{shown}");
        assert!(!shown.contains("secretbits"), "{shown}");
    }

    #[test]
    fn an_unreadable_file_is_named_by_its_path() {
        let err = PrivateKey::from_file("/nonexistent/steadfast/key.pem").unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot use the private key from file /nonexistent/steadfast/key.pem: the file cannot be read as text"
        );
    }
}
