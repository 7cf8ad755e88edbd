//! A corpus of broken thresholds files, each error message snapshotted; and the shipped
//! configs/thresholds.toml, which must load.

use steadfast_core::config::Loader;
use steadfast_validation::Thresholds;

fn load(name: &str, text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    steadfast_core::atomic_write(&path, text).unwrap();
    let loader = Loader::new().file(&path).env_vars::<_, String, String>([]);
    match Thresholds::load(&loader) {
        Ok(_) => "loaded".to_owned(),
        Err(e) => e
            .to_string()
            .replace(&dir.path().display().to_string(), "<dir>"),
    }
}

#[test]
fn typos_suggest_the_nearest_key() {
    insta::assert_snapshot!(load(
        "typos.toml",
        "[validation]\nrow_count_treshold = 0.9\nextract_time_threshhold = \"5m\"\n\n[[validation.rules]]\nname = \"p\"\nmetirc = \"bronze.records\"\nmin = 1\nchek = \"compare\"\n"
    ));
}

#[test]
fn wrong_types_say_expected_and_found() {
    insta::assert_snapshot!(load(
        "types.toml",
        "row_count_threshold = \"high\"\nextract_time_threshold = 600\nrules = { name = \"x\" }\n"
    ));
}

#[test]
fn out_of_range_values_are_located() {
    insta::assert_snapshot!(load(
        "range.toml",
        "row_count_threshold = 1.2\nextract_time_threshold = \"0s\"\n\n[[rules]]\nname = \"e\"\ncheck = \"error_rate\"\nmax = 5\n\n[[rules]]\nname = \"b\"\nmetric = \"bronze.records\"\nmin = 10\nmax = 1\n"
    ));
}

#[test]
fn rule_problems_name_the_rule_key() {
    insta::assert_snapshot!(load(
        "rules.json",
        "{\n  \"rules\": [\n    {\"name\": \"a\", \"check\": \"ratio\", \"numerator\": \"bronze.records{resource_type}\", \"max\": 1},\n    {\"name\": \"a\", \"check\": \"change\", \"metric\": \"records\"},\n    {\"check\": \"dead_letter\", \"max\": 1}\n  ]\n}\n"
    ));
}

#[test]
fn bad_yaml_indentation_is_located() {
    insta::assert_snapshot!(load(
        "bad.yaml",
        "validation:\n  row_count_threshold: 0.9\n    extract_time_threshold: 5m\n"
    ));
}

#[test]
fn yaml_thresholds_load() {
    assert_eq!(
        load(
            "ok.yml",
            "validation:\n  row_count_threshold: 0.9\n  rules:\n    - name: p\n      metric: bronze.records\n      min: 1\n"
        ),
        "loaded"
    );
}

#[test]
fn invalid_json_and_toml_are_located() {
    let json = load("bad.json", "{\"row_count_threshold\": 0.9 \"rules\": []}");
    let toml = load(
        "bad.toml",
        "row_count_threshold = 0.9\n[[rules]\nname = \"x\"\n",
    );
    insta::assert_snapshot!(format!("{json}\n{toml}"));
}

#[test]
fn shipped_thresholds_file_loads_at_the_defaults() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../configs/thresholds.toml");
    let loaded =
        Thresholds::load(&Loader::new().file(path).env_vars::<_, String, String>([])).unwrap();
    let t = loaded.value();
    assert_eq!(
        t.row_count_threshold,
        Thresholds::default().row_count_threshold
    );
    assert_eq!(
        t.extract_time_threshold,
        Thresholds::default().extract_time_threshold
    );
    assert!(
        !t.rules.is_empty(),
        "the shipped file shows every rule kind"
    );
}
