//! Each thread's front of the memory tier: a direct-mapped table from a request *as
//! written* to its [`MemoryKey`] and to the entry that key last found. A cache hit is a
//! request seen before, often written byte for byte the same way: one keyed 128-bit hash
//! of the request's own bytes finds its slot, and then neither the canonical form (parsing
//! the URL, sorting the query) nor moka's lookup is needed again.
//!
//! The slot's tag is a 128-bit SipHash-1-3 under a per-process secret (as the key itself),
//! so two different requests share a tag with probability 2⁻¹²⁸ and nobody can choose them;
//! a slot holds numbers and a *weak* handle on an entry, never a URL, and never keeps an
//! entry's body alive: what moka drops is freed.
//!
//! What the front serves is what moka would, within bounds: an entry found in the tier's
//! current invalidation epoch (every invalidation sends each slot back to moka once), not
//! marked [`removed`](crate::entry::Removed) by a replacement, not past its stale window.
//! Freshness is judged by the caller as for any hit. A slot goes back to moka at least
//! every `touch_ms` for its key, so moka's time-to-idle still sees the keys in use (its
//! frequency sketch sees a hot key about once per interval per thread, not once per hit).
//!
//! [`DEFAULT_SLOTS`] slots (64 bytes each: 1 MiB) per thread per cache unless the builder
//! says otherwise, allocated on the thread's first request.

use std::cell::RefCell;
use std::hash::Hasher as _;
use std::sync::{Arc, Weak};

use siphasher::sip128::Hasher128 as _;

use crate::canonical::MemoryKey;
use crate::entry::Entry;
use crate::request::Request;

/// Slots per thread unless the builder says otherwise (a power of two). On a Zipf workload
/// over 10,000 keys (docs/benchmarks.md), 1,024 slots found the request's slot on about 60%
/// of hits and the rest paid for the canonical form and moka's lookup; 4,096 brought a hit
/// to about 1.4× moka's own `get`, 16,384 to about 0.8×.
pub(crate) const DEFAULT_SLOTS: usize = 16384;

/// One thread's front.
#[derive(Default)]
pub(crate) struct Front {
    slots: Vec<Slot>,
}

struct Slot {
    tag: u128,
    key: MemoryKey,
    /// The entry the key last found (dead when it found none).
    entry: Weak<Entry>,
    /// When moka last saw this key from this slot (the cache clock's milliseconds).
    touched_ms: u64,
    /// The tier's invalidation epoch read before moka was asked.
    epoch: u64,
}

/// The moment of a lookup: the cache clock and the tier's invalidation epoch.
#[derive(Clone, Copy)]
pub(crate) struct Moment {
    pub(crate) now_ms: u64,
    pub(crate) epoch: u64,
}

/// Where a lookup goes after the front.
pub(crate) enum Ahead {
    /// The front's entry, alive and not removed; moka need not be asked.
    Hit(Arc<Entry>),
    /// Ask moka for this key, then [`Front::remember`] the answer in `slot`.
    Ask { key: MemoryKey, slot: Place },
}

/// A slot of the front, the tag it was asked for and the moment.
#[derive(Clone, Copy)]
pub(crate) struct Place {
    index: usize,
    tag: u128,
    at: Moment,
}

impl Front {
    /// What the front knows of `request` at `at`: its entry when the slot holds one that
    /// was found in the same invalidation epoch, touched less than `touch_ms` ago, not
    /// removed since and not past its stale window; else the key to ask moka with.
    /// `slots` (a power of two) sizes the front on first use.
    #[inline]
    pub(crate) fn lookup(
        &mut self,
        request: &Request<'_>,
        at: Moment,
        touch_ms: u64,
        slots: usize,
    ) -> Ahead {
        let tag = raw_tag(request);
        if self.slots.is_empty() {
            self.slots.resize_with(slots.max(1), || Slot {
                tag: 0,
                key: MemoryKey(0),
                entry: Weak::new(),
                touched_ms: 0,
                epoch: 0,
            });
        }
        #[allow(
            clippy::cast_possible_truncation,
            reason = "the low bits pick the slot"
        )]
        let index = (tag as usize) & (self.slots.len() - 1);
        let place = Place { index, tag, at };
        let Some(slot) = self.slots.get_mut(index) else {
            return Ahead::Ask {
                key: MemoryKey::new(request),
                slot: place,
            };
        };
        if slot.tag != tag || slot.key == MemoryKey(0) {
            *slot = Slot {
                tag,
                key: MemoryKey::new(request),
                entry: Weak::new(),
                touched_ms: 0,
                epoch: 0,
            };
            return Ahead::Ask {
                key: slot.key,
                slot: place,
            };
        }
        // A clock stepped back counts as a touch due, so moka is never left unasked.
        let recent = slot.touched_ms <= at.now_ms && at.now_ms - slot.touched_ms < touch_ms;
        if recent
            && slot.epoch == at.epoch
            && let Some(entry) = slot.entry.upgrade()
            && !entry.removed.get()
            && at.now_ms < entry.stale_until
        {
            return Ahead::Hit(entry);
        }
        Ahead::Ask {
            key: slot.key,
            slot: place,
        }
    }

    /// Keeps in `place` what moka answered.
    #[inline]
    pub(crate) fn remember(&mut self, place: Place, found: Option<&Arc<Entry>>) {
        if let Some(slot) = self.slots.get_mut(place.index)
            && slot.tag == place.tag
        {
            slot.entry = found.map_or_else(Weak::new, Arc::downgrade);
            slot.touched_ms = place.at.now_ms;
            slot.epoch = place.at.epoch;
        }
    }
}

/// The memory tier's key of `request`, through a throwaway front (the bench's measure of
/// the key alone).
pub(crate) fn memory_key(request: &Request<'_>) -> MemoryKey {
    thread_local! {
        static FRONT: RefCell<Front> = RefCell::new(Front::default());
    }
    FRONT.with(|f| match f.try_borrow_mut() {
        Ok(mut front) => match front.lookup(
            request,
            Moment {
                now_ms: 0,
                epoch: 0,
            },
            0,
            DEFAULT_SLOTS,
        ) {
            Ahead::Ask { key, .. } => key,
            Ahead::Hit(_) => MemoryKey::new(request),
        },
        Err(_) => MemoryKey::new(request),
    })
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
    fn a_slot_is_one_cache_line() {
        // docs/cache.md and the builder state the front's memory from this.
        assert_eq!(std::mem::size_of::<Slot>(), 64);
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
