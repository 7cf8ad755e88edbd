//! [`CacheKey`]: a sha256 of the canonical request (see [`crate::canonical`]), computed
//! without allocating, the memory tier's key of the same form, and [`ResourceType`], for
//! invalidation by type.

use std::fmt;

use sha2::{Digest, Sha256};
use siphasher::sip128::Hasher128 as _;

pub(crate) use crate::canonical::MemoryKey;
use crate::canonical::{Both, Feeder, canonical};
use crate::request::Request;

/// A FHIR resource type named by a request's path (`Patient`, `Observation`), inline.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ResourceType {
    len: u8,
    bytes: [u8; 40],
}

impl ResourceType {
    /// `name` if it looks like a FHIR resource type: an ASCII capital, then letters and
    /// digits (some lower-case, so a version segment like `R4` or `STU3` is not one), at
    /// most 40 of them.
    ///
    /// ```
    /// use steadfast_cache::ResourceType;
    /// assert_eq!(ResourceType::new("Patient").unwrap().as_str(), "Patient");
    /// assert!(ResourceType::new("metadata").is_none());
    /// assert!(ResourceType::new("R4").is_none());
    /// assert!(ResourceType::new("Pat*").is_none());
    /// ```
    pub fn new(name: &str) -> Option<Self> {
        let b = name.as_bytes();
        if b.is_empty()
            || b.len() > 40
            || !b[0].is_ascii_uppercase()
            || !b.iter().all(u8::is_ascii_alphanumeric)
            || !b.iter().any(u8::is_ascii_lowercase)
        {
            return None;
        }
        let mut bytes = [0; 40];
        bytes[..b.len()].copy_from_slice(b);
        #[allow(clippy::cast_possible_truncation, reason = "at most 40")]
        Some(Self {
            len: b.len() as u8,
            bytes,
        })
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        // Only ASCII alphanumerics were copied in.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }
}

impl fmt::Debug for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The key of one request: a sha256 of its canonical form, and the resource type its path
/// names (for invalidation by type). `Copy`, built without allocating.
///
/// ```
/// use steadfast_cache::{CacheKey, Request, Scope};
/// let s = Scope::tenant("acme");
/// let a = CacheKey::new(&Request::get("HTTPS://EHR.example:443/fhir/Observation?code=1&patient=p1&_format=json", &s));
/// let b = CacheKey::new(&Request::get("https://ehr.example/fhir/Observation?patient=p1&code=1", &s)
///     .accept("application/fhir+json"));
/// assert_eq!(a, b);
/// assert_eq!(a.resource_type().map(|t| t.as_str()), Some("Observation"));
/// let other = Scope::tenant("globex");
/// assert_ne!(a, CacheKey::new(&Request::get("https://ehr.example/fhir/Observation?patient=p1&code=1&_format=json", &other)));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CacheKey {
    pub(crate) digest: [u8; 32],
    /// The same canonical form's key in the memory tier.
    pub(crate) memory: MemoryKey,
    pub(crate) resource_type: Option<ResourceType>,
}

impl fmt::Debug for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CacheKey({}…)", &self.hex()[..12])
    }
}

impl CacheKey {
    /// The key of `request`.
    pub fn new(request: &Request<'_>) -> Self {
        let mut h = Feeder::new(Both(Sha256::new(), MemoryKey::hasher()));
        let path = canonical(request, &mut h);
        let Both(sha, sip) = h.finish();
        let resource_type = path
            .split('/')
            .filter(|s| !s.is_empty())
            .find_map(ResourceType::new);
        Self {
            digest: sha.finalize().into(),
            memory: MemoryKey(sip.finish128().as_u128()),
            resource_type,
        }
    }

    /// The sha256, in lower-case hex (what Redis keys carry).
    pub fn hex(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::with_capacity(64);
        for b in self.digest {
            let _ = write!(s, "{b:02x}");
        }
        s
    }

    /// The sha256 itself.
    pub fn digest(&self) -> &[u8; 32] {
        &self.digest
    }

    /// The FHIR resource type the request's path names, if any.
    pub fn resource_type(&self) -> Option<&ResourceType> {
        self.resource_type.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Scope;

    /// The key of `url`; the memory tier's key, computed on its own, is the one it carries.
    fn key(url: &str) -> CacheKey {
        let scope = Scope::tenant("t");
        let request = Request::get(url, &scope);
        let key = CacheKey::new(&request);
        assert_eq!(MemoryKey::new(&request), key.memory, "{url}");
        key
    }

    #[test]
    fn the_memory_key_tells_apart_what_the_sha256_does() {
        let s = Scope::tenant("t");
        let urls = [
            "https://e.x/fhir/Patient?a=1&b=2",
            "https://e.x/fhir/Patient?b=2&a=1",
            "https://e.x/fhir/Patient?a=1&b=3",
            "https://e.x/fhir/Patient?a=12",
            "https://e.x/fhir/Patient?a1=2",
        ];
        for a in urls {
            for b in urls {
                let (ka, kb) = (key(a), key(b));
                assert_eq!(ka == kb, ka.memory == kb.memory, "{a} {b}");
            }
        }
        let other = Scope::tenant("u");
        assert_ne!(
            MemoryKey::new(&Request::get(urls[0], &s)),
            MemoryKey::new(&Request::get(urls[0], &other))
        );
    }

    #[test]
    fn canonical_equivalents_share_a_key() {
        let base = key("https://ehr.example/fhir/Patient?family=smith&birthdate=gt2000");
        for same in [
            "HTTPS://EHR.Example/fhir/Patient?birthdate=gt2000&family=smith",
            "https://ehr.example:443/fhir/Patient?family=smith&birthdate=gt2000&_pretty=true",
            "https://user:pw@ehr.example/fhir/Patient?family=smith&&birthdate=gt2000#frag",
            "https://ehr.example/fhir/Patient?family=smith&birthdate=gt2000#x&y=1",
        ] {
            assert_eq!(key(same), base, "{same}");
        }
    }

    #[test]
    fn meaningful_differences_change_the_key() {
        let base = key("https://ehr.example/fhir/Patient?family=smith");
        for other in [
            "http://ehr.example/fhir/Patient?family=smith",
            "https://ehr.example:8443/fhir/Patient?family=smith",
            "https://ehr.example/fhir/patient?family=smith",
            "https://ehr.example/fhir/Patient?family=Smith",
            "https://ehr.example/fhir/Patient?family=smith&family=jones",
            "https://ehr.example/fhir/Patient?family=smith,jones",
            "https://ehr.example/fhir/Patient?family=smith&_format=xml",
        ] {
            assert_ne!(key(other), base, "{other}");
        }
        assert_eq!(
            key("https://e.x/fhir/Patient#frag?a=1"),
            key("https://e.x/fhir/Patient")
        );
        assert_ne!(
            key("https://e.x/fhir/Observation?_sort=date,code"),
            key("https://e.x/fhir/Observation?_sort=code,date")
        );
        let s = Scope::tenant("t");
        assert_ne!(
            CacheKey::new(&Request::new("HEAD", "https://e.x/fhir/Patient", &s)),
            CacheKey::new(&Request::get("https://e.x/fhir/Patient", &s))
        );
    }

    #[test]
    fn repeated_parameters_are_order_free_but_kept() {
        assert_eq!(
            key("https://e.x/fhir/Observation?date=ge2020&date=le2021"),
            key("https://e.x/fhir/Observation?date=le2021&date=ge2020")
        );
    }

    #[test]
    fn format_and_accept_are_one_media_type() {
        let s = Scope::tenant("t");
        let a = CacheKey::new(&Request::get("https://e.x/fhir/Patient?_format=xml", &s));
        let b = CacheKey::new(
            &Request::get("https://e.x/fhir/Patient", &s).accept("application/fhir+xml"),
        );
        let c = CacheKey::new(
            &Request::get("https://e.x/fhir/Patient", &s).accept("application/fhir+json"),
        );
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn many_parameters_sort_on_the_heap() {
        let forward: Vec<String> = (0..40).map(|i| format!("p{i:02}={i}")).collect();
        let mut backward = forward.clone();
        backward.reverse();
        assert_eq!(
            key(&format!("https://e.x/fhir/Patient?{}", forward.join("&"))),
            key(&format!("https://e.x/fhir/Patient?{}", backward.join("&")))
        );
    }

    #[test]
    fn resource_type_skips_the_base_path() {
        let k = key("https://e.x/api/fhir/R4/Encounter/123/_history");
        assert_eq!(k.resource_type().map(|t| t.as_str()), Some("Encounter"));
        assert!(key("https://e.x/fhir/metadata").resource_type().is_none());
        assert_eq!(k.hex().len(), 64);
    }

    #[test]
    fn ipv6_hosts_keep_their_colons() {
        assert_eq!(
            key("http://[::1]:80/fhir/Patient"),
            key("http://[::1]/fhir/Patient")
        );
        assert_ne!(
            key("http://[::1]:8080/fhir/Patient"),
            key("http://[::1]/fhir/Patient")
        );
    }
}
