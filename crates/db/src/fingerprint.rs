//! [`fingerprint`]: a SQL statement with every value taken out — string, numeric, bit and
//! dollar-quoted literals and `$n` parameters become `?`, `IN (…)` lists, `ARRAY[…]` and
//! repeated `VALUES` rows collapse, comments go and whitespace and case are normalised — so
//! one statement run with different values is one fingerprint, and no value can ever reach
//! a label, a log line or a file through it.
//!
//! The lexer follows PostgreSQL's (`scan.l`): `''` and `E'\''` escapes, nested `/* */`
//! comments, `$tag$` quoting, `U&`/`B`/`X`/`N` prefixes. Anything it cannot close (an
//! unterminated string, quoted identifier or comment) is swallowed whole as one `?`: a
//! malformed statement loses its tail, never leaks it.

use std::fmt;

/// How long a fingerprint's text may grow; longer ones end in `…` (the id still covers it all).
pub const MAX_TEXT: usize = 2048;

/// The text of the statement every fingerprint past [`DbObserverBuilder::max_statements`](crate::DbObserverBuilder::max_statements)
/// is counted under.
pub const OTHER_STATEMENTS: &str = "[other statements]";

/// A statement's fingerprint: the normalised text and its stable 64-bit id (xxh3 of the
/// text), the same in every process and release.
///
/// ```
/// use steadfast_db::fingerprint;
/// let a = fingerprint("SELECT * FROM patient WHERE mrn = 'PATIENT-SECRET-4711' -- lookup");
/// let b = fingerprint("select *\n  from patient where mrn = $1");
/// assert_eq!(a, b);
/// assert_eq!(a.text(), "select * from patient where mrn = ?");
/// assert_eq!(a.id_hex().len(), 16);
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint {
    id: u64,
    text: Box<str>,
}

impl Fingerprint {
    /// The id: a hash of [`text`](Self::text).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The id as 16 lowercase hex digits: the `statement` label and the profile's key.
    pub fn id_hex(&self) -> String {
        format!("{:016x}", self.id)
    }

    /// The entry every statement past an observer's limit is counted under.
    pub(crate) fn other() -> Self {
        let text = OTHER_STATEMENTS;
        Self {
            id: xxhash_rust::xxh3::xxh3_64(text.as_bytes()),
            text: text.into(),
        }
    }

    /// The normalised statement, values replaced by `?`.
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({:016x}, {:?})", self.id, self.text)
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

mod lex;
mod shape;

use lex::lex;
use shape::{collapse, mask_settings, render};

/// The fingerprint of `sql` (see the module docs for what is replaced).
///
/// ```
/// use steadfast_db::fingerprint;
/// assert_eq!(
///     fingerprint("SELECT id FROM t WHERE id IN (1, 2, 3) AND x > -4.5e3").text(),
///     "select id from t where id in (...) and x > ?"
/// );
/// ```
pub fn fingerprint(sql: &str) -> Fingerprint {
    let tokens = collapse(mask_settings(lex(sql)));
    let mut text = render(&tokens);
    let id = xxhash_rust::xxh3::xxh3_64(text.as_bytes());
    if text.len() > MAX_TEXT {
        let mut cut = MAX_TEXT;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    Fingerprint {
        id,
        text: text.into_boxed_str(),
    }
}

#[cfg(test)]
mod tests;
