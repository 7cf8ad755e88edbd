//! A value no rule reads, checked without recursion: most of a resource lies off the paths
//! the rules read, and a loop over its tokens with the open containers' kinds as one bit
//! each costs less than a call per value and per container. Same grammar, same errors at
//! the same bytes as the path scanner (`on_path`); no member names are looked up or compared
//! (a repeated name off the rules' paths is not refused, as in the recursive scan).

use super::cursor::Cursor;
use super::{MAX_DEPTH, ScanError};

/// Checks one JSON value from `at` (before any whitespace), `depth` containers deep;
/// returns the position after it. The cursor is
/// a local copy, so the loop keeps the position in a register.
#[inline(never)]
pub(super) fn skip(at: Cursor<'_>, depth: u32) -> Result<usize, ScanError> {
    let mut c = Skip { c: at, depth };
    c.value()?;
    Ok(c.c.i)
}

/// The loop's state: the cursor and the depth of the innermost open container.
struct Skip<'a> {
    c: Cursor<'a>,
    depth: u32,
}

impl Skip<'_> {
    #[inline(always)]
    fn value(&mut self) -> Result<(), ScanError> {
        let base = self.depth;
        // Whether the innermost open container is an object; the kinds of those around it
        // one bit each, the next outer in the lowest bit (at most 127 levels: the resource
        // itself is one).
        let mut object = false;
        let mut outer = 0u128;
        'value: loop {
            let first = self.c.peek_past_ws();
            // A string, the most common value, is tested before the jump table.
            if first == Some(b'"') {
                self.c.string()?;
            } else {
                match first {
                    Some(open @ (b'{' | b'[')) => {
                        self.depth += 1;
                        if self.depth > MAX_DEPTH {
                            return Err(self.c.err("nested more than 128 levels deep"));
                        }
                        let opened = open == b'{';
                        self.c.i += 1;
                        if self.c.peek_past_ws() == Some(if opened { b'}' } else { b']' }) {
                            self.c.i += 1;
                            self.depth -= 1;
                        } else {
                            outer = (outer << 1) | u128::from(object);
                            object = opened;
                            if object {
                                self.member_name()?;
                            }
                            continue 'value;
                        }
                    }
                    Some(b't') => {
                        self.c.literal(b"true")?;
                    }
                    Some(b'f') => {
                        self.c.literal(b"false")?;
                    }
                    Some(b'n') => {
                        self.c.literal(b"null")?;
                    }
                    Some(b'-' | b'0'..=b'9') => {
                        self.c.number()?;
                    }
                    Some(_) => return Err(self.c.err("expected a JSON value")),
                    None => return Err(self.c.err("the line ends where a value was expected")),
                }
            }
            // After a value: close containers until one goes on with a comma.
            while self.depth > base {
                match self.c.peek_past_ws() {
                    Some(b',') => {
                        self.c.i += 1;
                        if object {
                            self.member_name()?;
                        }
                        continue 'value;
                    }
                    Some(b'}') if object => self.close(&mut object, &mut outer),
                    Some(b']') if !object => self.close(&mut object, &mut outer),
                    _ if object => return Err(self.c.err("expected ',' or '}' in an object")),
                    _ => return Err(self.c.err("expected ',' or ']' in an array")),
                }
            }
            return Ok(());
        }
    }

    /// Steps out of the innermost open container: the next outer one's kind is current.
    #[inline(always)]
    fn close(&mut self, object: &mut bool, outer: &mut u128) {
        self.c.i += 1;
        self.depth -= 1;
        *object = *outer & 1 == 1;
        *outer >>= 1;
    }

    /// A member name and its colon, from before any whitespace to after the colon.
    #[inline(always)]
    fn member_name(&mut self) -> Result<(), ScanError> {
        if self.c.peek_past_ws() != Some(b'"') {
            return Err(self.c.err("expected a member name in double quotes"));
        }
        self.c.string()?;
        if self.c.peek_past_ws() != Some(b':') {
            return Err(self.c.err("expected ':' after a member name"));
        }
        self.c.i += 1;
        Ok(())
    }
}
