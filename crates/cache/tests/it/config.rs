//! `[cache]` through the layered loader: files, the environment, typos.

use steadfast_cache::{CacheConfig, Tiers};
use steadfast_core::config::Loader;

fn write(dir: &tempfile::TempDir, text: &str) -> std::path::PathBuf {
    let path = dir.path().join("steadfast.toml");
    steadfast_core::atomic_write(&path, text).unwrap();
    path
}

#[test]
fn a_file_configures_and_the_environment_switches_off() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        &dir,
        "[cache]\nenabled = true\ntiers = \"both\"\ncapacity = \"64MiB\"\nredis_url = \"redis://127.0.0.1:6379\"\n",
    );
    let on = Loader::new()
        .file(&file)
        .env_vars(Vec::<(String, String)>::new())
        .load_section::<CacheConfig>("cache")
        .unwrap();
    assert!(on.value().enabled);
    assert_eq!(on.value().tiers, Tiers::Both);
    assert_eq!(on.value().capacity.bytes(), 64 << 20);
    assert!(on.value().cache().unwrap().is_enabled());

    let off = Loader::new()
        .file(&file)
        .env_vars([("STEADFAST_CACHE__ENABLED", "false")])
        .load_section::<CacheConfig>("cache")
        .unwrap();
    assert!(!off.value().enabled);
    assert!(!off.value().cache().unwrap().is_enabled());
}

#[test]
fn typos_and_bad_values_are_located_with_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        &dir,
        "[cache]\nenabled = true\nnegativ_ttl = \"10s\"\nhit_ratio_warn = 1.5\ntiers = \"redis\"\n",
    );
    let err = Loader::new()
        .file(&file)
        .env_vars(Vec::<(String, String)>::new())
        .load_section::<CacheConfig>("cache")
        .unwrap_err()
        .to_string()
        .replace(&dir.path().display().to_string(), "<dir>");
    insta::assert_snapshot!(err);
}
