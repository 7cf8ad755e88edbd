//! A value no rule reads, checked without recursion: most of a resource lies off the paths
//! the rules read, and a loop over its tokens with the open containers' kinds as one bit
//! each costs less than a call per value and per container. Same grammar, same errors at
//! the same bytes as [`value`](Scanner::value); no member names are looked up or compared
//! (a repeated name off the rules' paths is not refused, as in the recursive scan).

use super::{Kind, MAX_DEPTH, ScanError, Scanner};

impl Scanner<'_, '_> {
    /// Checks one JSON value from the current position (before any whitespace), leaving
    /// the position after it.
    pub(super) fn skip(&mut self) -> Result<(), ScanError> {
        let base = self.depth;
        // Whether the innermost open container is an object; the kinds of those around it
        // one bit each, the next outer in the lowest bit (at most 127 levels: the resource
        // itself is one).
        let mut object = false;
        let mut outer = 0u128;
        'value: loop {
            match self.peek_past_ws() {
                Some(b'"') => {
                    self.string()?;
                }
                Some(open @ (b'{' | b'[')) => {
                    self.depth += 1;
                    if self.depth > MAX_DEPTH {
                        return Err(self.err("nested more than 128 levels deep"));
                    }
                    let opened = open == b'{';
                    self.i += 1;
                    if self.peek_past_ws() == Some(if opened { b'}' } else { b']' }) {
                        self.i += 1;
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
                    self.literal(b"true", Kind::Bool)?;
                }
                Some(b'f') => {
                    self.literal(b"false", Kind::Bool)?;
                }
                Some(b'n') => {
                    self.literal(b"null", Kind::Null)?;
                }
                Some(b'-' | b'0'..=b'9') => {
                    self.number()?;
                }
                Some(_) => return Err(self.err("expected a JSON value")),
                None => return Err(self.err("the line ends where a value was expected")),
            }
            // After a value: close containers until one goes on with a comma.
            while self.depth > base {
                match self.peek_past_ws() {
                    Some(b',') => {
                        self.i += 1;
                        if object {
                            self.member_name()?;
                        }
                        continue 'value;
                    }
                    Some(b'}') if object => self.close(&mut object, &mut outer),
                    Some(b']') if !object => self.close(&mut object, &mut outer),
                    _ if object => return Err(self.err("expected ',' or '}' in an object")),
                    _ => return Err(self.err("expected ',' or ']' in an array")),
                }
            }
            return Ok(());
        }
    }

    /// Steps out of the innermost open container: the next outer one's kind is current.
    #[inline(always)]
    fn close(&mut self, object: &mut bool, outer: &mut u128) {
        self.i += 1;
        self.depth -= 1;
        *object = *outer & 1 == 1;
        *outer >>= 1;
    }

    /// A member name and its colon, from before any whitespace to after the colon.
    #[inline(always)]
    fn member_name(&mut self) -> Result<(), ScanError> {
        if self.peek_past_ws() != Some(b'"') {
            return Err(self.err("expected a member name in double quotes"));
        }
        self.string()?;
        if self.peek_past_ws() != Some(b':') {
            return Err(self.err("expected ':' after a member name"));
        }
        self.i += 1;
        Ok(())
    }
}
