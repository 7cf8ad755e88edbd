//! The paths the rules read, as a trie of member names and array indexes: each path's
//! last node holds its slot in the capture array. A member name is matched against a
//! node's keys by a tag (length, first and last byte) looked up in 64 buckets, and
//! compared byte for byte only when the tags agree.

use super::super::path::{FieldPath, Segment};
use crate::bytes::same_bytes as bytes_equal;

#[derive(Debug)]
pub(super) struct Node {
    pub(super) keys: Vec<(Box<[u8]>, u32)>,
    /// Each key's [`tag`], in the order of `keys`: a member name is compared only with
    /// the keys whose tag it shares.
    tags: Vec<u32>,
    /// By a tag's [`bucket`]: 0 when no key has it, the key's index + 1 when one does,
    /// [`SHARED`] when several do (then `tags` is searched).
    buckets: [u8; 64],
    pub(super) indexes: Vec<(u32, u32)>,
    pub(super) slot: Option<u16>,
}

/// The paths to capture, as a trie; each path has a slot in the capture array.
#[derive(Debug)]
pub(crate) struct Paths {
    pub(super) nodes: Vec<Node>,
    paths: Vec<FieldPath>,
}

impl Paths {
    pub(crate) fn new() -> Self {
        Self {
            nodes: vec![Node::default()],
            paths: Vec::new(),
        }
    }

    /// The slot of `path`, adding it when new.
    pub(crate) fn slot(&mut self, path: &FieldPath) -> u16 {
        if let Some(i) = self.paths.iter().position(|p| p == path) {
            return u16::try_from(i).unwrap_or(u16::MAX);
        }
        let mut node = 0usize;
        for segment in &path.segments {
            let next = match segment {
                Segment::Key(k) => self.nodes[node]
                    .keys
                    .iter()
                    .find(|(name, _)| **name == *k.as_bytes())
                    .map(|&(_, n)| n),
                Segment::Index(i) => self.nodes[node]
                    .indexes
                    .iter()
                    .find(|(at, _)| at == i)
                    .map(|&(_, n)| n),
            };
            node = match next {
                Some(n) => n as usize,
                None => {
                    let n = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
                    self.nodes.push(Node::default());
                    match segment {
                        Segment::Key(k) => self.nodes[node].add_key(k.as_bytes(), n),
                        Segment::Index(i) => self.nodes[node].indexes.push((*i, n)),
                    }
                    n as usize
                }
            };
        }
        let slot = u16::try_from(self.paths.len()).unwrap_or(u16::MAX);
        self.nodes[node].slot = Some(slot);
        self.paths.push(path.clone());
        slot
    }

    pub(crate) fn len(&self) -> usize {
        self.paths.len()
    }
}

/// A member name's length, first and last byte in one number: two names with different
/// tags differ.
#[inline]
#[allow(
    clippy::cast_possible_truncation,
    reason = "the length's low byte is all a tag keeps"
)]
pub(super) fn tag(name: &[u8]) -> u32 {
    let len = name.len() as u32 & 0xff;
    let first = name.first().copied().map_or(0, u32::from);
    let last = name.last().copied().map_or(0, u32::from);
    len | (first << 8) | (last << 16)
}

/// One of 64 buckets for a tag (multiplicative hashing: the top six bits of the product).
#[inline]
pub(super) fn bucket(tag: u32) -> usize {
    (tag.wrapping_mul(0x9E37_79B1) >> 26) as usize
}

/// In [`Node::buckets`]: more than one key, or a key past index 253, has this bucket.
const SHARED: u8 = u8::MAX;

impl Default for Node {
    fn default() -> Self {
        Self {
            keys: Vec::new(),
            tags: Vec::new(),
            buckets: [0; 64],
            indexes: Vec::new(),
            slot: None,
        }
    }
}

impl Node {
    fn add_key(&mut self, name: &[u8], child: u32) {
        let (tag, at) = (tag(name), self.keys.len());
        let b = &mut self.buckets[bucket(tag)];
        *b = match u8::try_from(at + 1) {
            Ok(index) if *b == 0 && index < SHARED => index,
            _ => SHARED,
        };
        self.keys.push((name.into(), child));
        self.tags.push(tag);
    }

    /// The index of the key `name` (whose [`tag`] is `tag`), if the node has it.
    #[inline(always)]
    pub(super) fn find(&self, name: &[u8], tag: u32) -> Option<usize> {
        match self.buckets[bucket(tag)] {
            0 => None,
            SHARED => (0..self.tags.len())
                .find(|&at| self.tags[at] == tag && bytes_equal(&self.keys[at].0, name)),
            index => {
                let at = usize::from(index - 1);
                (self.tags[at] == tag && bytes_equal(&self.keys[at].0, name)).then_some(at)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Node, tag};

    /// Every key is found and nothing else, whether its bucket is its own, shared with
    /// keys of the same tag (`a0z`, `a1z`, …), or past the 253 keys a bucket can name.
    #[test]
    fn a_node_finds_exactly_its_keys() {
        let mut node = Node::default();
        let names: Vec<String> = (0..300)
            .map(|i| match i % 3 {
                0 => format!("a{i}z"),
                1 => format!("k{i}"),
                _ => format!("name{i}"),
            })
            .collect();
        for (i, name) in names.iter().enumerate() {
            node.add_key(name.as_bytes(), u32::try_from(i).unwrap());
        }
        for (i, name) in names.iter().enumerate() {
            let found = node.find(name.as_bytes(), tag(name.as_bytes()));
            assert_eq!(found, Some(i), "{name}");
        }
        for absent in ["a", "a9999z", "k", "name", "", "zzz", "k1x"] {
            assert_eq!(
                node.find(absent.as_bytes(), tag(absent.as_bytes())),
                None,
                "{absent}"
            );
        }
    }
}
