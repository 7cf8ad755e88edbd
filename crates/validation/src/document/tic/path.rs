//! Where a token of a record stands: a small stack of open containers, each with the member
//! name it is at (one of the names the checks know, or `Other`) or the index it is at. It
//! reuses its storage, so following a record allocates nothing per token.

use std::fmt::Write as _;

use crate::document::event::Str;

/// The member names the price-transparency checks look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    /// A name no check looks at.
    Other,
    BillingCodeType,
    BillingCodeTypeVersion,
    BillingCode,
    NegotiationArrangement,
    SeverityOfIllness,
    NegotiatedRates,
    ProviderReferences,
    NegotiatedPrices,
    NegotiatedRate,
    NegotiatedType,
    ExpirationDate,
    ProviderGroupId,
    ProviderGroups,
    Location,
    Npi,
    CoveredServices,
    BundledCodes,
    AllowedAmounts,
    Payments,
    Providers,
}

/// Every known name with its spelling, for matching and for JSON Pointers.
const NAMES: [(Key, &str); 20] = [
    (Key::BillingCodeType, "billing_code_type"),
    (Key::BillingCodeTypeVersion, "billing_code_type_version"),
    (Key::BillingCode, "billing_code"),
    (Key::NegotiationArrangement, "negotiation_arrangement"),
    (Key::SeverityOfIllness, "severity_of_illness"),
    (Key::NegotiatedRates, "negotiated_rates"),
    (Key::ProviderReferences, "provider_references"),
    (Key::NegotiatedPrices, "negotiated_prices"),
    (Key::NegotiatedRate, "negotiated_rate"),
    (Key::NegotiatedType, "negotiated_type"),
    (Key::ExpirationDate, "expiration_date"),
    (Key::ProviderGroupId, "provider_group_id"),
    (Key::ProviderGroups, "provider_groups"),
    (Key::Location, "location"),
    (Key::Npi, "npi"),
    (Key::CoveredServices, "covered_services"),
    (Key::BundledCodes, "bundled_codes"),
    (Key::AllowedAmounts, "allowed_amounts"),
    (Key::Payments, "payments"),
    (Key::Providers, "providers"),
];

impl Key {
    /// The key a member name stands for (escapes decoded first, which is rare).
    pub(crate) fn of(name: &Str<'_>) -> Self {
        if name.escaped {
            return Self::of_bytes(name.decoded().as_bytes());
        }
        Self::of_bytes(name.raw)
    }

    fn of_bytes(raw: &[u8]) -> Self {
        // Every known name is snake_case ASCII of 3 to 25 bytes; most keys of a record are
        // known ones, so a linear look-up over twenty short names is fast enough.
        if raw.len() < 3 || raw.len() > 25 {
            return Self::Other;
        }
        NAMES
            .iter()
            .find(|(_, n)| n.as_bytes() == raw)
            .map_or(Self::Other, |(k, _)| *k)
    }

    /// The member name as written in a document.
    pub(crate) fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(k, _)| *k == self)
            .map_or("~", |(_, n)| n)
    }
}

/// One open container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Frame {
    /// An object (else an array).
    pub(crate) object: bool,
    /// An object's current member.
    pub(crate) key: Key,
    /// An array's current element.
    pub(crate) index: u64,
}

impl Frame {
    /// An object frame at member `key`.
    pub(crate) fn is_at(&self, key: Key) -> bool {
        self.object && self.key == key
    }
    /// An array frame.
    pub(crate) fn is_array(&self) -> bool {
        !self.object
    }
}

/// The open containers of the current record, outermost first.
#[derive(Debug, Default)]
pub(crate) struct PathStack {
    frames: Vec<Frame>,
}

impl PathStack {
    /// A new record starts.
    pub(crate) fn clear(&mut self) {
        self.frames.clear();
    }

    /// The open containers: the path of the next value.
    pub(crate) fn frames(&self) -> &[Frame] {
        &self.frames
    }

    /// A member name: the next value is that member of the innermost object.
    pub(crate) fn key(&mut self, key: Key) {
        if let Some(top) = self.frames.last_mut() {
            top.key = key;
        }
    }

    /// A container opens (after its own path was looked at).
    pub(crate) fn open(&mut self, object: bool) {
        self.frames.push(Frame {
            object,
            key: Key::Other,
            index: 0,
        });
    }

    /// A container closes; the path is then the container's own (until [`done`](Self::done)).
    pub(crate) fn close(&mut self) {
        self.frames.pop();
    }

    /// A value is complete: an enclosing array moves to its next element.
    pub(crate) fn done(&mut self) {
        if let Some(top) = self.frames.last_mut()
            && !top.object
        {
            top.index += 1;
        }
    }

    /// Writes the JSON Pointer of the first `depth` frames' current positions after `root`
    /// (the record's pointer) into `out`.
    pub(crate) fn pointer(&self, root: &str, depth: usize, out: &mut String) {
        out.clear();
        out.push_str(root);
        for f in self.frames.iter().take(depth) {
            if f.object {
                out.push('/');
                out.push_str(f.key.name());
            } else {
                let _ = write!(out, "/{}", f.index);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_their_names_and_back() {
        for (k, n) in NAMES {
            let s = Str {
                raw: n.as_bytes(),
                escaped: false,
            };
            assert_eq!(Key::of(&s), k);
            assert_eq!(k.name(), n);
        }
        let escaped = Str {
            raw: br"\u006epi",
            escaped: true,
        };
        assert_eq!(Key::of(&escaped), Key::Npi);
        let other = Str {
            raw: b"plan_name",
            escaped: false,
        };
        assert_eq!(Key::of(&other), Key::Other);
    }

    #[test]
    fn pointer_follows_objects_and_arrays() {
        let mut p = PathStack::default();
        p.open(true);
        p.key(Key::NegotiatedRates);
        p.open(false);
        p.done();
        p.done();
        p.open(true);
        p.key(Key::NegotiatedRate);
        let mut out = String::new();
        p.pointer("/in_network/3", 4, &mut out);
        assert_eq!(out, "/in_network/3/negotiated_rates/2/negotiated_rate");
    }
}
