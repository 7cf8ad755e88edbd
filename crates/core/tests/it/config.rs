//! The configuration loader end to end: files of every format on disk, profiles, the
//! environment, overrides, secrets, and every problem reported at once.

use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use steadfast_core::HumanDuration;
use steadfast_core::config::{Config, Layer, Loader, Problems};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Db {
    url: String,
    password: String,
    pool: u32,
    timeout: HumanDuration,
    ratio: f64,
    tags: Vec<String>,
    tls: Tls,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Tls {
    enabled: bool,
    mode: Mode,
}

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Mode {
    #[default]
    Prefer,
    Require,
}

impl Default for Db {
    fn default() -> Self {
        Self {
            url: "postgres://localhost/fhir".into(),
            password: String::new(),
            pool: 4,
            timeout: "30s".parse().unwrap(),
            ratio: 0.5,
            tags: Vec::new(),
            tls: Tls::default(),
        }
    }
}

impl Config for Db {
    fn check(&self, problems: &mut Problems) {
        problems.ratio("ratio", self.ratio);
        problems.nonzero_duration("timeout", self.timeout.get());
    }
}

fn no_env() -> Vec<(String, String)> {
    Vec::new()
}

fn errors(loader: Loader) -> String {
    loader.load_section::<Db>("db").unwrap_err().to_string()
}

#[test]
fn toml_json_and_yaml_files_load_the_same_values() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = vec![
        (
            "db.toml",
            "[db]\npool = 8\ntags = [\"a\"]\n[db.tls]\nmode = \"require\"\n",
        ),
        (
            "db.json",
            "{\"db\": {\n  \"pool\": 8, \"tags\": [\"a\"], \"tls\": {\"mode\": \"require\"}}}",
        ),
    ];
    if cfg!(feature = "yaml") {
        files.push((
            "db.yaml",
            "db:\n  pool: 8\n  tags: [a]\n  tls:\n    mode: require\n",
        ));
    }
    for (name, text) in files {
        let path = dir.path().join(name);
        steadfast_core::atomic_write(&path, text).unwrap();
        let db = Loader::new()
            .file(&path)
            .env_vars(no_env())
            .load_section::<Db>("db")
            .unwrap();
        assert_eq!(db.value().pool, 8, "{name}");
        assert_eq!(db.value().tls.mode, Mode::Require, "{name}");
        assert_eq!(db.origin("pool").layer, Layer::File);
        assert_eq!(db.origin("pool").line, 2, "{name}");
    }
}

#[test]
fn every_problem_is_reported_at_once_with_its_place() {
    let text = "[db]\npoool = 8\ntimeout = \"30 parsecs\"\nratio = 1.5\n[db.tls]\nmode = \"requier\"\nenabled = \"yes\"\n";
    insta::assert_snapshot!(errors(Loader::new().toml_str("db.toml", text).env_vars(no_env())), @r#"
    db.toml:2:1: unknown key 'poool' in [db]; did you mean 'pool'?
    db.toml:3:11: invalid value for 'timeout' in [db]: invalid duration "30 parsecs": unknown time unit "parsecs"; expected a number of seconds or a value with a unit, like `250ms`, `30s`, `5m` or `1h 30m`
    db.toml:4:9: 1.5 is out of range for ratio: expected a ratio between 0 and 1 (0.95 means 95%)
    db.toml:6:8: invalid value 'requier' for 'mode' in [db.tls]: expected one of prefer, require; did you mean 'require'?
    db.toml:7:11: wrong type for 'enabled' in [db.tls]: expected true or false, found string "yes"
    "#);
}

#[test]
fn range_checks_point_at_the_value() {
    let text = "[db]\nratio = 1.5\ntimeout = \"0s\"\n";
    insta::assert_snapshot!(errors(Loader::new().toml_str("db.toml", text).env_vars(no_env())), @r"
    db.toml:2:9: 1.5 is out of range for ratio: expected a ratio between 0 and 1 (0.95 means 95%)
    db.toml:3:11: 0s is out of range for timeout: expected a duration greater than 0, like `30s`
    ");
}

#[test]
fn environment_and_override_errors_name_their_source() {
    let loader = Loader::new()
        .env_vars([("STEADFAST_DB__POOL", "many"), ("STEADFAST_DB__POLL", "2")])
        .set("tls.enabeld=true")
        .set("ratio");
    insta::assert_snapshot!(errors(loader), @r#"
    environment variable STEADFAST_DB__POLL: unknown key 'poll' in [db]; did you mean 'pool'?
    environment variable STEADFAST_DB__POOL: wrong type for 'pool' in [db]: expected a whole number >= 0, found string "many"
    --set ratio: expected key=value, like `--set ratio=...`
    --set tls.enabeld=true: unknown key 'enabeld' in [db.tls]; did you mean 'enabled'?
    "#);
}

#[test]
fn syntax_errors_in_each_format_are_located() {
    let cases = [
        ("bad.toml", "[db]\npool = = 3\n"),
        ("bad.json", "{\n  \"db\": {\"pool\": 3,}\n}"),
        ("bad.yaml", "db:\n  pool: 3\n   tags: [a]\n"),
    ];
    if !cfg!(feature = "yaml") {
        return;
    }
    let shown: Vec<String> = cases
        .iter()
        .map(|(name, text)| errors(Loader::new().text(*name, *text).env_vars(no_env())))
        .collect();
    insta::assert_snapshot!(shown.join("\n"));
}

#[test]
fn missing_and_unsupported_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.toml");
    let ini = dir.path().join("db.ini");
    steadfast_core::atomic_write(&ini, "pool=3").unwrap();
    let text = errors(Loader::new().file(&missing).file(&ini).env_vars(no_env()));
    assert!(
        text.contains("nope.toml: cannot read the configuration file"),
        "{text}"
    );
    assert!(
        text.contains("db.ini: unsupported configuration file extension"),
        "{text}"
    );
    // An optional file that is absent is no problem.
    Loader::new()
        .optional_file(&missing)
        .env_vars(no_env())
        .load_section::<Db>("db")
        .unwrap();
}

#[test]
fn profile_overlays_and_a_missing_profile_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("steadfast.toml");
    steadfast_core::atomic_write(&base, "[db]\npool = 2\nratio = 0.2\n").unwrap();
    steadfast_core::atomic_write(dir.path().join("steadfast.prod.toml"), "[db]\npool = 16\n")
        .unwrap();
    let prod = Loader::new()
        .file(&base)
        .profile(Some("prod"))
        .env_vars(no_env())
        .load_section::<Db>("db")
        .unwrap();
    assert_eq!((prod.value().pool, prod.value().ratio), (16, 0.2));
    assert_eq!(prod.origin("pool").layer, Layer::Profile);
    let err = errors(
        Loader::new()
            .file(&base)
            .profile(Some("staging"))
            .env_vars(no_env()),
    );
    assert!(err.contains("profile 'staging' was selected but"), "{err}");
    assert!(
        err.contains("steadfast.staging.toml does not exist"),
        "{err}"
    );
}

#[test]
fn secrets_from_files_and_variables_are_used_but_never_shown() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("pg-password");
    steadfast_core::atomic_write(&secret, "s3cr3t\n").unwrap();
    let text = format!(
        "[db]\nurl = \"postgres://etl:${{PGPASS}}@${{PGHOST:-localhost}}/fhir\"\npassword_file = \"{}\"\n",
        secret.display()
    );
    let db = Loader::new()
        .toml_str("db.toml", text)
        .env_vars([("PGPASS", "hunter2")])
        .load_section::<Db>("db")
        .unwrap();
    assert_eq!(db.value().password, "s3cr3t");
    assert_eq!(db.value().url, "postgres://etl:hunter2@localhost/fhir");
    let shown = db.to_toml();
    assert!(
        !shown.contains("s3cr3t") && !shown.contains("hunter2"),
        "{shown}"
    );
    insta::assert_snapshot!(shown.replace(&secret.display().to_string(), "<secret>"));

    let err = errors(
        Loader::new()
            .toml_str(
                "db.toml",
                "[db]\npassword_file = \"/nonexistent/pw\"\nurl = \"${NOPE}\"\n",
            )
            .env_vars(no_env()),
    );
    assert!(
        err.contains("db.toml:2:17: cannot read the secret file /nonexistent/pw"),
        "{err}"
    );
    assert!(
        err.contains("db.toml:3:7: environment variable NOPE is not set"),
        "{err}"
    );
}

#[test]
fn effective_configuration_is_written_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let db = Loader::new()
        .toml_str("db.toml", "[db]\npool = 3\n")
        .set("db.ratio=0.25")
        .env_vars(no_env())
        .load_section::<Db>("db")
        .unwrap();
    let out = dir.path().join("effective.toml");
    db.write(&out).unwrap();
    let written = std::fs::read_to_string(&out).unwrap();
    insta::assert_snapshot!(written);
    // What is written reads back as the same configuration.
    let again = Loader::new()
        .file(&out)
        .env_vars(no_env())
        .load_section::<Db>("db")
        .unwrap();
    assert_eq!(again.value(), db.value());
}

#[derive(Debug, Clone, Copy)]
enum Setter {
    File,
    Profile,
    Env,
    Override,
}

proptest! {
    /// Whatever subset of layers sets `pool`, the highest one wins and is named as origin.
    #[test]
    fn highest_layer_wins(values in proptest::collection::vec(proptest::option::of(1u32..1000), 4)) {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("s.toml");
        let setters = [Setter::File, Setter::Profile, Setter::Env, Setter::Override];
        let mut loader = Loader::new();
        let mut env = Vec::new();
        let mut file_text = String::from("[db]\n");
        let mut profile_text = String::from("[db]\n");
        let mut expected = (4u32, Layer::Default);
        for (setter, value) in setters.iter().zip(&values) {
            let Some(v) = value else { continue };
            match setter {
                Setter::File => { file_text.push_str(&format!("pool = {v}\n")); expected = (*v, Layer::File); }
                Setter::Profile => { profile_text.push_str(&format!("pool = {v}\n")); expected = (*v, Layer::Profile); }
                Setter::Env => { env.push(("STEADFAST_DB__POOL".to_owned(), v.to_string())); expected = (*v, Layer::Environment); }
                Setter::Override => { loader = loader.set(&format!("pool={v}")); expected = (*v, Layer::Override); }
            }
        }
        steadfast_core::atomic_write(&base, &file_text).unwrap();
        steadfast_core::atomic_write(dir.path().join("s.p.toml"), &profile_text).unwrap();
        let db = loader.file(&base).profile(Some("p")).env_vars(env).load_section::<Db>("db").unwrap();
        prop_assert_eq!(db.value().pool, expected.0);
        prop_assert_eq!(db.origin("pool").layer, expected.1);
    }
}
