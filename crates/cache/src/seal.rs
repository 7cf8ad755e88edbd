//! Sealing of values in Redis: AES-256-GCM (RustCrypto's `aes-gcm`), a random 96-bit nonce
//! per value, the key's sha256 as associated data — a value copied under another key does
//! not open. The key comes from configuration or a file and is never shown.

use aes_gcm::aead::{Aead, Generate, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};

use crate::error::Error;

const MAGIC: &[u8; 4] = b"SFS1";
const NONCE: usize = 12;

/// An AES-256-GCM key for values in Redis.
///
/// ```
/// use steadfast_cache::Sealer;
/// let sealer = Sealer::from_hex(&"ab".repeat(32))?;
/// assert!(!format!("{sealer:?}").contains("abab"));
/// assert!(Sealer::from_hex("too short").is_err());
/// # Ok::<(), steadfast_cache::Error>(())
/// ```
#[derive(Clone)]
pub struct Sealer {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(AES-256-GCM, key hidden)")
    }
}

impl Sealer {
    /// A key written as 64 hexadecimal digits (surrounding whitespace ignored).
    ///
    /// # Errors
    /// [`Error::SealKey`] when it is not 64 hex digits (the value is never repeated).
    pub fn from_hex(hex: &str) -> Result<Self, Error> {
        let hex = hex.trim().as_bytes();
        if hex.len() != 64 {
            return Err(Error::SealKey {
                reason: "expected 64 hexadecimal digits (32 bytes)",
            });
        }
        let mut key = [0u8; 32];
        for (i, pair) in hex.chunks(2).enumerate() {
            let digit = |c: u8| (c as char).to_digit(16);
            match (digit(pair[0]), digit(pair[1])) {
                #[allow(clippy::cast_possible_truncation, reason = "two hex digits")]
                (Some(h), Some(l)) => key[i] = (h * 16 + l) as u8,
                _ => {
                    return Err(Error::SealKey {
                        reason: "expected 64 hexadecimal digits (32 bytes)",
                    });
                }
            }
        }
        Self::from_bytes(&key)
    }

    /// A key of 32 raw bytes.
    ///
    /// # Errors
    /// [`Error::SealKey`] when it is not 32 bytes.
    pub fn from_bytes(key: &[u8]) -> Result<Self, Error> {
        let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| Error::SealKey {
            reason: "an AES-256 key is 32 bytes",
        })?;
        Ok(Self { cipher })
    }

    /// A key read from a file holding 64 hex digits or 32 raw bytes.
    ///
    /// # Errors
    /// [`Error::SealKeyFile`] when it cannot be read; [`Error::SealKey`] when it holds
    /// neither form.
    pub fn from_file(path: impl AsRef<std::path::Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let bytes = steadfast_core::read_regular(path, steadfast_core::Links::Follow, 4096)
            .map_err(|source| Error::SealKeyFile {
                path: path.to_owned(),
                source: std::sync::Arc::new(source),
            })?;
        if bytes.len() == 32 {
            return Self::from_bytes(&bytes);
        }
        let text = std::str::from_utf8(&bytes).map_err(|_| Error::SealKey {
            reason: "expected 64 hexadecimal digits or 32 raw bytes",
        })?;
        Self::from_hex(text)
    }

    /// `plain` sealed, bound to `aad`.
    pub(crate) fn seal(&self, plain: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
        let nonce = Nonce::generate();
        let sealed = self
            .cipher
            .encrypt(&nonce, Payload { msg: plain, aad })
            .ok()?;
        let mut out = Vec::with_capacity(MAGIC.len() + NONCE + sealed.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Some(out)
    }

    /// The plain value of `sealed`, or `None` when it was not sealed with this key for
    /// `aad`.
    pub(crate) fn open(&self, sealed: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
        let rest = sealed.strip_prefix(MAGIC)?;
        if rest.len() < NONCE {
            return None;
        }
        let (nonce, msg) = rest.split_at(NONCE);
        let nonce = Nonce::try_from(nonce).ok()?;
        self.cipher.decrypt(&nonce, Payload { msg, aad }).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_binds_to_the_key() {
        let s = Sealer::from_hex(&"0f".repeat(32)).unwrap();
        let sealed = s.seal(b"patient data", b"key-a").unwrap();
        assert!(!sealed.windows(7).any(|w| w == b"patient"));
        assert_eq!(
            s.open(&sealed, b"key-a").as_deref(),
            Some(&b"patient data"[..])
        );
        assert!(s.open(&sealed, b"key-b").is_none());
        let other = Sealer::from_hex(&"f0".repeat(32)).unwrap();
        assert!(other.open(&sealed, b"key-a").is_none());
        let mut flipped = sealed.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(s.open(&flipped, b"key-a").is_none());
        assert!(s.open(b"SFS1short", b"key-a").is_none());
    }

    #[test]
    fn key_files_hold_hex_or_raw_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let hex = dir.path().join("hex");
        steadfast_core::atomic_write(&hex, format!("{}\n", "1a".repeat(32)).as_bytes()).unwrap();
        assert!(Sealer::from_file(&hex).is_ok());
        let raw = dir.path().join("raw");
        steadfast_core::atomic_write(&raw, [7u8; 32]).unwrap();
        assert!(Sealer::from_file(&raw).is_ok());
        let bad = dir.path().join("bad");
        steadfast_core::atomic_write(&bad, b"nope").unwrap();
        assert!(Sealer::from_file(&bad).is_err());
        assert!(Sealer::from_file(dir.path().join("missing")).is_err());
    }
}
