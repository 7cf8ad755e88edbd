//! `OutcomeSummary`: what an error's `OperationOutcome` body says, kept PHI-free — each
//! issue's `severity` and `code` (FHIR's fixed vocabularies), never `diagnostics` or
//! `details` text, which servers fill with whatever the request named.

use std::fmt;

/// The most issues kept from one outcome.
const MAX_ISSUES: usize = 5;

/// The issues of an `OperationOutcome`, each as `(severity, code)`.
///
/// ```
/// let body = br#"{"resourceType":"OperationOutcome","issue":[
///   {"severity":"error","code":"throttled","diagnostics":"Ada Jones: slow down"}]}"#;
/// let o = steadfast_fhir::OutcomeSummary::from_body(body).unwrap();
/// assert_eq!(o.to_string(), "error throttled");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct OutcomeSummary {
    /// `(severity, code)` of the first few issues; a value that is not a code word reads
    /// `invalid`.
    pub issues: Vec<(String, String)>,
}

impl OutcomeSummary {
    /// The summary of `body` if it is an `OperationOutcome`.
    pub fn from_body(body: &[u8]) -> Option<Self> {
        let value: serde_json::Value = serde_json::from_slice(body).ok()?;
        if value.get("resourceType")?.as_str()? != "OperationOutcome" {
            return None;
        }
        let issues = value
            .get("issue")
            .and_then(|i| i.as_array())
            .map(|issues| {
                issues
                    .iter()
                    .take(MAX_ISSUES)
                    .map(|issue| {
                        let word = |key: &str| {
                            issue
                                .get(key)
                                .and_then(|v| v.as_str())
                                .map_or("invalid", code_word)
                                .to_owned()
                        };
                        (word("severity"), word("code"))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(Self { issues })
    }
}

/// `text` if it has the shape of a FHIR code (`throttled`, `not-found`), else `invalid`.
fn code_word(text: &str) -> &str {
    let ok = !text.is_empty()
        && text.len() <= 32
        && text.chars().all(|c| c.is_ascii_lowercase() || c == '-');
    if ok { text } else { "invalid" }
}

impl fmt::Display for OutcomeSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (severity, code)) in self.issues.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{severity} {code}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_never_survives() {
        let body = br#"{"resourceType":"OperationOutcome","issue":[
          {"severity":"error","code":"Ada Jones","diagnostics":"MRN 123"},
          {"severity":"warning","code":"not-found"}]}"#;
        let o = OutcomeSummary::from_body(body).unwrap();
        assert_eq!(o.to_string(), "error invalid, warning not-found");
        assert!(OutcomeSummary::from_body(br#"{"resourceType":"Patient"}"#).is_none());
        assert!(OutcomeSummary::from_body(b"<html>").is_none());
    }
}
