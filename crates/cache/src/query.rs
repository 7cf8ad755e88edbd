//! A request's query parameters: split in one pass over the query's bytes and sorted in
//! place, on the stack for up to [`STACK_PARAMS`] parameters (a heap buffer beyond) — the
//! part of a key that costs most, on every hit.

/// The most query parameters kept on the stack; more are sorted in a heap buffer.
const STACK_PARAMS: usize = 16;

/// Up to this many parameters are sorted by insertion (queries are short and often nearly
/// in order); more by the standard library's sort.
const INSERTION_SORT_MAX: usize = 24;

/// The parameters of one query, `_format` taken out and `_pretty` dropped.
pub(crate) struct Params<'a> {
    stack: [(&'a str, &'a str); STACK_PARAMS],
    heap: Vec<(&'a str, &'a str)>,
    n: usize,
    /// The last `_format` value, if any.
    pub(crate) format: Option<&'a str>,
}

impl<'a> Params<'a> {
    /// Splits `query` (without its `?`, up to a `#` that starts the fragment) at `&` and
    /// each pair at its first `=`; empty pairs are skipped.
    pub(crate) fn parse(query: &'a str) -> Self {
        let mut params = Self {
            stack: [("", ""); STACK_PARAMS],
            heap: Vec::new(),
            n: 0,
            format: None,
        };
        let bytes = query.as_bytes();
        let (mut start, mut eq) = (0, None);
        for i in 0..=bytes.len() {
            let c = bytes.get(i).copied();
            match c {
                Some(b'=') if eq.is_none() => eq = Some(i),
                Some(b'&' | b'#') | None => {
                    if i > start {
                        // `&` and `=` are ASCII: every cut is on a character boundary.
                        let pair = match eq {
                            Some(e) => (query.get(start..e), query.get(e + 1..i)),
                            None => (query.get(start..i), Some("")),
                        };
                        if let (Some(name), Some(value)) = pair {
                            params.push(name, value);
                        }
                    }
                    if c == Some(b'#') {
                        break;
                    }
                    start = i + 1;
                    eq = None;
                }
                Some(_) => {}
            }
        }
        params
    }

    fn push(&mut self, name: &'a str, value: &'a str) {
        match name {
            "_format" => self.format = Some(value),
            "_pretty" => {}
            _ => match self.stack.get_mut(self.n) {
                Some(slot) if self.heap.is_empty() => {
                    *slot = (name, value);
                    self.n += 1;
                }
                _ => {
                    if self.heap.is_empty() {
                        self.heap.extend_from_slice(&self.stack);
                    }
                    self.heap.push((name, value));
                }
            },
        }
    }

    /// The parameters sorted by name, then value.
    pub(crate) fn sorted(&mut self) -> &[(&'a str, &'a str)] {
        let params: &mut [(&str, &str)] = if self.heap.is_empty() {
            &mut self.stack[..self.n]
        } else {
            &mut self.heap
        };
        if params.len() <= INSERTION_SORT_MAX {
            for i in 1..params.len() {
                let mut j = i;
                while j > 0 && less(params[j], params[j - 1]) {
                    params.swap(j, j - 1);
                    j -= 1;
                }
            }
        } else {
            params.sort_unstable();
        }
        params
    }
}

/// `a < b` by name then value, deciding on the names' first bytes when they differ (the
/// usual case: no call into the C library's `memcmp`).
#[inline]
fn less(a: (&str, &str), b: (&str, &str)) -> bool {
    match (a.0.as_bytes().first(), b.0.as_bytes().first()) {
        (Some(x), Some(y)) if x != y => x < y,
        _ => a < b,
    }
}

#[cfg(test)]
mod tests {
    use super::Params;

    fn sorted(query: &str) -> (Vec<(String, String)>, Option<String>) {
        let mut p = Params::parse(query);
        let format = p.format.map(str::to_owned);
        let pairs = p
            .sorted()
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        (pairs, format)
    }

    #[test]
    fn pairs_split_at_the_first_equals_and_sort_by_name_then_value() {
        let (pairs, format) = sorted("b=2&&a=x=y&_pretty=true&flag&a=1&_format=xml&=v#c=3&d");
        let want = [
            ("", "v"),
            ("a", "1"),
            ("a", "x=y"),
            ("b", "2"),
            ("flag", ""),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        assert_eq!(pairs, want);
        assert_eq!(format.as_deref(), Some("xml"));
        assert_eq!(sorted(""), (Vec::new(), None));
    }

    #[test]
    fn many_parameters_spill_to_the_heap_and_still_sort() {
        let forward: Vec<String> = (0..40).map(|i| format!("p{i:02}={i}")).collect();
        let mut backward = forward.clone();
        backward.reverse();
        let (a, _) = sorted(&forward.join("&"));
        let (b, _) = sorted(&backward.join("&"));
        assert_eq!(a.len(), 40);
        assert_eq!(a, b);
        assert!(a.windows(2).all(|w| w[0] <= w[1]));
    }
}
