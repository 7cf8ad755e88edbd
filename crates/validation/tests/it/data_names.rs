//! What a record and a file are named by: NDJSON extensions in any letter case, a
//! `resourceType` decoded or kept out of the report, a byte order mark named.

use std::io::Write as _;

use steadfast_validation::Format;
use steadfast_validation::data::{DataCheck, render_data};

use crate::data::{check, shipped_rules};
use crate::data_hostile::{PATIENT, write};

/// A directory's NDJSON files are found whatever the letter case of their extension: a
/// `Patient.NDJSON` skipped would be records silently not checked.
#[test]
fn directories_read_ndjson_extensions_in_any_case() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("Patient.NDJSON"), &format!("{PATIENT}\n"));
    let gz = dir.path().join("More.NdJson.GZ");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(format!("{PATIENT}\n").replace("p1", "p2").as_bytes())
        .unwrap();
    steadfast_core::atomic_write(&gz, enc.finish().unwrap()).unwrap();
    write(&dir.path().join("notes.txt"), "not data\n");
    let report = check(&shipped_rules(), &[dir.path().to_path_buf()], 1);
    assert_eq!(report.records(), 2);
    assert_eq!(report.files.len(), 2);
}

/// A `resourceType` written with escapes is the type it decodes to; one that is no R4
/// resource type is counted, but its text stays out of the report unless values may be
/// shown (any string could stand there).
#[test]
fn resource_types_are_decoded_and_unknown_ones_not_shown() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mixed.ndjson");
    let escaped = PATIENT.replace("\"Patient\"", r#""Pat\u0069ent""#);
    let secret = r#"{"resourceType":"Jane Doe 1970","id":"s1"}"#;
    write(&path, &format!("{escaped}\n{secret}\n"));
    let report = check(&shipped_rules(), std::slice::from_ref(&path), 1);
    assert_eq!(report.resource_types.get("Patient"), Some(&1), "{report:?}");
    assert_eq!(
        report.resource_types.get("unrecognised resourceType"),
        Some(&1)
    );
    assert_eq!(report.violations("invalid_lines"), 0);
    for format in [Format::Text, Format::Json, Format::Markdown, Format::Junit] {
        let text = render_data(&report, format, false);
        assert!(!text.contains("Jane"), "{format:?}: {text}");
    }
    let shown = DataCheck::new(&shipped_rules())
        .show_values(true)
        .run(&[path])
        .unwrap();
    assert_eq!(shown.resource_types.get("Jane Doe 1970"), Some(&1));
}

/// A file saved with a byte order mark has its first line refused with what to do about it.
#[test]
fn a_byte_order_mark_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("Patient.ndjson");
    write(
        &file,
        &format!("\u{feff}{PATIENT}\n{}\n", PATIENT.replace("p1", "p2")),
    );
    let report = check(&shipped_rules(), &[file], 1);
    let invalid = report.rule("invalid_lines").unwrap();
    assert_eq!((invalid.locations.len(), report.records()), (1, 1));
    assert_eq!(invalid.locations[0].line, 1);
    assert!(
        invalid.locations[0].message.contains("byte order mark"),
        "{}",
        invalid.locations[0].message
    );
}
