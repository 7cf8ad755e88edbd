//! Sharded data checks: N shards' partial results, written and read back as files, merge
//! into the report one process gives — duplicates across shards, a plain file split by
//! byte range, a gzip file whole, a checksum — and merge refuses parts that do not belong
//! together, naming the file and what is wrong.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use steadfast_core::Timestamp;
use steadfast_validation::Format;
use steadfast_validation::data::generate::{BulkSpec, Faults, generate_export};
use steadfast_validation::data::{
    DataCheck, DataRules, PARTIAL_VERSION, PartialResult, Shard, render_data,
};

use super::data::shipped_rules;

/// An export with faults in exact numbers, plus files of duplicates of its first
/// patients (plain and gzip, last in the input list, so in another shard than the
/// originals) and a wrong checksum sidecar.
pub(crate) fn sharded_export(root: &Path) -> Vec<PathBuf> {
    let export = root.join("export");
    let spec = BulkSpec {
        patients: 300,
        faults: Faults {
            duplicates: 3,
            missing_fields: 4,
            dangling_references: 5,
            invalid_lines: 6,
            torn_last_line: true,
        },
        ..BulkSpec::default()
    };
    generate_export(&export, &spec).unwrap();
    let patients = std::fs::read_to_string(export.join("Patient.ndjson")).unwrap();
    let lines: Vec<&str> = patients.lines().collect();
    let plain = root.join("zz-dups.ndjson");
    steadfast_core::atomic_write(&plain, format!("{}\n{}\n", lines[0], lines[1])).unwrap();
    let gz = root.join("zz-dups.ndjson.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    writeln!(enc, "{}\n{}", lines[2], lines[0]).unwrap();
    steadfast_core::atomic_write(&gz, enc.finish().unwrap()).unwrap();
    steadfast_core::atomic_write(root.join("zz-dups.ndjson.gz.sha256"), "0".repeat(64)).unwrap();
    vec![export, plain, gz]
}

fn at() -> Timestamp {
    Timestamp::from_unix_secs(1_700_000_000)
}

fn parts(rules: &DataRules, inputs: &[PathBuf], n: u32, dir: &Path) -> Vec<PathBuf> {
    (1..=n)
        .map(|i| {
            let part = DataCheck::new(rules)
                .threads(2)
                .checked_at(at())
                .run_shard(inputs, Shard::new(i, n).unwrap())
                .unwrap();
            let path = dir.join(format!("part-{i}-of-{n}.json"));
            part.write(&path).unwrap();
            path
        })
        .collect()
}

fn read(paths: &[PathBuf]) -> Vec<PartialResult> {
    paths
        .iter()
        .map(|p| PartialResult::read(p).unwrap())
        .collect()
}

#[test]
fn merged_shards_give_the_report_of_one_process() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = sharded_export(dir.path());
    let rules = shipped_rules();
    let single = DataCheck::new(&rules)
        .threads(2)
        .checked_at(at())
        .run(&inputs)
        .unwrap();
    assert_eq!(single.violations("Patient.unique:id"), 4); // p0 thrice, p1, p2 twice
    assert_eq!(single.violations("Observation.unique:id"), 3);
    // Every duplicate names the first sighting of all, whichever worker saw which.
    let dups = &single.rule("Patient.unique:id").unwrap().locations;
    assert_eq!(dups.len(), 4);
    assert!(
        dups.iter().all(|l| l.message.contains("Patient.ndjson:")),
        "{dups:?}"
    );
    assert_eq!(single.violations("invalid_lines"), 7);
    assert!(
        single
            .results
            .iter()
            .any(|r| r.name.starts_with("checksum:") && r.status == steadfast_core::Status::Fail)
    );
    for n in [1, 2, 4, 7] {
        let merged = PartialResult::merge(&read(&parts(&rules, &inputs, n, dir.path()))).unwrap();
        assert_eq!(merged, single, "N = {n}");
        for format in [Format::Text, Format::Json, Format::Markdown, Format::Junit] {
            assert_eq!(
                render_data(&merged, format, false),
                render_data(&single, format, false),
                "N = {n}, {format:?}"
            );
        }
    }
    // The big plain file is split: some part starts Observation.ndjson midway.
    let split = parts(&rules, &inputs, 4, dir.path()).iter().any(|p| {
        let json: serde_json::Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
        let obs = json["sources"]
            .as_array()
            .unwrap()
            .iter()
            .position(|s| s["name"].as_str().unwrap().ends_with("Observation.ndjson"))
            .unwrap();
        json["chunks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["source"] == obs && c["start"].as_u64() > Some(0))
    });
    assert!(split);
}

fn edited(path: &Path, edit: impl FnOnce(&mut serde_json::Value)) -> PathBuf {
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    edit(&mut json);
    let out = path.with_extension("edited.json");
    steadfast_core::atomic_write(&out, json.to_string()).unwrap();
    out
}

fn merge_err(paths: &[PathBuf]) -> String {
    let parts: Result<Vec<_>, _> = paths.iter().map(PartialResult::read).collect();
    match parts {
        Err(e) => e.to_string(),
        Ok(parts) => PartialResult::merge(&parts).unwrap_err().to_string(),
    }
}

#[test]
fn merge_refuses_parts_that_do_not_make_one_check() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = sharded_export(dir.path());
    let rules = shipped_rules();
    let four = parts(&rules, &inputs, 4, dir.path());

    let newer = edited(&four[0], |j| j["version"] = (PARTIAL_VERSION + 1).into());
    let err = merge_err(std::slice::from_ref(&newer));
    assert!(
        err.contains("part-1-of-4.edited.json") && err.contains("field `version` is 2"),
        "{err}"
    );
    let other = edited(&four[0], |j| j["format"] = "something-else".into());
    let err = merge_err(&[other]);
    assert!(err.contains("field `format`"), "{err}");
    let damaged = edited(&four[0], |j| j["types"] = "many".into());
    let err = merge_err(&[damaged]);
    assert!(
        err.contains("damaged partial result: field `types`"),
        "{err}"
    );

    let err = merge_err(&[four[0].clone(), four[1].clone(), four[3].clone()]);
    assert!(err.contains("shard 3/4 is missing"), "{err}");
    let err = merge_err(&[
        four[0].clone(),
        four[1].clone(),
        four[1].clone(),
        four[3].clone(),
    ]);
    assert!(err.contains("shard 2/4 is given more than once"), "{err}");

    let mut strict = rules.clone();
    strict.max_invalid_lines = 100;
    let other_rules = parts(&strict, &inputs, 4, &dir.path().join("x").tap_mkdir());
    let err = merge_err(&[
        four[0].clone(),
        four[1].clone(),
        four[2].clone(),
        other_rules[3].clone(),
    ]);
    assert!(
        err.contains("part-4-of-4.json") && err.contains("other rules"),
        "{err}"
    );

    let two = parts(&rules, &inputs, 2, dir.path());
    let err = merge_err(&[four[0].clone(), two[1].clone()]);
    assert!(err.contains("same N"), "{err}");

    let fewer = parts(&rules, &inputs[..2], 4, &dir.path().join("y").tap_mkdir());
    let err = merge_err(&[
        four[0].clone(),
        four[1].clone(),
        four[2].clone(),
        fewer[3].clone(),
    ]);
    assert!(err.contains("other inputs"), "{err}");

    // Threads are not part of the rules' identity: shards may run on other machines.
    let mut wide = rules.clone();
    wide.threads = 7;
    let wide_parts = parts(&wide, &inputs, 4, &dir.path().join("z").tap_mkdir());
    let mixed = [
        four[0].clone(),
        four[1].clone(),
        wide_parts[2].clone(),
        wide_parts[3].clone(),
    ];
    assert!(PartialResult::merge(&read(&mixed)).is_ok());
}

#[test]
fn a_part_reads_back_and_writes_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = sharded_export(dir.path());
    let rules = shipped_rules();
    let path = &parts(&rules, &inputs, 3, dir.path())[1];
    let part = PartialResult::read(path).unwrap();
    assert_eq!(part.shard().to_string(), "2/3");
    let again = dir.path().join("again.json");
    part.write(&again).unwrap();
    assert_eq!(std::fs::read(path).unwrap(), std::fs::read(&again).unwrap());
}

trait TapMkdir {
    fn tap_mkdir(self) -> Self;
}

impl TapMkdir for PathBuf {
    fn tap_mkdir(self) -> Self {
        std::fs::create_dir_all(&self).unwrap();
        self
    }
}
