//! Configuration problems: each one located (file:line:col, environment variable or flag)
//! and worded like rustc, collected so a user sees all of them at once.

use std::fmt;
use std::time::Duration;

use super::node::Origin;

/// One thing wrong with a configuration, and where it was written.
///
/// Displays like a compiler diagnostic:
/// `configs/steadfast.toml:12:1: unknown key 'row_count_treshold' in [validation]; did you
/// mean 'row_count_threshold'?`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where the offending key or value was written.
    pub origin: Origin,
    /// The key path (`validation.rules[2].min`), when the problem is about one key.
    pub path: Option<String>,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl Problem {
    pub(crate) fn new(origin: Origin, message: impl Into<String>) -> Self {
        Self {
            origin,
            path: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.origin.layer {
            super::Layer::Default => f.write_str(&self.message),
            _ => write!(f, "{}: {}", self.origin, self.message),
        }
    }
}

/// Every problem found while loading a configuration (never empty).
///
/// Displays one problem per line, in the order of the sources.
///
/// ```
/// use steadfast_core::config::Loader;
///
/// #[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
/// #[serde(default, deny_unknown_fields)]
/// struct Section { ratio: f64 }
/// impl steadfast_core::config::Config for Section {}
///
/// let err = Loader::new()
///     .toml_str("inline.toml", "[demo]\nratoi = 0.9\n")
///     .load_section::<Section>("demo")
///     .unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "inline.toml:2:1: unknown key 'ratoi' in [demo]; did you mean 'ratio'?"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    problems: Vec<Problem>,
}

impl ConfigError {
    pub(crate) fn new(mut problems: Vec<Problem>) -> Self {
        problems.sort_by(|a, b| {
            (
                a.origin.layer,
                &a.origin.source,
                a.origin.line,
                a.origin.column,
            )
                .cmp(&(
                    b.origin.layer,
                    &b.origin.source,
                    b.origin.line,
                    b.origin.column,
                ))
        });
        problems.dedup();
        Self { problems }
    }

    /// The problems, ordered by layer, source and position.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// Where a config's own checks report what types cannot say: ranges and combinations.
///
/// Paths are relative to the section being checked (`row_count_threshold`,
/// `rules[2].min`); the loader turns each into the place it was written.
///
/// ```
/// use steadfast_core::config::Problems;
///
/// let mut problems = Problems::default();
/// problems.ratio("row_count_threshold", 1.5);
/// problems.ratio("error_rate", 0.1);
/// assert_eq!(problems.len(), 1);
/// ```
#[derive(Debug, Default)]
pub struct Problems {
    pub(crate) items: Vec<(String, String)>,
    prefix: String,
}

impl Problems {
    /// Reports `message` about the key at `path`.
    pub fn error(&mut self, path: &str, message: impl Into<String>) {
        self.items.push((self.full(path), message.into()));
    }

    /// Checks that `value` is a ratio in `[0, 1]`.
    pub fn ratio(&mut self, path: &str, value: f64) {
        if !(0.0..=1.0).contains(&value) {
            self.error(
                path,
                format!("{value} is out of range for {}: expected a ratio between 0 and 1 (0.95 means 95%)", leaf(path)),
            );
        }
    }

    /// Checks that `value` is a finite number greater than zero.
    pub fn positive(&mut self, path: &str, value: f64) {
        if !(value.is_finite() && value > 0.0) {
            self.error(
                path,
                format!(
                    "{value} is out of range for {}: expected a number greater than 0",
                    leaf(path)
                ),
            );
        }
    }

    /// Checks that a duration is longer than zero.
    pub fn nonzero_duration(&mut self, path: &str, value: Duration) {
        if value.is_zero() {
            self.error(
                path,
                format!(
                    "0s is out of range for {}: expected a duration greater than 0, like `30s`",
                    leaf(path)
                ),
            );
        }
    }

    /// Runs `f` with paths prefixed by `prefix` (a sub-struct's key, `rules[2]`).
    pub fn nested(&mut self, prefix: &str, f: impl FnOnce(&mut Self)) {
        let full = self.full(prefix);
        let saved = std::mem::replace(&mut self.prefix, full);
        f(self);
        self.prefix = saved;
    }

    /// How many problems were reported.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether none were reported.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn full(&self, path: &str) -> String {
        match (self.prefix.is_empty(), path.starts_with('[')) {
            (true, _) => path.to_owned(),
            (false, true) => format!("{}{path}", self.prefix),
            (false, false) => format!("{}.{path}", self.prefix),
        }
    }
}

/// The reason a file could not be read, for a problem's message: the operating system's
/// words for an I/O error (the path is already in the problem), the error itself otherwise.
pub(crate) fn io_reason(err: &crate::Error) -> String {
    match err {
        crate::Error::Io { source, .. } => source.to_string(),
        other => other.to_string(),
    }
}

fn leaf(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// The candidate nearest to `given` by edit distance, if it is close enough to be a typo.
///
/// ```
/// use steadfast_core::config::suggest;
/// assert_eq!(suggest("row_count_treshold", ["row_count_threshold", "rules"]), Some("row_count_threshold"));
/// assert_eq!(suggest("zzz", ["row_count_threshold"]), None);
/// ```
pub fn suggest<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let given_lower = given.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (levenshtein(&given_lower, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| {
            // A third of the longer name may differ, and at least one edit.
            let limit = (given.len().max(c.len()) / 3).max(1);
            *d <= limit
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Edit distance counting a swap of two neighbouring letters as one edit (optimal string
/// alignment), since `ratoi` for `ratio` is the commonest typo.
fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for (i, cell) in d.iter_mut().step_by(width).enumerate() {
        *cell = i;
    }
    for (j, cell) in d.iter_mut().take(width).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levenshtein_counts_edits() {
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("same", "same"), 0);
        assert_eq!(levenshtein("ratoi", "ratio"), 1);
    }

    #[test]
    fn nested_paths_compose() {
        let mut p = Problems::default();
        p.nested("rules", |p| p.nested("[2]", |p| p.positive("max", -1.0)));
        assert_eq!(p.items[0].0, "rules[2].max");
    }
}
