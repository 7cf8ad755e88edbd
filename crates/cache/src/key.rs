//! [`CacheKey`]: a sha256 of the canonical request, computed without allocating (the
//! canonical form is fed to the hasher through a stack buffer, never built as a string),
//! and [`ResourceType`], for invalidation by type.
//!
//! The canonical form: method; scheme and host lower-cased, the default port and any
//! user-info dropped; the path verbatim; query parameters sorted by name then value (repeated
//! parameters kept — FHIR ANDs them — values verbatim: comma lists are ORs and `_sort` order
//! matters); `_format` and `_pretty` dropped and the media type added instead (`_format`
//! wins over `Accept`, as in FHIR); the fragment dropped; the scope.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::query::Params;
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
    pub(crate) resource_type: Option<ResourceType>,
}

impl fmt::Debug for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CacheKey({}…)", &self.hex()[..12])
    }
}

/// The hasher behind a stack buffer: the canonical form arrives in many small pieces, and
/// one `update` per 256 bytes costs far less than one per piece. Nothing is allocated.
struct Feeder {
    h: Sha256,
    buf: [u8; 256],
    n: usize,
}

impl Feeder {
    fn new() -> Self {
        Self {
            h: Sha256::new(),
            buf: [0; 256],
            n: 0,
        }
    }

    /// Appends `bytes`, lower-cased (ASCII) when `lower`.
    #[inline]
    fn raw(&mut self, bytes: &[u8], lower: bool) {
        if let Some(out) = self.buf.get_mut(self.n..self.n + bytes.len()) {
            // The common case: it fits.
            out.copy_from_slice(bytes);
            if lower {
                out.make_ascii_lowercase();
            }
            self.n += bytes.len();
        } else {
            self.spill(bytes, lower);
        }
    }

    #[cold]
    fn spill(&mut self, mut bytes: &[u8], lower: bool) {
        while !bytes.is_empty() {
            if self.n == self.buf.len() {
                self.h.update(self.buf);
                self.n = 0;
            }
            let take = bytes.len().min(self.buf.len() - self.n);
            let out = &mut self.buf[self.n..self.n + take];
            out.copy_from_slice(&bytes[..take]);
            if lower {
                out.make_ascii_lowercase();
            }
            self.n += take;
            bytes = &bytes[take..];
        }
    }

    /// The length of a part: one byte below 255, else 255 and four bytes — so no two
    /// different sequences of parts hash alike.
    #[inline]
    fn len(&mut self, len: usize) {
        match u8::try_from(len) {
            Ok(short) if short < u8::MAX => self.raw(&[short], false),
            _ => {
                self.raw(&[u8::MAX], false);
                let long = u32::try_from(len).unwrap_or(u32::MAX);
                self.raw(&long.to_le_bytes(), false);
            }
        }
    }

    /// Appends `part` with its length first.
    #[inline]
    fn part(&mut self, part: &[u8]) {
        self.len(part.len());
        self.raw(part, false);
    }

    /// Appends `part` lower-cased (ASCII), length first.
    #[inline]
    fn part_lower(&mut self, part: &str) {
        self.len(part.len());
        self.raw(part.as_bytes(), true);
    }

    fn finish(mut self) -> [u8; 32] {
        self.h.update(&self.buf[..self.n]);
        self.h.finalize().into()
    }
}

/// The media type `_format` asks for, in `Accept` terms.
fn format_media_type(format: &str) -> &str {
    match format {
        "json" | "application/json" | "application/fhir+json" => "application/fhir+json",
        "xml" | "text/xml" | "application/xml" | "application/fhir+xml" => "application/fhir+xml",
        "ttl" | "text/turtle" => "text/turtle",
        other => other,
    }
}

impl CacheKey {
    /// The key of `request`.
    pub fn new(request: &Request<'_>) -> Self {
        let mut h = Feeder::new();
        h.raw(b"steadfast-cache/1", false);
        h.raw(&[request.scope.kind], false);
        h.part(request.scope.id.as_bytes());
        let method: &[u8] = if request.method.eq_ignore_ascii_case("HEAD") {
            b"HEAD"
        } else {
            b"GET"
        };
        h.part(method);

        // One forward pass: scheme, authority, path, query (the fragment is cut by the
        // query's parser, or here when there is no query).
        let url = request.url;
        let scheme_len = url
            .bytes()
            .position(|c| !(c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.')))
            .filter(|&i| url.as_bytes().get(i..i + 3) == Some(b"://"));
        let (scheme, rest) = match scheme_len {
            Some(i) => (&url[..i], &url[i + 3..]),
            None => ("", url),
        };
        let authority_len = rest
            .bytes()
            .position(|c| matches!(c, b'/' | b'?' | b'#'))
            .unwrap_or(rest.len());
        let (authority, rest) = rest.split_at(authority_len);
        let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
        let (host, port) = match authority.rfind(':') {
            // `[::1]:8080`, `host:8080`; not the colons inside an IPv6 literal.
            Some(i) if !authority[i..].contains(']') => (&authority[..i], &authority[i + 1..]),
            _ => (authority, ""),
        };
        let default_port = (scheme.eq_ignore_ascii_case("https") && port == "443")
            || (scheme.eq_ignore_ascii_case("http") && port == "80");
        h.part_lower(scheme);
        h.part_lower(host);
        h.part(if default_port { b"" } else { port.as_bytes() });
        let path_len = rest
            .bytes()
            .position(|c| c == b'?' || c == b'#')
            .unwrap_or(rest.len());
        let (path, rest) = rest.split_at(path_len);
        let query = rest.strip_prefix('?').unwrap_or("");
        h.part(path.as_bytes());

        let mut params = Params::parse(query);
        let format = params.format;
        let params = params.sorted();
        h.len(params.len());
        for (name, value) in params {
            h.part(name.as_bytes());
            h.part(value.as_bytes());
        }

        // `_format` overrides `Accept` (FHIR); the media type without spaces, lower-cased.
        let media = format
            .map(format_media_type)
            .or(request.accept)
            .unwrap_or("");
        let media = media.trim();
        h.len(media.len());
        for piece in media.split(' ').filter(|p| !p.is_empty()) {
            h.part_lower(piece);
        }

        let resource_type = path
            .split('/')
            .filter(|s| !s.is_empty())
            .find_map(ResourceType::new);
        Self {
            digest: h.finish(),
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

    fn key(url: &str) -> CacheKey {
        CacheKey::new(&Request::get(url, &Scope::tenant("t")))
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
