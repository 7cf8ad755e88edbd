//! Tests of the whole pass: the same report whatever the thread count, from plain, gzip
//! and zip files; records bigger than the buffer; broken records and broken documents.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use steadfast_core::Timestamp;

use crate::Format;
use crate::document::{DocumentCheck, DocumentReport, JsonSchema, render_document};

type Res<T = ()> = Result<T, Box<dyn std::error::Error>>;

const SCHEMA: &[u8] = br#"{
  "type": "object",
  "required": ["reporting_entity_name", "in_network"],
  "properties": {
    "reporting_entity_name": {"type": "string"},
    "in_network": {"type": "array", "items": {
      "type": "object",
      "required": ["billing_code", "negotiated_rates"],
      "properties": {
        "billing_code": {"type": "string", "minLength": 1},
        "negotiated_rates": {"type": "array", "minItems": 1, "items": {
          "type": "object",
          "properties": {"negotiated_rate": {"type": "number", "exclusiveMinimum": 0}}
        }}
      }
    }},
    "provider_references": {"type": "array", "items": {"type": "object", "required": ["provider_group_id"]}}
  }
}"#;

/// A document of `n` in-network items, every 7th missing its code, every 11th with a
/// negative rate, every 13th with an empty rate list; and 3 provider references.
fn document(n: usize, broken: &[usize]) -> String {
    let mut doc =
        String::from("{\n  \"reporting_entity_name\": \"Plan\",\n  \"provider_references\": [\n");
    for i in 0..3 {
        let sep = if i < 2 { "," } else { "" };
        doc.push_str(&format!(
            "    {{\"provider_group_id\": {i}, \"npi\": [1, 2]}}{sep}\n"
        ));
    }
    doc.push_str("  ],\n  \"in_network\": [\n");
    for i in 0..n {
        let code = if i % 7 == 3 {
            String::new()
        } else {
            format!("\"billing_code\": \"{i:05}\", ")
        };
        let rate = if i % 11 == 5 { -1.5 } else { 10.0 + i as f64 };
        let rates = if i % 13 == 6 {
            String::from("[]")
        } else {
            format!("[{{\"negotiated_rate\": {rate}}}]")
        };
        let bad = if broken.contains(&i) {
            ", \"x\": tru"
        } else {
            ""
        };
        let sep = if i + 1 < n { "," } else { "" };
        doc.push_str(&format!(
            "    {{{code}\"negotiated_rates\": {rates}{bad}}}{sep}\n"
        ));
    }
    doc.push_str("  ]\n}\n");
    doc
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> Res<PathBuf> {
    let path = dir.join(name);
    steadfast_core::atomic_write(&path, bytes)?;
    Ok(path)
}

fn gzip(bytes: &[u8]) -> Res<Vec<u8>> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes)?;
    Ok(e.finish()?)
}

fn zip(name: &str, bytes: &[u8]) -> Res<Vec<u8>> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    w.start_file(name, options)?;
    w.write_all(bytes)?;
    Ok(w.finish()?.into_inner())
}

fn check(schema: &JsonSchema, path: &Path, threads: usize) -> Res<DocumentReport> {
    let mut report = DocumentCheck::new(schema)
        .records(["$.in_network", "$.provider_references"])
        .threads(threads)
        .checked_at(Timestamp::from_unix_secs(0))
        .run(path)?;
    report.file = "rates.json".into();
    Ok(report)
}

#[test]
fn the_report_is_the_same_whatever_the_threads_and_packing() -> Res {
    let schema = JsonSchema::from_slice("schema", SCHEMA)?;
    let dir = tempfile::tempdir()?;
    let doc = document(400, &[17, 250]);
    let plain = write(dir.path(), "rates.json", doc.as_bytes())?;
    let gz = write(dir.path(), "rates.json.gz", &gzip(doc.as_bytes())?)?;
    let zipped = write(dir.path(), "rates.zip", &zip("rates.json", doc.as_bytes())?)?;
    let one = check(&schema, &plain, 1)?;
    assert_eq!(
        one.records.iter().map(|r| r.records).collect::<Vec<_>>(),
        vec![400, 3]
    );
    // 57 items lack a code; the 17th is broken before its end, so is not judged.
    assert_eq!(one.violations("#/properties/in_network/items/required"), 56);
    assert_eq!(one.violations("json"), 2);
    assert!(one.complete);
    for threads in [2, 4] {
        assert_eq!(check(&schema, &plain, threads)?, one, "{threads} threads");
    }
    assert_eq!(check(&schema, &gz, 2)?, one);
    assert_eq!(check(&schema, &zipped, 3)?, one);
    Ok(())
}

#[test]
fn big_records_among_batched_small_ones_are_checked_alike() -> Res {
    // Small records travel in batches; a record that outgrows its batch is streamed after
    // the batch before it. Big records (~250 KB) at a batch's start, middle and end, one
    // of them broken past its first piece (found by the worker's lexer), one negative rate
    // deep inside another.
    let schema = JsonSchema::from_slice("schema", SCHEMA)?;
    let dir = tempfile::tempdir()?;
    let big = |i: usize, tail: &str, bad_at: Option<usize>| {
        let rates = (0..12_000)
            .map(|k| {
                let rate = if Some(k) == bad_at {
                    -1.0
                } else {
                    1.0 + k as f64
                };
                format!("{{\"negotiated_rate\": {rate}}}")
            })
            .collect::<Vec<_>>()
            .join(",");
        format!("{{\"billing_code\": \"b{i}\", \"negotiated_rates\": [{rates}]{tail}}}")
    };
    let mut items = Vec::new();
    for i in 0..700 {
        items.push(match i {
            0 => big(i, "", None),
            333 => big(i, ", \"x\": tru", None),
            334 => big(i, "", Some(11_000)),
            699 => big(i, "", Some(5)),
            _ if i % 9 == 4 => format!("{{\"negotiated_rates\": [{{\"negotiated_rate\": {i}}}]}}"),
            _ => format!("{{\"billing_code\": \"{i}\", \"negotiated_rates\": [{{\"negotiated_rate\": {i}.5}}]}}"),
        });
    }
    let doc = format!(
        "{{\"reporting_entity_name\": \"Plan\", \"in_network\": [{}]}}",
        items.join(",\n")
    );
    let path = write(dir.path(), "rates.json", doc.as_bytes())?;
    let one = check(&schema, &path, 1)?;
    assert_eq!(one.total_records(), 700);
    assert_eq!(one.violations("#/properties/in_network/items/required"), 78);
    assert_eq!(
        one.violations(
            "#/properties/in_network/items/properties/negotiated_rates/items/properties/negotiated_rate/exclusiveMinimum"
        ),
        2
    );
    assert_eq!(one.violations("json"), 1);
    assert!(one.complete);
    for threads in [2, 3] {
        assert_eq!(check(&schema, &path, threads)?, one, "{threads} threads");
    }
    Ok(())
}

#[test]
fn a_record_cut_by_the_end_of_the_file_is_checked_up_to_the_cut_whatever_its_size() -> Res {
    // A download cut inside a string: the reader cannot find the record's end. What the
    // record held before the cut is judged (its negative rate), by batch or by stream.
    let schema = JsonSchema::from_slice("schema", SCHEMA)?;
    let dir = tempfile::tempdir()?;
    let rate = "\"negotiated_rate\"";
    for (name, filler) in [("small", 10), ("big", 300_000)] {
        let mut doc = String::from("{\"reporting_entity_name\": \"Plan\", \"in_network\": [");
        for i in 0..300 {
            doc.push_str(&format!(
                "{{\"billing_code\": \"{i}\", \"negotiated_rates\": [{{{rate}: {}}}]}},",
                if i == 7 { -2 } else { i + 1 }
            ));
        }
        doc.push_str(&format!(
            "{{\"negotiated_rates\": [{{{rate}: -1}}], \"s\": \"{}",
            "z".repeat(filler)
        ));
        let path = write(dir.path(), &format!("{name}.json"), doc.as_bytes())?;
        let one = check(&schema, &path, 1)?;
        assert_eq!(one.total_records(), 301, "{name}");
        assert_eq!(
            one.violations(
                "#/properties/in_network/items/properties/negotiated_rates/items/properties/negotiated_rate/exclusiveMinimum"
            ),
            2,
            "{name}: record 7 and the cut record's rate"
        );
        assert_eq!(one.violations("json"), 1, "{name}");
        assert!(!one.complete, "{name}");
        for threads in [2, 3] {
            assert_eq!(
                check(&schema, &path, threads)?,
                one,
                "{name}, {threads} threads"
            );
        }
    }
    Ok(())
}

#[test]
fn a_seeded_report_renders_in_every_format() -> Res {
    let schema = JsonSchema::from_slice("schema", SCHEMA)?;
    let dir = tempfile::tempdir()?;
    let plain = write(dir.path(), "rates.json", document(30, &[20]).as_bytes())?;
    let report = DocumentCheck::new(&schema)
        .records(["$.in_network", "$.provider_references"])
        .threads(2)
        .max_findings(3)
        .checked_at(Timestamp::from_unix_secs(0))
        .run(&plain)
        .map(|mut r| {
            r.file = "rates.json".into();
            r
        })?;
    for (name, format) in [
        ("text", Format::Text),
        ("json", Format::Json),
        ("markdown", Format::Markdown),
        ("junit", Format::Junit),
    ] {
        insta::assert_snapshot!(
            format!("seeded_{name}"),
            render_document(&report, format, false)
        );
    }
    Ok(())
}

#[test]
fn a_record_bigger_than_the_buffer_is_read_in_pieces() -> Res {
    let dir = tempfile::tempdir()?;
    let npis = (0..200_000)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let long = "y".repeat(700_000);
    let doc = format!(
        "{{\"in_network\": [{{\"npi\": [{npis}], \"s\": \"{long}\"}}, {{\"npi\": [1,]}}, {{}}]}}"
    );
    let path = write(dir.path(), "big.json", doc.as_bytes())?;
    for threads in [1, 2] {
        let report = DocumentCheck::records_only()
            .records(["$.in_network"])
            .threads(threads)
            .run(&path)?;
        assert_eq!(report.total_records(), 3);
        assert_eq!(report.violations("json"), 1);
        let f = &report.rules[0].findings[0];
        assert_eq!(
            (f.pointer.as_str(), f.message.as_str()),
            ("/in_network/1", "expected a value, found ']'")
        );
        assert_eq!(usize::try_from(f.offset)?, doc.find("1,]").unwrap_or(0) + 2);
    }
    Ok(())
}

#[test]
fn a_broken_document_stops_with_a_finding() -> Res {
    let dir = tempfile::tempdir()?;
    let doc = document(20, &[]);
    let truncated = write(dir.path(), "cut.json", &doc.as_bytes()[..doc.len() / 2])?;
    let report = DocumentCheck::records_only()
        .records(["$.in_network"])
        .run(&truncated)?;
    assert!(!report.complete);
    assert_eq!(report.violations("json"), 1);
    assert_eq!(report.exit_code(), 1);
    let outside = write(
        dir.path(),
        "outside.json",
        b"{\"a\": [1 2], \"in_network\": []}",
    )?;
    let report = DocumentCheck::records_only()
        .records(["$.in_network"])
        .run(&outside)?;
    assert_eq!(
        (report.complete, report.rules[0].findings[0].offset),
        (false, 9)
    );
    Ok(())
}

#[test]
fn records_can_be_values_inside_elements() -> Res {
    let dir = tempfile::tempdir()?;
    let doc = br#"{"resourceType": "Bundle", "entry": [{"resource": {"id": "a"}}, {"fullUrl": "x"}, {"resource": {"id": "b"}}]}"#;
    let path = write(dir.path(), "bundle.json", doc)?;
    let report = DocumentCheck::records_only()
        .records(["$.entry[*].resource"])
        .run(&path)?;
    assert_eq!(report.total_records(), 2);
    assert_eq!(report.exit_code(), 0);
    let err = DocumentCheck::records_only()
        .records(["entry"])
        .run(&path)
        .err()
        .map(|e| e.to_string());
    assert!(err.is_some_and(|e| e.contains("not a records path")));
    Ok(())
}

#[test]
fn a_huge_single_record_is_checked_in_bounded_memory() -> Res {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("huge.json");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path)?);
    f.write_all(b"{\"reporting_entity_name\": \"P\", \"in_network\": [{\"billing_code\": \"1\", \"negotiated_rates\": [")?;
    // About 50 MB in one record.
    for i in 0..1_000_000u32 {
        let sep = if i > 0 { "," } else { "" };
        write!(
            f,
            "{sep}{{\"negotiated_rate\": {}.5, \"n\": \"abcdefghij\"}}",
            i % 1000 + 1
        )?;
    }
    f.write_all(b"]}]}")?;
    f.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    let schema = JsonSchema::from_slice("schema", SCHEMA)?;
    let report = DocumentCheck::new(&schema)
        .records(["$.in_network"])
        .threads(2)
        .run(&path)?;
    assert_eq!(
        (report.total_records(), report.exit_code()),
        (1, 0),
        "{:?}",
        report.rules
    );
    assert!(report.bytes > 45_000_000);
    Ok(())
}

/// A validator whose record evaluation panics (a bug): the pass must not end in a report
/// that silently lacks the worker's records.
struct Panics;

impl crate::document::validator::Validator for Panics {
    type Item = ();
    type Root = crate::document::validator::NoSchema;
    type ItemEval = crate::document::validator::NoSchema;
    fn root(&self, _: bool) -> Self::Root {
        crate::document::validator::NoSchema
    }
    fn item(&self, (): &(), pointer: &str, _: bool) -> Self::ItemEval {
        assert!(!pointer.ends_with("/3"), "a bug in a record check");
        crate::document::validator::NoSchema
    }
    fn ignored(&self) -> Vec<String> {
        Vec::new()
    }
}

#[test]
fn a_panicked_worker_is_not_a_complete_report() -> Res {
    let records = [crate::document::records::RecordsPath::parse(
        "$.in_network",
    )?];
    let settings = super::Settings {
        records: &records,
        threads: 2,
        show_values: false,
        max_findings: 100,
        max_token_bytes: 1 << 20,
        progress: None,
    };
    let doc = document(8, &[]);
    let got = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        super::run(doc.as_bytes(), &Panics, &settings, &|| ()).complete
    }));
    assert!(got.is_err(), "the worker's panic is resumed, not swallowed");
    Ok(())
}
