//! The canonical form of a request, fed to a hasher through a stack buffer (never built as
//! a string, nothing allocated), and [`MemoryKey`], the memory tier's key of that form.
//!
//! The canonical form: method; scheme and host lower-cased, the default port and any
//! user-info dropped; the path verbatim; query parameters sorted by name then value (repeated
//! parameters kept — FHIR ANDs them — values verbatim: comma lists are ORs and `_sort` order
//! matters); `_format` and `_pretty` dropped and the media type added instead (`_format`
//! wins over `Accept`, as in FHIR); the fragment dropped; the scope.
//!
//! Two hashes of it: a sha256 ([`crate::CacheKey`]), the same in every process, which Redis
//! keys carry; and a keyed 128-bit SipHash-1-3 ([`MemoryKey`]) for the in-process tier —
//! a keyed pseudo-random function under a secret drawn once per process, so nobody can
//! choose two requests whose keys collide, at a fraction of sha256's cost on every hit.

use std::hash::Hasher as _;
use std::sync::OnceLock;

use sha2::{Digest as _, Sha256};
use siphasher::sip128::{Hasher128 as _, SipHasher13};

use crate::query::Params;
use crate::request::Request;

/// What the [`Feeder`] hands its full buffer to.
pub(crate) trait Absorb {
    fn absorb(&mut self, bytes: &[u8]);
}

impl Absorb for Sha256 {
    #[inline]
    fn absorb(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }
}

impl Absorb for SipHasher13 {
    #[inline]
    fn absorb(&mut self, bytes: &[u8]) {
        self.write(bytes);
    }
}

/// Two hashers fed the same bytes (a [`crate::CacheKey`] carries both keys).
pub(crate) struct Both<A, B>(pub(crate) A, pub(crate) B);

impl<A: Absorb, B: Absorb> Absorb for Both<A, B> {
    #[inline]
    fn absorb(&mut self, bytes: &[u8]) {
        self.0.absorb(bytes);
        self.1.absorb(bytes);
    }
}

/// The memory tier's key of a request: a 128-bit SipHash-1-3 of its canonical form under
/// a per-process secret.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) struct MemoryKey(pub(crate) u128);

impl MemoryKey {
    /// The key of `request` (no sha256: what a memory hit needs, and no more).
    #[inline]
    pub(crate) fn new(request: &Request<'_>) -> Self {
        let mut h = Feeder::new(Self::hasher());
        let _ = canonical(request, &mut h);
        Self(h.finish().finish128().as_u128())
    }

    /// A hasher under this process's secret.
    pub(crate) fn hasher() -> SipHasher13 {
        static SECRET: OnceLock<(u64, u64)> = OnceLock::new();
        let &(k0, k1) = SECRET.get_or_init(|| {
            // Two independently seeded SipHash keys of the standard library's, drawn from
            // the operating system's randomness.
            let draw = || {
                std::hash::BuildHasher::hash_one(
                    &std::collections::hash_map::RandomState::new(),
                    0x5eed_u64,
                )
            };
            (draw(), draw())
        });
        SipHasher13::new_with_keys(k0, k1)
    }
}
/// The hasher behind a stack buffer: the canonical form arrives in many small pieces, and
/// one `update` per 256 bytes costs far less than one per piece. Nothing is allocated.
pub(crate) struct Feeder<H> {
    h: H,
    buf: [u8; 256],
    n: usize,
}

impl<H: Absorb> Feeder<H> {
    pub(crate) fn new(h: H) -> Self {
        Self {
            h,
            buf: [0; 256],
            n: 0,
        }
    }

    /// Appends `bytes`, lower-cased (ASCII) when `lower`.
    #[inline]
    fn raw(&mut self, bytes: &[u8], lower: bool) {
        if let Some(out) = self.buf.get_mut(self.n..self.n + bytes.len()) {
            // The common case: it fits.
            copy_short(out, bytes);
            if lower {
                out.make_ascii_lowercase();
            }
            self.n += bytes.len();
        } else {
            self.spill(bytes, lower);
        }
    }

    /// Appends one byte.
    #[inline]
    fn byte(&mut self, b: u8) {
        if let Some(slot) = self.buf.get_mut(self.n) {
            *slot = b;
            self.n += 1;
        } else {
            self.spill(&[b], false);
        }
    }

    #[cold]
    fn spill(&mut self, mut bytes: &[u8], lower: bool) {
        while !bytes.is_empty() {
            if self.n == self.buf.len() {
                self.h.absorb(&self.buf);
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
            Ok(short) if short < u8::MAX => self.byte(short),
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

    /// The hasher, fed everything.
    pub(crate) fn finish(mut self) -> H {
        self.h.absorb(&self.buf[..self.n]);
        self.h
    }
}

/// Copies `src` into `dst` (of the same length) by fixed-size pieces, the last of each
/// size overlapping: the canonical form's parts are a few bytes each, and a call into the
/// C library's `memmove` per part cost more than the rest of the key together.
#[inline(always)]
fn copy_short(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    if n != dst.len() {
        dst.copy_from_slice(src); // panics, as `copy_from_slice` would; never reached
        return;
    }
    if n >= 16 {
        let mut i = 0;
        while i + 16 <= n {
            dst[i..i + 16].copy_from_slice(&src[i..i + 16]);
            i += 16;
        }
        if i < n {
            dst[n - 16..].copy_from_slice(&src[n - 16..]);
        }
    } else if n >= 8 {
        dst[..8].copy_from_slice(&src[..8]);
        dst[n - 8..].copy_from_slice(&src[n - 8..]);
    } else if n >= 4 {
        dst[..4].copy_from_slice(&src[..4]);
        dst[n - 4..].copy_from_slice(&src[n - 4..]);
    } else if n >= 2 {
        dst[..2].copy_from_slice(&src[..2]);
        dst[n - 2..].copy_from_slice(&src[n - 2..]);
    } else if n == 1 {
        dst[0] = src[0];
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

/// Feeds the canonical form of `request` to `h`; returns the request's path (for its
/// resource type).
#[inline]
pub(crate) fn canonical<'a, H: Absorb>(request: &Request<'a>, h: &mut Feeder<H>) -> &'a str {
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

    path
}
