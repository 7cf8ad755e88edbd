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

fn problems(toml: &str) -> String {
    Loader::new()
        .toml_str("s.toml", toml)
        .env_vars::<_, String, String>([])
        .load_section::<HealthConfig>("health")
        .map(|_| String::new())
        .unwrap_or_else(|e| e.to_string())
}

#[test]
fn durations_that_meet_the_clock_are_range_checked_with_their_place() {
    // Refused while parsing (longer than any configuration may say), never at a request.
    let err = problems("[health]\nheader_read_timeout = \"300000000000years\"\n");
    assert!(err.starts_with("s.toml:2:"), "{err}");
    assert!(err.contains("header_read_timeout"), "{err}");
    insta::assert_snapshot!(
        problems("[health]\nheader_read_timeout = \"2h\"\ndrain = \"100years\"\ncheck_timeout = \"2h\"\ncheck_ttl = \"2d\"\n"),
        @r"
    s.toml:2:23: 2h is out of range for header_read_timeout: expected at most 1h, like `5s`
    s.toml:3:9: 100years is out of range for drain: expected at most 1h, like `5s`
    s.toml:4:17: 2h is out of range for check_timeout: expected at most 1h, like `5s`
    s.toml:5:13: 2days is out of range for check_ttl: expected at most 1day, like `5s`
    "
    );
}

#[test]
fn max_stale_and_the_concurrency_bound_are_range_checked() {
    insta::assert_snapshot!(
        problems("[health]\ncheck_ttl = \"10s\"\ncheck_max_stale = \"5s\"\nmax_concurrent_checks = 0\n"),
        @r"
    s.toml:3:19: 5s is out of range for check_max_stale: expected longer than check_ttl (10s), or leave it unset for 3 × the TTL
    s.toml:4:25: 0 is out of range for max_concurrent_checks: expected 1 to 1024, like 16
    "
    );
    assert_eq!(
        problems("[health]\ncheck_max_stale = \"1m\"\nmax_concurrent_checks = 4\n"),
        ""
    );
}
