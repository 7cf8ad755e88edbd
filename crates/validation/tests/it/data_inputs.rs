//! Data-quality inputs: manifests (counts, types, checksums), sidecars, and the errors
//! bad inputs and bad rules files get.

use steadfast_core::Status;
use steadfast_core::config::Loader;
use steadfast_validation::data::DataCheck;
use steadfast_validation::data::DataRules;
use steadfast_validation::data::generate::{BulkSpec, generate_export};

use crate::data::check;

#[test]
fn manifest_count_mismatch_and_foreign_types_fail() {
    let dir = tempfile::tempdir().unwrap();
    let spec = BulkSpec {
        patients: 10,
        ..BulkSpec::default()
    };
    generate_export(dir.path(), &spec).unwrap();
    let manifest = dir.path().join("manifest.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let text = text.replace(
        r#""url":"Patient.ndjson","count":10"#,
        r#""url":"Patient.ndjson","count":12"#,
    );
    let text = text.replace(r#""type":"Encounter""#, r#""type":"Procedure""#);
    steadfast_core::atomic_write(&manifest, text).unwrap();
    let report = check(&DataRules::default(), &[manifest], 2);
    let patient = report.rule("manifest:Patient.ndjson").unwrap();
    assert_eq!(patient.status, Status::Fail);
    assert_eq!(
        patient.message,
        "the manifest says 12 records, the file holds 10"
    );
    let encounter = report.rule("manifest:Encounter.ndjson").unwrap();
    assert_eq!(encounter.violations, Some(20));
    assert!(
        encounter.locations[0]
            .message
            .contains("a Encounter in a file of Procedure")
    );
    assert_eq!(
        report.rule("manifest:Condition.ndjson").unwrap().status,
        Status::Pass
    );
}

#[test]
fn checksums_from_sidecars_and_manifests_are_verified() {
    use sha2::Digest as _;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("Patient.ndjson");
    let content = "{\"resourceType\":\"Patient\",\"id\":\"1\"}\n";
    steadfast_core::atomic_write(&file, content).unwrap();
    let good: String = sha2::Sha256::digest(content.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let sidecar = dir.path().join("Patient.ndjson.sha256");
    let rule = format!("checksum:{}", file.display());

    steadfast_core::atomic_write(&sidecar, format!("{good}  Patient.ndjson\n")).unwrap();
    assert_eq!(
        check(&DataRules::default(), std::slice::from_ref(&file), 1)
            .rule(&rule)
            .unwrap()
            .status,
        Status::Pass
    );

    steadfast_core::atomic_write(&sidecar, format!("{}  Patient.ndjson\n", "0".repeat(64)))
        .unwrap();
    let report = check(&DataRules::default(), std::slice::from_ref(&file), 1);
    let result = report.rule(&rule).unwrap();
    assert_eq!(result.status, Status::Fail);
    assert!(
        result.message.contains("sha256 differs from"),
        "{}",
        result.message
    );
    let off = DataRules {
        verify_checksums: false,
        ..DataRules::default()
    };
    assert!(
        check(&off, std::slice::from_ref(&file), 1)
            .rule(&rule)
            .is_none()
    );

    // A manifest's sha256 wins over the sidecar.
    steadfast_core::atomic_write(
        dir.path().join("manifest.json"),
        format!(r#"{{"output":[{{"type":"Patient","url":"Patient.ndjson","count":1,"sha256":"{good}"}}]}}"#),
    )
    .unwrap();
    let report = check(
        &DataRules::default(),
        &[dir.path().join("manifest.json")],
        2,
    );
    let result = report.rule("checksum:Patient.ndjson").unwrap();
    assert_eq!(result.status, Status::Pass, "{result:?}");
    assert_eq!(result.message, "sha256 matches output[0].sha256");
}

#[test]
fn bad_inputs_name_the_path_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let err = DataCheck::new(&DataRules::default())
        .run(&[dir.path()])
        .unwrap_err();
    assert!(err.to_string().contains("holds no .ndjson"), "{err}");
    assert_eq!(err.exit_code(), 2);
    let manifest = dir.path().join("manifest.json");
    steadfast_core::atomic_write(
        &manifest,
        r#"{"output":[{"type":"Patient","url":"https://ehr.example.org/x.ndjson"}]}"#,
    )
    .unwrap();
    let err = DataCheck::new(&DataRules::default())
        .run(&[&manifest])
        .unwrap_err();
    insta::assert_snapshot!(err.to_string().replace(&dir.path().display().to_string(), "<dir>"), @"<dir>/manifest.json: output[0].url is 'https://ehr.example.org/x.ndjson', a remote URL: download the export first and give the files as paths relative to the manifest");
    steadfast_core::atomic_write(&manifest, "{\"output\": [1,]}").unwrap();
    let err = DataCheck::new(&DataRules::default())
        .run(&[&manifest])
        .unwrap_err();
    insta::assert_snapshot!(err.to_string().replace(&dir.path().display().to_string(), "<dir>"), @r#"<dir>/manifest.json: line 1 column 13: not a bulk data manifest: invalid type: integer `1`, expected an object with "type", "url" and "count""#);
    let missing = DataCheck::new(&DataRules::default())
        .run(&[dir.path().join("nope.ndjson")])
        .unwrap_err();
    assert!(missing.to_string().contains("nope.ndjson"), "{missing}");
}

#[test]
fn rules_files_report_every_mistake_at_once() {
    let err = DataRules::load(&Loader::new().toml_str(
        "rules.toml",
        r#"
        locatons = 5
        [resources.patient]
        required = ["name..family"]
        [[resources.Observation.checks]]
        field = "valueQuantity.value"
        min = 10
        max = 1
        [[resources.Observation.checks]]
        field = "status"
        pattern = "(unclosed"
        [[resources.Observation.checks]]
        field = "status"
        "#,
    ))
    .unwrap_err();
    insta::assert_snapshot!(err.to_string(), @r"
    rules.toml:2:9: unknown key 'locatons' in [data]; did you mean 'locations'?
    rules.toml:3:9: 'patient' is not a FHIR resource type; use its resourceType, like Observation
    rules.toml:4:21: 'name..family' is not a field path: a member name is empty; write one like `code.coding[0].system`
    rules.toml:7:15: min 10 is above max 1; swap them
    rules.toml:11:19: not a valid regular expression: unclosed group
    rules.toml:13:17: a check needs one of 'allowed', 'min'/'max', 'pattern' or 'references'
    ");
}
