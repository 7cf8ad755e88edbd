//! [`StatusCodes`]: which HTTP status a report's `pass`, `warn` and `fail` answer with —
//! by default 200, 200, 503 — with `warn` settable globally or per group.

use std::collections::BTreeMap;

use steadfast_core::Status;

use crate::Group;

/// The HTTP status of each report status. `pass` is always 200 and `fail` 503 by default;
/// `warn` is 200 unless set otherwise, globally or for one group (a readiness endpoint
/// that should take an instance out of rotation on a degraded dependency).
///
/// ```
/// use steadfast_core::Status;
/// use steadfast_healthcheck::{Group, StatusCodes};
///
/// let codes = StatusCodes::default().warn_for(Group::Ready, 503);
/// assert_eq!(codes.code(Some(&Group::Ready), Status::Warn), 503);
/// assert_eq!(codes.code(None, Status::Warn), 200);
/// assert_eq!(codes.code(Some(&Group::Live), Status::Fail), 503);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCodes {
    pass: u16,
    warn: u16,
    fail: u16,
    warn_by_group: BTreeMap<Group, u16>,
}

impl Default for StatusCodes {
    fn default() -> Self {
        Self {
            pass: 200,
            warn: 200,
            fail: 503,
            warn_by_group: BTreeMap::new(),
        }
    }
}

/// `code` if it is a status a probe understands (200–299 or 500–599), else `fallback`.
fn usable(code: u16, fallback: u16) -> u16 {
    if (200..300).contains(&code) || (500..600).contains(&code) {
        code
    } else {
        fallback
    }
}

impl StatusCodes {
    /// `warn` answers `code` everywhere (a 2xx or 5xx; anything else keeps 200).
    #[must_use]
    pub fn warn(mut self, code: u16) -> Self {
        self.warn = usable(code, 200);
        self
    }

    /// `warn` answers `code` for `group` (a 2xx or 5xx; anything else keeps the global one).
    #[must_use]
    pub fn warn_for(mut self, group: Group, code: u16) -> Self {
        let code = usable(code, self.warn);
        self.warn_by_group.insert(group, code);
        self
    }

    /// `fail` answers `code` (a 5xx; anything else keeps 503).
    #[must_use]
    pub fn fail(mut self, code: u16) -> Self {
        self.fail = if (500..600).contains(&code) {
            code
        } else {
            503
        };
        self
    }

    /// The HTTP status for `status` of `group`'s report (`None`: every check).
    pub fn code(&self, group: Option<&Group>, status: Status) -> u16 {
        match status {
            Status::Pass => self.pass,
            Status::Fail => self.fail,
            Status::Warn => group
                .and_then(|g| self.warn_by_group.get(g))
                .copied()
                .unwrap_or(self.warn),
        }
    }
}
