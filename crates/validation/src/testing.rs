//! What the crate's unit tests share: the one-byte edits its proptests make to a resource
//! line (the scanner's against serde_json, the conformance walk's for panics).

/// Bytes an edit inserts: every JSON structural byte, escapes, number and literal starts,
/// a control byte, and plain letters.
pub(crate) const EDIT_BYTES: &[u8] = b"{}[]\",:\\ 0-.eE+tfnu\x01_x";

/// `base` with the byte at `at` (wrapped to its length) removed, or `insert` put there.
pub(crate) fn one_byte_edit(base: &str, at: usize, insert: u8, delete: bool) -> Vec<u8> {
    let mut line = base.as_bytes().to_vec();
    let at = at % line.len();
    if delete {
        line.remove(at);
    } else {
        line.insert(at, insert);
    }
    line
}
