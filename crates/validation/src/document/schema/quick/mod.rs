//! The quick check of a whole record held in memory: does it pass every schema that applies
//! to it without a single finding? A recursive walk over the record's bytes — no tokens, no
//! stacks of applications, no findings, no positions. It answers "passes" only when the
//! interpreter ([`Evaluator`](super::Evaluator)) would report nothing for the same bytes;
//! anything else — a violation, a keyword it does not handle, bytes that are not JSON, a
//! token over the lexer's limit — sends the record to the interpreter, which finds, locates
//! and counts what is wrong. Nearly every record of a real file passes, so nearly every
//! record takes this path; a failing one is read twice.
//!
//! The walk reuses the interpreter's own pieces for every decision (the lexer's scans, the
//! canonical hashes, number comparison, formats, regexes), so the two cannot disagree on a
//! value; the differential test in `tests_quick.rs` checks the walk against the
//! interpreter on generated documents with random faults.

mod branch;
mod kinds;
mod walk;

use super::node::{Node, NodeId};
use kinds::Quick;
pub(crate) use kinds::QuickState;

/// True when `record` (the bytes of one JSON value, whitespace around it allowed) is valid
/// JSON that passes every schema of `roots` with no finding; false when it may not.
pub(super) fn passes(
    nodes: &[Node],
    roots: &[NodeId],
    record: &[u8],
    max_token_bytes: usize,
    state: &mut QuickState,
) -> bool {
    let QuickState {
        any,
        seen,
        sets,
        scratch,
        members,
    } = state;
    let mut walk = Quick {
        nodes,
        any,
        bytes: record,
        long_token: max_token_bytes / 2,
        depth: 0,
        seen,
        sets,
        scratch,
        members,
    };
    let whole = |walk: &mut Quick<'_>, node: Option<NodeId>| {
        walk.depth = 0;
        walk.members.clear();
        let mut i = 0;
        walk.value(&mut i, node, false).is_ok() && {
            walk.ws(&mut i);
            i == record.len()
        }
    };
    if roots.is_empty() {
        return whole(&mut walk, None);
    }
    // The first root's walk checks the syntax; the others see the same bytes.
    roots.iter().all(|&root| whole(&mut walk, Some(root)))
}
