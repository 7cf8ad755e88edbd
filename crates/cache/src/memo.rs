//! A per-thread memo from a request as written to its [`MemoryKey`]: a cache hit is a
//! request seen before, often written byte for byte the same way, and then the canonical
//! form (parsing the URL, sorting the query) need not be built again — one keyed 128-bit
//! hash of the request's own bytes finds its key.
//!
//! The memo's tag is a 128-bit SipHash-1-3 under a per-process secret (as the key itself),
//! so two different requests share a tag with probability 2⁻¹²⁸ and nobody can choose them;
//! a slot holds only two numbers, never a URL. Direct-mapped, [`SLOTS`] slots
//! (32 KiB) per thread that asks, allocated on its first request.

use std::cell::RefCell;
use std::hash::Hasher as _;

use siphasher::sip128::Hasher128 as _;

use crate::canonical::MemoryKey;
use crate::request::Request;

/// Slots per thread (a power of two).
const SLOTS: usize = 1024;

thread_local! {
    static MEMO: RefCell<Vec<(u128, MemoryKey)>> = const { RefCell::new(Vec::new()) };
}

/// The memory tier's key of `request`, from this thread's memo when it has the request.
#[inline]
pub(crate) fn memory_key(request: &Request<'_>) -> MemoryKey {
    let tag = raw_tag(request);
    #[allow(
        clippy::cast_possible_truncation,
        reason = "the low bits pick the slot"
    )]
    let slot = (tag as usize) & (SLOTS - 1);
    let found = MEMO.with(|memo| {
        memo.try_borrow()
            .ok()
            .and_then(|m| m.get(slot).filter(|(t, _)| *t == tag).map(|(_, k)| *k))
    });
    if let Some(key) = found {
        return key;
    }
    let key = MemoryKey::new(request);
    MEMO.with(|memo| {
        if let Ok(mut m) = memo.try_borrow_mut() {
            if m.is_empty() {
                m.resize(SLOTS, (0, MemoryKey(0)));
            }
            if let Some(s) = m.get_mut(slot) {
                *s = (tag, key);
            }
        }
    });
    key
}

/// A keyed hash of the request's own bytes (scope, method, URL, `Accept`): a header of
/// their lengths first, so the concatenation that follows reads only one way.
#[inline]
fn raw_tag(request: &Request<'_>) -> u128 {
    let len = |s: &str| u64::try_from(s.len()).unwrap_or(u64::MAX);
    let mut header = [0u8; 40];
    // Domain separation from the canonical form's hash under the same secret.
    header[0] = 0xA5;
    header[1] = request.scope.kind;
    header[8..16].copy_from_slice(&len(&request.scope.id).to_le_bytes());
    header[16..24].copy_from_slice(&len(request.method).to_le_bytes());
    header[24..32].copy_from_slice(&len(request.url).to_le_bytes());
    let accept = request.accept.map_or(u64::MAX, len);
    header[32..40].copy_from_slice(&accept.to_le_bytes());
    let mut h = MemoryKey::hasher();
    h.write(&header);
    h.write(request.scope.id.as_bytes());
    h.write(request.method.as_bytes());
    h.write(request.url.as_bytes());
    h.write(request.accept.unwrap_or("").as_bytes());
    h.finish128().as_u128()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Scope;

    #[test]
    fn the_memo_answers_what_the_canonical_form_does() {
        let s = Scope::tenant("t");
        let other = Scope::tenant("u");
        let urls = [
            "https://e.x/fhir/Patient?a=1&b=2",
            "HTTPS://E.X/fhir/Patient?b=2&a=1",
            "https://e.x/fhir/Patient?a=1&b=3",
        ];
        // Twice: the second round is answered from the memo.
        for _ in 0..2 {
            for url in urls {
                for scope in [&s, &other] {
                    for accept in [None, Some("application/fhir+json")] {
                        let mut r = Request::get(url, scope);
                        if let Some(a) = accept {
                            r = r.accept(a);
                        }
                        assert_eq!(memory_key(&r), MemoryKey::new(&r), "{url}");
                    }
                }
            }
        }
        assert_eq!(
            memory_key(&Request::get(urls[0], &s)),
            memory_key(&Request::get(urls[1], &s))
        );
        assert_ne!(
            memory_key(&Request::get(urls[0], &s)),
            memory_key(&Request::get(urls[0], &other))
        );
    }

    #[test]
    fn tags_frame_their_parts() {
        let s = Scope::tenant("t");
        let a = Request::new("GET", "https://e.x/a", &s);
        let b = Request::new("GE", "Thttps://e.x/a", &s);
        assert_ne!(raw_tag(&a), raw_tag(&b));
        assert_ne!(raw_tag(&a), raw_tag(&a.accept("")));
    }
}
