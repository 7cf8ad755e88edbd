//! Bulk Data export, the rest: the access token on every request of the job and file
//! (and a file elsewhere refused while the token is required, fetched without it when it
//! is not), a count that does not match the manifest, gzip output.

use std::path::PathBuf;

use crate::bulk::{assert_identical, client, export, export_files, validate};
use crate::bulk_server::{BulkServer, Script};
use crate::smart_server::{CLIENT_ID, KID, SCOPE, SmartServer};
use jsonwebtoken::Algorithm;
use steadfast_fhir::{FhirError, PrivateKey, STATE_FILE, SmartAuth};
use steadfast_retry::ManualClock;

fn smart_auth(smart: &SmartServer, clock: &ManualClock) -> SmartAuth {
    let keys = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/keys");
    SmartAuth::builder(CLIENT_ID)
        .kid(KID)
        .scope(SCOPE)
        .token_url(smart.token_url())
        .key(PrivateKey::from_file(keys.join("rsa-test-only.pem")).unwrap())
        .clock(clock.clone())
        .build()
        .unwrap()
}

fn public_key() -> String {
    let keys = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/keys");
    std::fs::read_to_string(keys.join("rsa-test-only.pub.pem")).unwrap()
}

#[test]
fn the_token_goes_with_every_request_and_never_to_another_origin() {
    let clock = ManualClock::new();
    let smart = SmartServer::start(&public_key(), Algorithm::RS384);
    let (files, errors) = export_files(10);
    let script = Script {
        pending: 1,
        retry_after: 2,
        requires_token: true,
        ..Script::default()
    };
    let server = BulkServer::start(files.clone(), errors.clone(), script, &clock);
    let client = client(&server, &clock).auth(smart_auth(&smart, &clock));
    let out = tempfile::tempdir().unwrap();
    export(&client, out.path(), &clock).run().unwrap();
    let log = server.take_log();
    let issued = smart.issued();
    assert_eq!(issued.len(), 1);
    let bearer = format!("Bearer {}", issued[0]);
    // Kick-off, two polls, five files, the delete.
    assert_eq!(log.authorization.len(), 9, "{:?}", log.authorization);
    for (path, auth) in &log.authorization {
        assert_eq!(auth.as_deref(), Some(bearer.as_str()), "{path}");
    }
    assert_identical(out.path(), &files, &errors);

    // Files listed on another origin while the token is required: refused, never sent.
    server.script(|s| s.foreign_files = true);
    let other = tempfile::tempdir().unwrap();
    let err = export(&client, other.path(), &clock).run().unwrap_err();
    let FhirError::FilesFailed { failed, first } = &err else {
        panic!("{err}");
    };
    assert_eq!(*failed, files.len() + errors.len());
    assert!(first.to_string().contains("another origin"), "{first}");
    let log = server.take_log();
    assert!(
        !log.authorization
            .iter()
            .any(|(p, _)| p.starts_with("/fhir/files/")),
        "{:?}",
        log.authorization
    );
    assert!(other.path().join(STATE_FILE).exists());

    // Without requiresAccessToken, files elsewhere are fetched with no credentials.
    server.script(|s| s.requires_token = false);
    let third = tempfile::tempdir().unwrap();
    export(&client, third.path(), &clock).run().unwrap();
    let log = server.take_log();
    let file_auth: Vec<_> = log
        .authorization
        .iter()
        .filter(|(p, _)| p.starts_with("/fhir/files/"))
        .collect();
    assert_eq!(file_auth.len(), files.len() + errors.len());
    assert!(file_auth.iter().all(|(_, a)| a.is_none()), "{file_auth:?}");
    assert_identical(third.path(), &files, &errors);
}

#[test]
fn a_count_that_differs_from_the_manifest_names_the_file_and_keeps_the_others() {
    let clock = ManualClock::new();
    let (files, errors) = export_files(10);
    let script = Script {
        wrong_count: Some("Condition-1".into()),
        ..Script::default()
    };
    let server = BulkServer::start(files, errors, script, &clock);
    let client = client(&server, &clock);
    let out = tempfile::tempdir().unwrap();
    let err = export(&client, out.path(), &clock).run().unwrap_err();
    let FhirError::FilesFailed { failed: 1, first } = &err else {
        panic!("{err}");
    };
    assert!(
        matches!(&**first, FhirError::CountMismatch { file, expected, found }
            if file == "Condition.ndjson" && *expected == *found + 1),
        "{first}"
    );
    assert!(!out.path().join("Condition.ndjson").exists());
    assert!(out.path().join("Patient.ndjson").exists());
    assert!(out.path().join(STATE_FILE).exists());
    assert_eq!(server.take_log().deletes, 0, "the job is kept for a rerun");
}

#[test]
fn gzip_output_is_listed_with_the_compressed_digest_and_validates() {
    let clock = ManualClock::new();
    let (files, errors) = export_files(15);
    let server = BulkServer::start(files.clone(), errors, Script::default(), &clock);
    let client = client(&server, &clock);
    let out = tempfile::tempdir().unwrap();
    let summary = export(&client, out.path(), &clock)
        .gzip(true)
        .run()
        .unwrap();
    for (t, _, data) in &files {
        let gz = std::fs::read(out.path().join(format!("{t}.ndjson.gz"))).unwrap();
        let mut plain = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut plain).unwrap();
        assert!(plain == *data, "{t}");
        let listed = summary
            .files
            .iter()
            .find(|f| f.name == format!("{t}.ndjson.gz"))
            .unwrap();
        assert_eq!(listed.bytes, gz.len() as u64);
    }
    validate(out.path());
}

#[test]
fn one_export_at_a_time_per_directory() {
    let clock = ManualClock::new();
    let (files, errors) = export_files(5);
    let server = BulkServer::start(files, errors, Script::default(), &clock);
    let client = client(&server, &clock);
    let out = tempfile::tempdir().unwrap();
    let held = std::fs::File::open(out.path()).unwrap();
    held.lock().unwrap();
    let err = export(&client, out.path(), &clock).run().unwrap_err();
    assert!(
        err.to_string().contains("another export is running"),
        "{err}"
    );
    assert!(server.take_log().kickoffs.is_empty());
    held.unlock().unwrap();
    export(&client, out.path(), &clock).run().unwrap();
}

#[test]
fn polls_cost_no_retries_no_budget_and_nothing_of_the_breaker() {
    let clock = ManualClock::new();
    let (files, errors) = export_files(5);
    let script = Script {
        pending: 6,
        too_fast: 4,
        retry_after: 3,
        ..Script::default()
    };
    let server = BulkServer::start(files.clone(), errors.clone(), script, &clock);
    // No retries at all, an empty budget, a breaker that opens on the first failure: ten
    // polls answered 429 or 202 must not touch any of them.
    let breaker = steadfast_retry::CircuitBreaker::builder()
        .consecutive_failures(1)
        .build();
    let policy = steadfast_retry::RetryPolicy::exponential()
        .max_retries(0)
        .budget(steadfast_retry::RetryBudget::new(0.0, 0.0))
        .circuit_breaker(breaker.clone())
        .manual_clock(&clock);
    let client = steadfast_fhir::FhirClient::new(
        &server.base(),
        &steadfast_http::HttpSettings::default().no_proxy(),
        policy,
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let summary = export(&client, out.path(), &clock).run().unwrap();
    assert_eq!(summary.polls, 11);
    assert_eq!(breaker.state(), steadfast_retry::CircuitState::Closed);
    let log = server.take_log();
    assert_eq!(log.early_polls, 0);
    for pair in log.polls.windows(2) {
        assert!(
            pair[1] - pair[0] >= std::time::Duration::from_secs(3),
            "{pair:?}"
        );
    }
    assert_identical(out.path(), &files, &errors);
}

#[test]
fn a_partial_answer_from_the_wrong_byte_starts_the_file_over() {
    let clock = ManualClock::new();
    let (files, errors) = export_files(10);
    let script = Script {
        cut: ["Observation-1".to_owned()].into(),
        bad_range: ["Observation-1".to_owned()].into(),
        ..Script::default()
    };
    let server = BulkServer::start(files.clone(), errors.clone(), script, &clock);
    let client = client(&server, &clock);
    let out = tempfile::tempdir().unwrap();
    export(&client, out.path(), &clock).run().unwrap();
    let log = server.take_log();
    let ranges: Vec<_> = log
        .file_requests
        .iter()
        .filter(|r| r.0 == "Observation-1")
        .map(|r| r.1.is_some())
        .collect();
    // Cut, a Range answered from byte 0 (refused), then the whole file again.
    assert_eq!(ranges, [false, true, false]);
    assert_identical(out.path(), &files, &errors);
    validate(out.path());
}
