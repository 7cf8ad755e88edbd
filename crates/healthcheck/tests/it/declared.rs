//! `[[health.checks]]`: every bad entry reported where it was written, secrets never shown,
//! and declared checks that pass and fail against real things on 127.0.0.1.

use std::time::Duration;

use steadfast_core::Status;
use steadfast_core::config::Loader;
use steadfast_healthcheck::{CheckSpec, Error, Group, HealthConfig, HealthRegistry};

fn load(toml: &str, env: &[(&str, &str)]) -> Result<HealthConfig, String> {
    Loader::new()
        .toml_str("s.toml", toml)
        .env_vars(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())))
        .load_section::<HealthConfig>("health")
        .map(|e| e.value().clone())
        .map_err(|e| e.to_string())
}

#[cfg(feature = "diskwatch")]
#[test]
fn every_bad_entry_is_reported_at_its_place_with_a_suggestion() {
    let toml = r#"[health]
check_ttl = "5s"

[[health.checks]]
name = "db:ping"
kind = "tcp"
adr = "127.0.0.1:5432"

[[health.checks]]
name = "ehr"
kind = "fhri"
url = "http://x/fhir"

[[health.checks]]
name = "ehr:metadata"
kind = "fhir"
url = "ftp://ehr.example/fhir"
groups = ["live", "redy"]

[[health.checks]]
name = "ehr:metadata"
kind = "disk"
addr = "x:1"
timeout = "2h"
ttl = "5s"
interval = "10s"
fail_after = 0

[[health.checks]]
name = "cache"
kind = "redis"
url = "redis://:s3cret@"
max_stale = "1s"

[[health.checks]]
name = "db primary"
kind = "postgres"
url = "postgres://etl:s3cret@[::1"
"#;
    let err = load(toml, &[]).unwrap_err();
    assert!(!err.contains("s3cret"), "{err}");
    insta::assert_snapshot!(err, @r#"
    s.toml:7:1: unknown key 'adr' in [health.checks[0]]; did you mean 'addr'?
    s.toml:11:8: invalid value 'fhri' for 'kind' in [health.checks[1]]: expected one of disk, memory, tcp, http, fhir, postgres, redis, staleness, runtime; did you mean 'fhir'?
    s.toml:17:7: 'ftp://ehr.example/fhir' is not an http:// or https:// URL, like "https://ehr.example/fhir"
    s.toml:18:11: a fhir check touches an external system and cannot be in the live group: a restart cannot fix a dependency; use "ready"
    s.toml:18:19: unknown group 'redy'; did you mean 'ready'? (a group of your own needs a name that is not a near miss of live, ready or startup)
    s.toml:21:8: check 'ehr:metadata' is declared twice; names identify checks in reports, rename one
    s.toml:22:8: a disk check needs 'path'; add it, like path = "/data"
    s.toml:23:8: 'addr' does not apply to a disk check; it takes: path, min_free
    s.toml:24:11: 2h is out of range for timeout: expected at most 1h
    s.toml:26:12: set either ttl (refreshed when probed) or interval (refreshed on a timer), not both
    s.toml:27:14: 0 is out of range for fail_after: expected 1 to 100, like 3
    s.toml:32:7: invalid Redis connection string: not a URL (empty host), like "rediss://cache.internal:6380"
    s.toml:33:13: 1s is out of range for max_stale: expected longer than the refresh period (5s), or leave it unset for 3 × that
    s.toml:36:8: 'db primary' is not a check name: at most 128 characters, no spaces, '/' or control characters (it is a path segment of …/checks/{name})
    s.toml:38:7: invalid PostgreSQL connection string: expected postgres://user@host:5432/db or host=… user=… dbname=…
    "#);
}

#[test]
fn passwords_from_files_and_the_environment_are_never_shown() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("pg-password");
    steadfast_core::atomic_write(&secret, "pg-s3cret\n").unwrap();
    let toml = format!(
        r#"[[health.checks]]
name = "db:ping"
kind = "postgres"
url = "postgres://etl@127.0.0.1:5432/fhir"
password_file = "{}"

[[health.checks]]
name = "cache:ping"
kind = "redis"
url = "redis://:${{REDIS_PASSWORD}}@127.0.0.1:6379"
groups = ["ready", "batch"]
"#,
        secret.display()
    );
    let effective = Loader::new()
        .toml_str("s.toml", toml)
        .env_vars([("REDIS_PASSWORD", "redis-s3cret")])
        .load_section::<HealthConfig>("health")
        .unwrap();
    let cfg = effective.value();
    assert_eq!(cfg.checks[0].password.as_deref(), Some("pg-s3cret"));
    let shown = format!("{}\n{cfg:?}", effective.to_toml());
    assert!(
        shown.contains("db:ping") && shown.contains("[[health.checks]]"),
        "{shown}"
    );
    for secret in ["pg-s3cret", "redis-s3cret"] {
        assert!(!shown.contains(secret), "{secret} shown in:\n{shown}");
    }
}

#[cfg(feature = "diskwatch")]
#[tokio::test]
async fn declared_checks_run_against_real_things() {
    let fhir =
        crate::fhir_stub(r#"{"resourceType":"CapabilityStatement","fhirVersion":"4.0.1"}"#).await;
    let closed = crate::closed_port().await;
    let dir = tempfile::tempdir().unwrap();
    let toml = format!(
        r#"[health]
check_timeout = "1s"

[[health.checks]]
name = "ehr:metadata"
kind = "fhir"
url = "http://{fhir}/"

[[health.checks]]
name = "ehr:http"
kind = "http"
url = "http://localhost:{port}/metadata"
groups = ["ready", "batch"]

[[health.checks]]
name = "queue:connect"
kind = "tcp"
addr = "{closed}"
critical = false

[[health.checks]]
name = "disk:utilization"
kind = "disk"
path = "{dir}"
interval = "10s"

[[health.checks]]
name = "pipeline:staleness"
kind = "staleness"
runs_root = "{dir}"
pipeline = "epic-fhir"
max_age = "26h"
groups = ["batch"]
"#,
        port = fhir.port(),
        dir = dir.path().display(),
    );
    let cfg = load(&toml, &[]).unwrap();
    let health = HealthRegistry::from_config(&cfg)
        .declare(&cfg.checks)
        .unwrap()
        .start();
    health.first_round(Duration::from_secs(5)).await;
    let ready = health.report(Some(&Group::Ready));
    let status = |name: &str| ready.checks[name][0].result.clone();
    assert_eq!(status("ehr:metadata").observed_value, Some(4.01));
    assert_eq!(status("ehr:http").status, Status::Pass, "{ready:?}");
    assert_eq!(status("queue:connect").output, Some("connection refused"));
    assert_eq!(status("disk:utilization").observed_unit, Some("percent"));
    // The non-critical failure degrades readiness to warn.
    assert_eq!(ready.status, Status::Warn);
    let batch = health.report(Some(&Group::Custom("batch".into())));
    assert_eq!(
        batch.checks.keys().collect::<Vec<_>>(),
        ["ehr:http", "pipeline:staleness"]
    );
    assert_eq!(batch.status, Status::Fail, "no finished run");
}

#[tokio::test]
async fn declared_datastores_pass_against_the_live_services() {
    let Some(pg) = steadfast_testkit::require_service("STEADFAST_TEST_PG", "PostgreSQL") else {
        return;
    };
    let Some(redis) = steadfast_testkit::require_service("STEADFAST_TEST_REDIS", "Redis") else {
        return;
    };
    let toml = r#"[[health.checks]]
name = "db:ping"
kind = "postgres"
url = "${PG_URL}"

[[health.checks]]
name = "cache:ping"
kind = "redis"
url = "${REDIS_URL}"
"#;
    let cfg = load(toml, &[("PG_URL", &pg), ("REDIS_URL", &redis)]).unwrap();
    let health = HealthRegistry::from_config(&cfg)
        .declare(&cfg.checks)
        .unwrap()
        .start();
    health.first_round(Duration::from_secs(5)).await;
    let report = health.report(None);
    #[cfg(feature = "postgres")]
    assert_eq!(report.status, Status::Pass, "{report:?}");
    assert_eq!(report.checks["cache:ping"][0].result.status, Status::Pass);
}

#[test]
fn checks_declared_in_code_are_checked_the_same_way() {
    let spec = CheckSpec {
        name: "db:ping".into(),
        kind: Some(steadfast_healthcheck::CheckKind::Tcp),
        addr: Some("db.internal".into()),
        ..CheckSpec::default()
    };
    let err = HealthRegistry::new().declare(&[spec]).unwrap_err();
    assert!(matches!(err, Error::InvalidCheck { .. }));
    assert_eq!(
        err.to_string(),
        "invalid check at [health] checks[0].addr: 'db.internal' is not host:port, like \"db.internal:5432\""
    );
}

#[cfg(all(feature = "diskwatch", feature = "postgres"))]
#[test]
fn the_commented_example_in_configs_is_valid() {
    let shipped = include_str!("../../../../configs/steadfast.toml");
    let start = shipped.find("# [[health.checks]]").unwrap();
    let example: String = shipped[start..]
        .lines()
        .map(|l| l.strip_prefix("# ").unwrap_or(l))
        // Secret and certificate files exist on the operator's machine only; they are read
        // when the checks are declared.
        .map(|l| {
            if l.starts_with("password_file") {
                "password = \"${PGPASSWORD:-x}\"".to_owned()
            } else if l.starts_with("token_file") {
                "token = \"x\"".to_owned()
            } else if l.starts_with("ca_file") {
                String::new()
            } else {
                l.replace("sslrootcert=/etc/ssl/db-ca.pem", "sslrootcert=system")
            }
        })
        .map(|l| l + "\n")
        .collect();
    let cfg = load(&example, &[]).unwrap();
    assert_eq!(cfg.checks.len(), 9);
    let registry = HealthRegistry::from_config(&cfg)
        .declare(&cfg.checks)
        .unwrap();
    let _ = registry;
}
