//! Numbers compared exactly as written: a JSON number's significant digits and the place of
//! its decimal point, so integers of any size and decimals compare without float rounding.

use std::cmp::Ordering;

/// A JSON number's text split into its parts, borrowed from the token.
#[derive(Debug, Clone, Copy)]
pub(super) struct Num<'a> {
    neg: bool,
    int: &'a [u8],
    frac: &'a [u8],
    /// Index of the first significant digit in `int ++ frac`.
    first: usize,
    /// One past the last significant digit in `int ++ frac` (`first == last`: zero).
    last: usize,
    /// The value is `0.DIGITS × 10^point` (DIGITS the significant digits).
    point: i64,
    /// Written with a fraction or an exponent (a float to Python's `json`).
    float: bool,
}

impl<'a> Num<'a> {
    /// Splits number text checked by the lexer (RFC 8259 grammar); None on anything else.
    pub(super) fn parse(text: &'a [u8]) -> Option<Self> {
        let (neg, rest) = match text.split_first() {
            Some((b'-', rest)) => (true, rest),
            _ => (false, text),
        };
        let int_len = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if int_len == 0 {
            return None;
        }
        let int = &rest[..int_len];
        let mut rest = &rest[int_len..];
        let mut frac: &[u8] = &[];
        let mut float = false;
        if let Some((b'.', after)) = rest.split_first() {
            let len = after.iter().take_while(|b| b.is_ascii_digit()).count();
            if len == 0 {
                return None;
            }
            frac = &after[..len];
            rest = &after[len..];
            float = true;
        }
        let mut exp: i64 = 0;
        if let Some((b'e' | b'E', after)) = rest.split_first() {
            float = true;
            let (eneg, digits) = match after.split_first() {
                Some((b'-', d)) => (true, d),
                Some((b'+', d)) => (false, d),
                _ => (false, after),
            };
            if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            for d in digits {
                exp = exp.saturating_mul(10).saturating_add(i64::from(d - b'0'));
            }
            if eneg {
                exp = -exp;
            }
        } else if !rest.is_empty() {
            return None;
        }
        let total = int.len() + frac.len();
        let nonzero = |d: &u8| *d != b'0';
        let first = int
            .iter()
            .position(nonzero)
            .or_else(|| frac.iter().position(nonzero).map(|p| int.len() + p))
            .unwrap_or(total);
        let last = frac
            .iter()
            .rposition(nonzero)
            .map(|p| int.len() + p + 1)
            .or_else(|| int.iter().rposition(nonzero).map(|p| p + 1))
            .unwrap_or(first);
        let point = (int.len() as i64)
            .saturating_add(exp)
            .saturating_sub(first as i64);
        Some(Self {
            neg,
            int,
            frac,
            first,
            last,
            point,
            float,
        })
    }

    /// False for an integer part with a leading zero (`01`): the one thing [`parse`](Self::parse)
    /// accepts that RFC 8259's grammar does not.
    pub(super) fn is_json(&self) -> bool {
        !(self.int.len() > 1 && self.int[0] == b'0')
    }

    /// The significant digits, most significant first.
    pub(super) fn digits(&self) -> impl Iterator<Item = u8> + '_ {
        let (int, frac) = self.digit_runs();
        int.iter().chain(frac).copied()
    }

    /// The significant digits as the runs of them in the integer part and the fraction.
    fn digit_runs(&self) -> (&'a [u8], &'a [u8]) {
        let n = self.int.len();
        let int = self
            .int
            .get(self.first.min(n)..self.last.min(n))
            .unwrap_or_default();
        let frac = self
            .frac
            .get(self.first.max(n) - n..self.last.max(n) - n)
            .unwrap_or_default();
        (int, frac)
    }

    pub(super) fn is_zero(&self) -> bool {
        self.first == self.last
    }

    /// True when the value has no fractional part (`1.0`, `1e2` are integers).
    pub(super) fn is_integer(&self) -> bool {
        self.is_zero() || self.point >= (self.last - self.first) as i64
    }

    /// Written as a Python `float` would be parsed (with `.` or an exponent).
    pub(super) fn is_float_text(&self) -> bool {
        self.float
    }

    /// Negative and not zero.
    pub(super) fn negative(&self) -> bool {
        self.neg && !self.is_zero()
    }

    /// The canonical form hashed for equality: sign, point, significant digits.
    pub(super) fn canonical(&self, out: &mut Vec<u8>) {
        if self.is_zero() {
            out.push(b'0');
            return;
        }
        out.push(if self.neg { b'-' } else { b'+' });
        out.extend_from_slice(&self.point.to_le_bytes());
        let (int, frac) = self.digit_runs();
        out.extend_from_slice(int);
        out.extend_from_slice(frac);
    }

    /// The value as the nearest f64 (for `multipleOf`).
    pub(super) fn as_f64(text: &[u8]) -> f64 {
        std::str::from_utf8(text)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(f64::NAN)
    }

    /// Compares with a compiled bound exactly.
    pub(super) fn cmp_decimal(&self, other: &Decimal) -> Ordering {
        let a_neg = self.negative();
        let b_neg = other.neg && !other.digits.is_empty();
        match (self.is_zero(), other.digits.is_empty()) {
            (true, true) => return Ordering::Equal,
            (true, false) => {
                return if b_neg {
                    Ordering::Greater
                } else {
                    Ordering::Less
                };
            }
            (false, true) => {
                return if a_neg {
                    Ordering::Less
                } else {
                    Ordering::Greater
                };
            }
            (false, false) => {}
        }
        if a_neg != b_neg {
            return if a_neg {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        let magnitude = self
            .point
            .cmp(&other.point)
            .then_with(|| self.digits().cmp(other.digits.iter().copied()));
        if a_neg {
            magnitude.reverse()
        } else {
            magnitude
        }
    }
}

/// A number from the schema (a bound), owned.
#[derive(Debug, Clone)]
pub(super) struct Decimal {
    neg: bool,
    point: i64,
    digits: Vec<u8>,
}

impl Decimal {
    /// Parses number text; None when it is not a JSON number.
    pub(super) fn parse(text: &str) -> Option<Self> {
        let num = Num::parse(text.as_bytes())?;
        Some(Self {
            neg: num.negative(),
            point: num.point,
            digits: num.digits().collect(),
        })
    }
}

/// Python's `multipleOf`: float division for a float divisor, `%` otherwise.
pub(super) fn multiple_of(num: &Num<'_>, text: &[u8], divisor: f64, integer: bool) -> bool {
    let x = Num::as_f64(text);
    if integer
        && !num.is_float_text()
        && let (Ok(a), Ok(d)) = (
            std::str::from_utf8(text).unwrap_or("x").parse::<i128>(),
            format!("{divisor:.0}").parse::<i128>(),
        )
        && d != 0
    {
        return a % d == 0;
    }
    if integer {
        return x % divisor == 0.0;
    }
    let q = x / divisor;
    if q.is_finite() {
        return q.trunc() == q;
    }
    // Python falls back to exact fractions when the quotient overflows.
    match (odd_mantissa(x), odd_mantissa(divisor)) {
        (Some((a, e1)), Some((b, e2))) => a % b == 0 && e1 >= e2,
        _ => false,
    }
}

/// A finite non-zero f64 as `m × 2^e` with `m` odd.
fn odd_mantissa(x: f64) -> Option<(u64, i32)> {
    if !x.is_finite() || x == 0.0 {
        return None;
    }
    let bits = x.abs().to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    let (m, e) = if exp == 0 {
        (bits & ((1 << 52) - 1), -1074)
    } else {
        ((bits & ((1 << 52) - 1)) | (1 << 52), exp - 1075)
    };
    let shift = m.trailing_zeros();
    Some((m >> shift, e + shift as i32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_with_is_json_is_the_number_grammar() {
        // Every string of up to five bytes over the grammar's alphabet.
        let alphabet = b"-+.eE019";
        let mut checked = 0;
        for len in 1..=5u32 {
            for code in 0..alphabet.len().pow(len) {
                let mut c = code;
                let text: Vec<u8> = (0..len)
                    .map(|_| {
                        let b = alphabet[c % alphabet.len()];
                        c /= alphabet.len();
                        b
                    })
                    .collect();
                let ours = Num::parse(&text).filter(Num::is_json).is_some();
                let grammar = crate::document::lex_scan::valid_number(&text).is_ok();
                assert_eq!(ours, grammar, "{}", String::from_utf8_lossy(&text));
                checked += 1;
            }
        }
        assert!(checked > 30_000);
    }

    fn cmp(a: &str, b: &str) -> Ordering {
        Num::parse(a.as_bytes())
            .unwrap()
            .cmp_decimal(&Decimal::parse(b).unwrap())
    }

    #[test]
    fn compares_exactly() {
        assert_eq!(cmp("1", "1.0"), Ordering::Equal);
        assert_eq!(cmp("10e-1", "1"), Ordering::Equal);
        assert_eq!(cmp("-0", "0"), Ordering::Equal);
        assert_eq!(cmp("0.1", "0.10000000000000001"), Ordering::Less);
        assert_eq!(cmp("99999999999999999999999", "1e22"), Ordering::Greater);
        assert_eq!(cmp("-2", "-1.5"), Ordering::Less);
        assert_eq!(cmp("-1", "0"), Ordering::Less);
        assert_eq!(cmp("0.001", "0"), Ordering::Greater);
        assert_eq!(cmp("9999999999", "9999999999"), Ordering::Equal);
        assert_eq!(cmp("10000000000", "9999999999"), Ordering::Greater);
    }

    #[test]
    fn integers() {
        for (text, int) in [
            ("1", true),
            ("1.0", true),
            ("1.5", false),
            ("1.5e1", true),
            ("0.0", true),
            ("1e-1", false),
            ("-100", true),
        ] {
            assert_eq!(
                Num::parse(text.as_bytes()).unwrap().is_integer(),
                int,
                "{text}"
            );
        }
    }
}
