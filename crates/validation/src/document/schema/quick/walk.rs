//! The walk over one value by its type: strings, numbers and literals checked with the
//! lexer's scans and the interpreter's keyword pieces; objects (members looked up in the
//! node's key table, optionally noted for the branches) and arrays (`uniqueItems` by
//! canonical hashes).

use std::cmp::Ordering;

use super::super::super::event::{Str, Token};
use super::super::super::lex_scan;
use super::super::hash;
use super::super::node::{Items, Kw, Node, types};
use super::super::number::{Decimal, Num, multiple_of};
use super::kinds::{
    MAX_DEPTH, Member, Quick, SMALL_SET, Stop, Tracking, Walk, hashed, typed, within,
};
use crate::bytes::{code_points, same_bytes};

impl<'a> Quick<'a> {
    /// The value at `*i` against `n`'s keywords other than `$ref` and the combinators.
    #[inline]
    pub(super) fn own(&mut self, i: &mut usize, n: &'a Node, hash: bool) -> Walk<u128> {
        match self.bytes.get(*i) {
            Some(b'{') => self.object(i, n, hash, false),
            Some(b'[') => self.array(i, n, hash),
            Some(b'"') => self.string_value(i, n, hash),
            Some(b'-' | b'0'..=b'9') => self.number(i, n, hash),
            Some(b't' | b'f' | b'n') => self.literal(i, n, hash),
            _ => Err(Stop::Unsure),
        }
    }

    /// The string whose opening quote is at `*i`: its body, checked as the lexer checks
    /// it, and whether it has escapes; `*i` ends after the closing quote.
    #[inline]
    pub(super) fn string(&self, i: &mut usize) -> Walk<Str<'a>> {
        let bytes: &'a [u8] = self.bytes;
        let at = &bytes[*i..];
        let (end, escaped) = match lex_scan::plain_string_end(at) {
            Some(end) => (end, false),
            None => {
                let (end, escaped) = lex_scan::string_end(at, 1);
                let end = end.map_err(|_| Stop::Unsure)?;
                lex_scan::valid_string(&at[1..end], escaped).map_err(|_| Stop::Unsure)?;
                (end, escaped)
            }
        };
        if end >= self.long_token {
            return Err(Stop::Unsure);
        }
        *i += end + 1;
        Ok(Str {
            raw: &at[1..end],
            escaped,
        })
    }

    fn string_value(&mut self, i: &mut usize, n: &Node, hash: bool) -> Walk<u128> {
        let s = self.string(i)?;
        typed(n, types::STRING)?;
        if !(hash || n.needs_hash || n.has_string) {
            return Ok(0);
        }
        let text = s.bytes();
        let mut h = None;
        // A string is in `enum` (equals `const`) when it is one of its strings.
        if n.enumeration.is_some() {
            let found = n.enum_strings.iter().find(|(e, _)| same_bytes(e, &text));
            let Some((_, known)) = found else {
                return Err(Stop::Fails);
            };
            h = Some(*known);
        }
        if n.constant.is_some() && n.const_string.as_deref() != Some(&*text) {
            return Err(Stop::Fails);
        }
        let h = match (hash, h) {
            (false, _) => 0,
            (true, Some(h)) => h,
            (true, None) => hash::string_bytes(&text),
        };
        if n.has_string {
            let len = || code_points(&text);
            let bad = n.min_length.as_ref().is_some_and(|k| len() < k.value)
                || n.max_length.as_ref().is_some_and(|k| len() > k.value)
                || n.pattern.as_ref().is_some_and(|k| !k.value.is_match(&text))
                || n.format.as_ref().is_some_and(|k| !k.value.check(&text));
            if bad {
                return Err(Stop::Fails);
            }
        }
        Ok(h)
    }

    fn number(&mut self, i: &mut usize, n: &Node, hash: bool) -> Walk<u128> {
        let rest = &self.bytes[*i..];
        let len = lex_scan::number_end(rest).unwrap_or(rest.len());
        let text = &rest[..len];
        if len >= self.long_token {
            return Err(Stop::Unsure);
        }
        *i += len;
        let parse = hash || n.needs_integer || n.needs_hash || n.has_number;
        if !parse {
            lex_scan::valid_number(text).map_err(|_| Stop::Unsure)?;
            typed(n, types::NUMBER)?;
            return Ok(0);
        }
        // Parsed, the number's grammar is checked on the way.
        let num = Num::parse(text).filter(Num::is_json).ok_or(Stop::Unsure)?;
        let kind = if n.needs_integer && num.is_integer() {
            types::NUMBER | types::INTEGER
        } else {
            types::NUMBER
        };
        typed(n, kind)?;
        let h = if hash || n.needs_hash {
            hash::number(&num, self.scratch)
        } else {
            0
        };
        if n.needs_hash {
            hashed(n, h)?;
        }
        if n.has_number {
            let cmp = |k: &Option<Kw<Decimal>>, bad: &[Ordering]| {
                k.as_ref()
                    .is_some_and(|k| bad.contains(&num.cmp_decimal(&k.value)))
            };
            let bad = cmp(&n.minimum, &[Ordering::Less])
                || cmp(&n.maximum, &[Ordering::Greater])
                || cmp(&n.exclusive_minimum, &[Ordering::Less, Ordering::Equal])
                || cmp(&n.exclusive_maximum, &[Ordering::Greater, Ordering::Equal])
                || n.multiple_of
                    .as_ref()
                    .is_some_and(|k| !multiple_of(&num, text, k.value.0, k.value.1));
            if bad {
                return Err(Stop::Fails);
            }
        }
        Ok(h)
    }

    fn literal(&mut self, i: &mut usize, n: &Node, hash: bool) -> Walk<u128> {
        let (token, len) = lex_scan::literal_at(&self.bytes[*i..]).map_err(|_| Stop::Unsure)?;
        *i += len;
        let (kind, h) = match token {
            Token::Bool(b) => (types::BOOLEAN, hash::boolean(b)),
            _ => (types::NULL, hash::null()),
        };
        typed(n, kind)?;
        if n.needs_hash {
            hashed(n, h)?;
        }
        Ok(if hash { h } else { 0 })
    }

    /// After a member or element: `,` (true) or the closing byte (false).
    #[inline]
    fn next(&self, i: &mut usize, close: u8) -> Walk<bool> {
        self.ws(i);
        match self.bytes.get(*i) {
            Some(b',') => {
                *i += 1;
                self.ws(i);
                Ok(true)
            }
            Some(&b) if b == close => {
                *i += 1;
                Ok(false)
            }
            _ => Err(Stop::Unsure),
        }
    }

    /// An object; with `note`, its members are noted (for the branches of its schema).
    pub(super) fn object(
        &mut self,
        i: &mut usize,
        n: &'a Node,
        hash: bool,
        note: bool,
    ) -> Walk<u128> {
        typed(n, types::OBJECT)?;
        let track = n.has_object;
        if track && !Self::supported(n) {
            return Err(Stop::Unsure);
        }
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Stop::Unsure);
        }
        let hashing = hash || n.needs_hash;
        let mut check = Tracking::default();
        let (mut count, mut acc) = (0u64, 0u128);
        *i += 1;
        self.ws(i);
        if self.bytes.get(*i) == Some(&b'}') {
            *i += 1;
        } else {
            loop {
                if self.bytes.get(*i) != Some(&b'"') {
                    return Err(Stop::Unsure);
                }
                let name_at = *i + 1;
                let key = self.string(i)?;
                self.ws(i);
                if self.bytes.get(*i) != Some(&b':') {
                    return Err(Stop::Unsure);
                }
                *i += 1;
                let name = key.bytes();
                let (child, name_hash) = if track {
                    check.member(n, &name)
                } else {
                    (None, None)
                };
                if note {
                    self.ws(i);
                    self.members.push(Member {
                        name: (name_at, name_at + key.raw.len()),
                        escaped: key.escaped,
                        value: *i,
                    });
                }
                let h = self.value(i, child, hashing)?;
                if hashing {
                    let name_hash = name_hash.unwrap_or_else(|| hash::string_bytes(&name));
                    acc = hash::member(acc, name_hash, h);
                }
                count += 1;
                if !self.next(i, b'}')? {
                    break;
                }
            }
        }
        self.depth -= 1;
        if track {
            check.end(n, count)?;
        }
        let h = if hashing {
            hash::container(true, acc, count)
        } else {
            0
        };
        if n.needs_hash {
            hashed(n, h)?;
        }
        Ok(h)
    }

    fn array(&mut self, i: &mut usize, n: &'a Node, hash: bool) -> Walk<u128> {
        typed(n, types::ARRAY)?;
        let child = match (&n.items, n.has_array) {
            (_, false) | (Items::Any, _) => None,
            (Items::All(c), true) => Some(*c),
            (Items::Tuple(_), true) => return Err(Stop::Unsure),
        };
        if n.has_array && n.contains.is_some() {
            return Err(Stop::Unsure);
        }
        let depth = self.depth;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Stop::Unsure);
        }
        let unique = n.has_array && n.unique_items.is_some();
        let hashing = hash || n.needs_hash;
        let (mut count, mut acc, mut dup) = (0u64, 0u128, false);
        if unique {
            if self.seen.len() <= depth {
                self.seen.resize_with(depth + 1, Vec::new);
                self.sets.resize_with(depth + 1, Default::default);
            }
            self.seen[depth].clear();
            self.sets[depth].clear();
        }
        *i += 1;
        self.ws(i);
        if self.bytes.get(*i) == Some(&b']') {
            *i += 1;
        } else {
            loop {
                let h = self.value(i, child, hashing || unique)?;
                if unique {
                    dup |= self.sighted(depth, h);
                }
                if hashing {
                    acc = hash::element(acc, h);
                }
                count += 1;
                if !self.next(i, b']')? {
                    break;
                }
            }
        }
        self.depth -= 1;
        if n.has_array {
            within(count, &n.min_items, &n.max_items)?;
            if dup {
                return Err(Stop::Fails);
            }
        }
        let h = if hashing {
            hash::container(false, acc, count)
        } else {
            0
        };
        if n.needs_hash {
            hashed(n, h)?;
        }
        Ok(h)
    }

    /// Records an element's hash in the `uniqueItems` set of `depth`; true when it was
    /// there already.
    fn sighted(&mut self, depth: usize, h: u128) -> bool {
        let seen = &mut self.seen[depth];
        if seen.len() < SMALL_SET {
            if seen.contains(&h) {
                return true;
            }
            seen.push(h);
            return false;
        }
        let set = &mut self.sets[depth];
        if set.is_empty() {
            set.extend(seen.iter().copied());
        }
        !set.insert(h)
    }
}
