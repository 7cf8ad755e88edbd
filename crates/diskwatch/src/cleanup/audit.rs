//! Every deletion in the runs root's audit trail (core's [`audit`](steadfast_core::audit),
//! `<root>/audit.ndjson`): the run, its size and why it went. A record that cannot be
//! written is listed in the report, never fatal — the deletion happened, and the report and
//! the disk events still say so.

use std::path::Path;

use steadfast_core::audit::{AuditEvent, AuditLog};

use super::report::{CleanupReport, RunDecision};

/// Appends one record per deletion to the audit trail of one runs root, opened at the
/// first deletion.
pub(crate) struct Audit<'a> {
    root: &'a Path,
    log: Option<AuditLog>,
}

impl<'a> Audit<'a> {
    /// The audit trail of `root` (canonical).
    pub(crate) fn new(root: &'a Path) -> Self {
        Self { root, log: None }
    }

    /// Records that `deleted` was deleted; a failure goes to `report.not_recorded`.
    pub(crate) fn deleted(&mut self, deleted: &RunDecision, report: &mut CleanupReport) {
        let event = AuditEvent::Deleted {
            run: deleted.id.clone(),
            bytes: deleted.bytes,
            reason: deleted.reason.map_or("unknown", |r| r.as_str()).to_owned(),
        };
        let appended = match &self.log {
            Some(log) => log.append(&event).map(drop),
            None => AuditLog::in_root(self.root).and_then(|log| {
                let appended = log.append(&event).map(drop);
                self.log = Some(log);
                appended
            }),
        };
        if let Err(e) = appended {
            report.not_recorded.push(format!(
                "deleted run {} is not in the audit trail: {e}",
                deleted.id
            ));
        }
    }
}
