//! What one object of a resource held, tracked while it is walked: which elements had
//! values or `_` extensions, `null`s, the type a choice element took, and the lengths of
//! repeating primitives' arrays.

/// The most choice elements one object type has.
pub(super) const MAX_CHOICES: usize = 16;

/// Repeating primitive elements per object whose arrays' lengths are compared (an R4
/// object has at most a few: `HumanName` has `given`, `prefix`, `suffix`).
const MAX_ALIGNED: usize = 8;

/// Per-object presence of elements.
#[derive(Default)]
pub(super) struct Seen {
    pub(super) values: u64,
    pub(super) exts: u64,
    pub(super) nulls: u64,
    pub(super) chosen: [Option<&'static str>; MAX_CHOICES],
    /// Array lengths of repeating primitives (`given`) and of their `_given`, by slot
    /// (`u32::MAX`: not given): both given, they must be equal (R4 JSON: `null` fills a
    /// gap so that entries align).
    lens: [(u8, u32, u32); MAX_ALIGNED],
    aligned: u8,
}

impl Seen {
    /// Records that slot `slot`'s values (`ext` false) or `_` entries number `n`.
    pub(super) fn length(&mut self, slot: u8, ext: bool, n: u32) {
        let used = usize::from(self.aligned);
        let at = match self.lens[..used].iter().position(|l| l.0 == slot) {
            Some(at) => at,
            None if used < MAX_ALIGNED => {
                self.lens[used] = (slot, u32::MAX, u32::MAX);
                self.aligned += 1;
                used
            }
            None => return,
        };
        if ext {
            self.lens[at].2 = n;
        } else {
            self.lens[at].1 = n;
        }
    }

    /// The slots whose values and `_` entries both came as arrays of different lengths,
    /// with the two lengths.
    pub(super) fn misaligned(&self) -> impl Iterator<Item = (u8, u32, u32)> + '_ {
        self.lens[..usize::from(self.aligned)]
            .iter()
            .copied()
            .filter(|&(_, values, exts)| values != u32::MAX && exts != u32::MAX && values != exts)
    }
}
