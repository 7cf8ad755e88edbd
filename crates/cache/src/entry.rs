//! A stored answer ([`Entry`]), its times, and its binary form in Redis (before sealing):
//! magic, flags, status, times, resource type, headers, body — every length checked on
//! decode, so a damaged value is dropped, never trusted.

use bytes::Bytes;

use crate::key::ResourceType;
use crate::policy::Keep;
use crate::response::{Conditional, Headers, Response, header};

/// The headers an entry keeps; everything else (`Set-Cookie`, tracing ids) is dropped.
const KEPT: [&str; 8] = [
    "content-type",
    "content-location",
    "location",
    "etag",
    "last-modified",
    "cache-control",
    "expires",
    "vary",
];

const MAGIC: &[u8; 4] = b"SFC1";
const PRIVATE: u8 = 1;
const NEGATIVE: u8 = 2;

/// A stored answer and its lifetimes (milliseconds since the epoch). Its `Debug` shows
/// the status, sizes and times, never the body or header values (patient data).
#[derive(Clone, PartialEq)]
pub struct Entry {
    pub(crate) status: u16,
    pub(crate) headers: Headers,
    pub(crate) body: Bytes,
    pub(crate) stored_at: u64,
    pub(crate) fresh_until: u64,
    pub(crate) stale_until: u64,
    pub(crate) retain_until: u64,
    pub(crate) private: bool,
    pub(crate) negative: bool,
    pub(crate) resource_type: Option<ResourceType>,
    /// Set when the memory tier drops or replaces this entry (see [`Removed`]).
    pub(crate) removed: Removed,
}

/// Whether the memory tier has dropped or replaced an entry: the threads' fronts
/// (`memo.rs`) hold entries weakly and must not serve one that was invalidated while a
/// caller still holds it. A clone is a new entry, not removed; it plays no part in
/// equality.
#[derive(Default)]
pub(crate) struct Removed(std::sync::atomic::AtomicBool);

impl Removed {
    /// Marks the entry removed.
    pub(crate) fn set(&self) {
        self.0.store(true, std::sync::atomic::Ordering::Release);
    }

    /// Whether it was.
    #[inline]
    pub(crate) fn get(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Acquire)
    }
}

impl Clone for Removed {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl PartialEq for Removed {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("status", &self.status)
            .field("body_bytes", &self.body.len())
            .field("headers", &self.headers.len())
            .field("stored_at", &self.stored_at)
            .field("fresh_until", &self.fresh_until)
            .field("stale_until", &self.stale_until)
            .field("retain_until", &self.retain_until)
            .field("private", &self.private)
            .field("negative", &self.negative)
            .field("resource_type", &self.resource_type)
            .finish()
    }
}

/// How an entry stands at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Freshness {
    Fresh,
    /// Inside the stale-while-revalidate window.
    Stale,
    /// Past it, kept only to revalidate.
    Expired,
}

impl Entry {
    /// An entry for `response`, kept as `keep` from `now`.
    pub(crate) fn new(
        response: &Response,
        keep: Keep,
        now: u64,
        resource_type: Option<ResourceType>,
    ) -> Self {
        let mut e = Self {
            status: response.status,
            headers: Vec::new(),
            body: response.body.clone(),
            stored_at: now,
            fresh_until: 0,
            stale_until: 0,
            retain_until: 0,
            private: keep.private,
            negative: keep.negative,
            resource_type,
            removed: Removed::default(),
        };
        e.keep_headers(&response.headers);
        e.set_times(keep, now);
        e
    }

    /// An answer that is not stored (the status or headers forbid it), for the caller.
    pub(crate) fn passing(response: Response) -> Self {
        Self {
            status: response.status,
            headers: response.headers,
            body: response.body,
            stored_at: 0,
            fresh_until: 0,
            stale_until: 0,
            retain_until: 0,
            private: true,
            negative: false,
            resource_type: None,
            removed: Removed::default(),
        }
    }

    fn keep_headers(&mut self, from: &[(Box<str>, Box<str>)]) {
        for (name, value) in from {
            if KEPT.contains(&name.as_ref()) {
                self.headers.retain(|(n, _)| n != name);
                self.headers.push((name.clone(), value.clone()));
            }
        }
    }

    fn set_times(&mut self, keep: Keep, now: u64) {
        self.stored_at = now;
        self.fresh_until = now.saturating_add(keep.fresh);
        self.stale_until = self.fresh_until.saturating_add(keep.swr);
        self.retain_until = self.stale_until.saturating_add(keep.retain);
    }

    /// This entry refreshed by a `304` carrying `headers` (RFC 9111 §4.3.4: the stored
    /// headers updated, the body kept), kept as `keep` from `now`.
    pub(crate) fn refreshed(&self, headers: &[(Box<str>, Box<str>)], keep: Keep, now: u64) -> Self {
        let mut e = self.clone();
        e.keep_headers(headers);
        e.private = keep.private;
        e.set_times(keep, now);
        e
    }

    pub(crate) fn freshness(&self, now: u64) -> Freshness {
        if now < self.fresh_until {
            Freshness::Fresh
        } else if now < self.stale_until {
            Freshness::Stale
        } else {
            Freshness::Expired
        }
    }

    /// The validators to revalidate with.
    pub(crate) fn conditional(&self) -> Conditional {
        Conditional {
            if_none_match: header(&self.headers, "etag").map(Into::into),
            if_modified_since: header(&self.headers, "last-modified").map(Into::into),
        }
    }

    /// Bytes held: the body and the headers, plus a fixed overhead.
    pub(crate) fn weight(&self) -> u32 {
        let headers: usize = self.headers.iter().map(|(n, v)| n.len() + v.len()).sum();
        u32::try_from(self.body.len() + headers + 128).unwrap_or(u32::MAX)
    }

    /// The binary form.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let headers: usize = self
            .headers
            .iter()
            .map(|(n, v)| n.len() + v.len() + 8)
            .sum();
        let mut out = Vec::with_capacity(64 + headers + self.body.len());
        out.extend_from_slice(MAGIC);
        out.push((u8::from(self.private) * PRIVATE) | (u8::from(self.negative) * NEGATIVE));
        out.extend_from_slice(&self.status.to_le_bytes());
        for t in [
            self.stored_at,
            self.fresh_until,
            self.stale_until,
            self.retain_until,
        ] {
            out.extend_from_slice(&t.to_le_bytes());
        }
        let rt = self
            .resource_type
            .as_ref()
            .map_or("", |t| t.as_str())
            .as_bytes();
        put(&mut out, rt);
        #[allow(
            clippy::cast_possible_truncation,
            reason = "at most the eight kept headers"
        )]
        out.extend_from_slice(&(self.headers.len() as u32).to_le_bytes());
        for (n, v) in &self.headers {
            put(&mut out, n.as_bytes());
            put(&mut out, v.as_bytes());
        }
        put(&mut out, &self.body);
        out
    }

    /// The entry back from its binary form; `None` when anything is off. The body is a
    /// slice of `bytes`, not a copy.
    pub(crate) fn decode(bytes: &Bytes) -> Option<Self> {
        let mut r = Reader(bytes);
        if r.take(4)? != MAGIC {
            return None;
        }
        let flags = r.take(1)?[0];
        let status = u16::from_le_bytes(r.take(2)?.try_into().ok()?);
        let mut times = [0u64; 4];
        for t in &mut times {
            *t = u64::from_le_bytes(r.take(8)?.try_into().ok()?);
        }
        let rt = std::str::from_utf8(r.field()?).ok()?;
        let resource_type = if rt.is_empty() {
            None
        } else {
            Some(ResourceType::new(rt)?)
        };
        let count = r.u32()?;
        if count > 64 {
            return None;
        }
        let mut headers = Vec::new();
        for _ in 0..count {
            let n = std::str::from_utf8(r.field()?).ok()?;
            let v = std::str::from_utf8(r.field()?).ok()?;
            headers.push((n.into(), v.into()));
        }
        let body = r.field()?;
        let start = bytes.len() - r.0.len() - body.len();
        let body = bytes.slice(start..start + body.len());
        if !r.0.is_empty() {
            return None;
        }
        Some(Self {
            status,
            headers,
            body,
            stored_at: times[0],
            fresh_until: times[1],
            stale_until: times[2],
            retain_until: times[3],
            private: flags & PRIVATE != 0,
            negative: flags & NEGATIVE != 0,
            resource_type,
            removed: Removed::default(),
        })
    }
}

fn put(out: &mut Vec<u8>, field: &[u8]) {
    let len = u32::try_from(field.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(field);
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Some(head)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn field(&mut self) -> Option<&'a [u8]> {
        let n = usize::try_from(self.u32()?).ok()?;
        self.take(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Entry {
        let r = Response::new(200, "{\"resourceType\":\"Bundle\"}")
            .header("Content-Type", "application/fhir+json")
            .header("ETag", "W/\"3\"")
            .header("Set-Cookie", "session=secret");
        let keep = Keep {
            fresh: 1000,
            swr: 500,
            retain: 100,
            private: false,
            negative: false,
        };
        Entry::new(&r, keep, 10, ResourceType::new("Patient"))
    }

    #[test]
    fn round_trips_and_drops_unkept_headers() {
        let e = sample();
        assert!(header(&e.headers, "set-cookie").is_none());
        assert_eq!(Entry::decode(&Bytes::from(e.encode())), Some(e.clone()));
        assert_eq!(
            (e.fresh_until, e.stale_until, e.retain_until),
            (1010, 1510, 1610)
        );
        assert_eq!(e.freshness(1009), Freshness::Fresh);
        assert_eq!(e.freshness(1010), Freshness::Stale);
        assert_eq!(e.freshness(1510), Freshness::Expired);
    }

    #[test]
    fn damaged_values_do_not_decode() {
        let bytes = Bytes::from(sample().encode());
        for cut in 0..bytes.len() {
            assert!(Entry::decode(&bytes.slice(..cut)).is_none(), "cut at {cut}");
        }
        let mut longer = bytes.to_vec();
        longer.push(0);
        assert!(Entry::decode(&Bytes::from(longer)).is_none());
        assert!(Entry::decode(&Bytes::from_static(b"garbage")).is_none());
    }
}
