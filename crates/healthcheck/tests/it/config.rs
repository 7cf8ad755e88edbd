//! `[health]`: a token is required for details on authorisation, read from a file, and
//! never shown.

use steadfast_core::config::Loader;
use steadfast_healthcheck::{DetailVisibility, HealthConfig};

#[test]
fn details_on_authorisation_need_a_token_that_is_never_shown() {
    let err = Loader::new()
        .toml_str("s.toml", "[health]\nshow_details = \"when_authorized\"\n")
        .env_vars::<_, String, String>([])
        .load_section::<HealthConfig>("health")
        .unwrap_err();
    insta::assert_snapshot!(err.to_string(), @r#"s.toml:2:16: show_details = "when_authorized" needs a token: set token_file = "/run/secrets/…" or token = "${HEALTH_TOKEN}""#);

    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("token");
    steadfast_core::atomic_write(&secret, "t0ken\n").unwrap();
    let text = format!(
        "[health]\nshow_details = \"when_authorized\"\ntoken_file = \"{}\"\n",
        secret.display()
    );
    let cfg = Loader::new()
        .toml_str("s.toml", text)
        .env_vars::<_, String, String>([])
        .load_section::<HealthConfig>("health")
        .unwrap();
    assert_eq!(cfg.value().show_details, DetailVisibility::WhenAuthorized);
    assert_eq!(cfg.value().token.as_deref(), Some("t0ken"));
    assert!(!cfg.to_toml().contains("t0ken"));
}
