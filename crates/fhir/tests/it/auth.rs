//! SMART Backend Services against a token server that verifies every assertion with the
//! client's public key: one token serves many requests (and many concurrent ones), it is
//! refreshed before it expires on the injected clock, a revoked token costs one refresh and
//! no retry, a refused assertion is a typed error — and neither the key nor a token nor an
//! assertion ever shows in an error or a `Debug`.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use jsonwebtoken::Algorithm;
use steadfast_fhir::{FhirClient, FhirError, PrivateKey, SmartAuth};
use steadfast_http::HttpSettings;
use steadfast_retry::{GiveUpReason, Jitter, ManualClock, RetryPolicy};

use crate::smart_server::{CLIENT_ID, KID, SCOPE, SmartServer};

fn keys_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/keys")
}

/// The committed test-only RSA key: (private key file, public key PEM).
fn rsa() -> (PathBuf, String) {
    let public = std::fs::read_to_string(keys_dir().join("rsa-test-only.pub.pem")).unwrap();
    (keys_dir().join("rsa-test-only.pem"), public)
}

/// A fresh EC P-384 key pair: (private key PEM, public key PEM).
fn ec() -> (String, String) {
    let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
    (pair.serialize_pem(), pair.public_key_pem())
}

fn auth(key: PrivateKey, token_url: Option<&str>, clock: &ManualClock) -> SmartAuth {
    let builder = SmartAuth::builder(CLIENT_ID)
        .kid(KID)
        .scope(SCOPE)
        .key(key)
        .clock(clock.clone());
    match token_url {
        Some(url) => builder.token_url(url),
        None => builder,
    }
    .build()
    .unwrap()
}

fn client(server: &SmartServer, auth: SmartAuth, retries: u32) -> FhirClient {
    let policy = RetryPolicy::exponential()
        .initial_interval(Duration::from_millis(100))
        .jitter(Jitter::None)
        .max_retries(retries)
        .manual_clock(&ManualClock::new());
    let settings = HttpSettings::default()
        .no_proxy()
        .timeout(Duration::from_secs(10));
    FhirClient::new(&server.base(), &settings, policy)
        .unwrap()
        .auth(auth)
}

/// The lines of a PEM's base64 body: none may show anywhere.
fn pem_lines(pem: &str) -> Vec<String> {
    pem.lines()
        .filter(|l| !l.starts_with("-----") && l.len() > 16)
        .map(str::to_owned)
        .collect()
}

fn assert_hidden(shown: &str, secrets: &[String]) {
    for secret in secrets {
        assert!(
            !shown.contains(secret.as_str()),
            "{secret} shows in {shown}"
        );
    }
}

#[test]
fn rs384_one_token_serves_many_requests_and_never_shows() {
    let (key_file, public) = rsa();
    let server = SmartServer::start(&public, Algorithm::RS384);
    let key = PrivateKey::from_file(&key_file).unwrap();
    assert_eq!(key.algorithm(), "RS384");
    let clock = ManualClock::new();
    let client = client(&server, auth(key, Some(server.token_url()), &clock), 0);

    for n in 1..=5 {
        let patient = client.read("Patient", &format!("p{n}")).unwrap();
        assert_eq!(patient["id"], format!("p{n}"));
    }
    assert_eq!(server.refusals(), Vec::<String>::new());
    assert_eq!((server.token_requests(), server.reads()), (1, 5));
    assert_eq!(client.smart_auth().unwrap().tokens_fetched(), 1);
    assert_eq!(
        server.discoveries(),
        0,
        "a configured token URL is not discovered"
    );

    let shown = format!("{client:?}");
    let private = std::fs::read_to_string(&key_file).unwrap();
    let mut secrets = pem_lines(&private);
    secrets.extend(server.issued());
    secrets.extend(server.assertions());
    assert_hidden(&shown, &secrets);
    assert!(
        shown.contains("RS384") && shown.contains(CLIENT_ID),
        "{shown}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn es384_discovered_endpoint_one_token_for_concurrent_requests() {
    let (private, public) = ec();
    let server = SmartServer::start(&public, Algorithm::ES384);
    let key = PrivateKey::from_pem(&private).unwrap();
    assert_eq!(key.algorithm(), "ES384");
    let client = Arc::new(client(&server, auth(key, None, &ManualClock::new()), 0));

    // The token answer waits until every request is under way: without single flight each
    // would send a token request of its own.
    server.close_gate();
    let started = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (1..=8)
        .map(|n| {
            let (client, started) = (client.clone(), started.clone());
            tokio::spawn(async move {
                started.fetch_add(1, Ordering::SeqCst);
                client.read_async("Patient", &format!("p{n}")).await
            })
        })
        .collect();
    while started.load(Ordering::SeqCst) < 8 || server.token_requests() == 0 {
        tokio::task::yield_now().await;
    }
    for _ in 0..200 {
        tokio::task::yield_now().await;
    }
    server.open_gate();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(server.refusals(), Vec::<String>::new());
    assert_eq!(
        (
            server.discoveries(),
            server.token_requests(),
            server.reads()
        ),
        (1, 1, 8)
    );
}

#[test]
fn a_token_is_refreshed_before_it_expires() {
    let (key_file, public) = rsa();
    let server = SmartServer::start(&public, Algorithm::RS384);
    server.expires_in(300); // refreshed 30 s early: a tenth of its lifetime
    let clock = ManualClock::new();
    let key = PrivateKey::from_file(&key_file).unwrap();
    let client = client(&server, auth(key, Some(server.token_url()), &clock), 0);

    client.read("Patient", "p1").unwrap();
    clock.advance(Duration::from_secs(269));
    client.read("Patient", "p1").unwrap();
    assert_eq!(server.token_requests(), 1);
    clock.advance(Duration::from_secs(2));
    client.read("Patient", "p1").unwrap();
    assert_eq!(server.token_requests(), 2);
    assert_eq!(server.jtis(), 2, "each assertion has a jti of its own");
    assert_eq!(server.unauthorized(), 0);
}

#[test]
fn a_revoked_token_costs_one_refresh_and_no_retry() {
    let (key_file, public) = rsa();
    let server = SmartServer::start(&public, Algorithm::RS384);
    let key = PrivateKey::from_file(&key_file).unwrap();
    // No retries at all: the 401 and its second try live inside one attempt.
    let client = client(&server, auth(key, None, &ManualClock::new()), 0);

    client.read("Patient", "p1").unwrap();
    server.revoke_all();
    let patient = client.read("Patient", "p2").unwrap();
    assert_eq!(patient["id"], "p2");
    assert_eq!(
        (
            server.token_requests(),
            server.unauthorized(),
            server.reads()
        ),
        (2, 1, 3)
    );
}

#[test]
fn a_second_401_is_permanent() {
    let (key_file, public) = rsa();
    let server = SmartServer::start(&public, Algorithm::RS384);
    server.reject_bearers();
    let key = PrivateKey::from_file(&key_file).unwrap();
    let client = client(&server, auth(key, None, &ManualClock::new()), 3);

    let err = client.read("Patient", "p1").unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert!(
        matches!(
            err,
            FhirError::GaveUp {
                attempts: 1,
                reason: GiveUpReason::Permanent,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!((server.token_requests(), server.reads()), (2, 2));
    assert_hidden(&format!("{err} {err:?}"), &server.issued());
}

#[test]
fn a_busy_token_endpoint_is_retried_by_the_policy() {
    let (key_file, public) = rsa();
    let server = SmartServer::start(&public, Algorithm::RS384);
    server.token_faults(&[503]);
    let key = PrivateKey::from_file(&key_file).unwrap();
    let client = client(&server, auth(key, None, &ManualClock::new()), 2);

    client.read("Patient", "p1").unwrap();
    assert_eq!((server.token_requests(), server.reads()), (2, 1));
}

#[test]
fn invalid_client_is_typed_and_shows_no_secret() {
    let (private, public) = ec();
    let server = SmartServer::start(&public, Algorithm::ES384);
    server.reject_assertions();
    let key = PrivateKey::from_pem(&private).unwrap();
    let client = client(
        &server,
        auth(key, Some(server.token_url()), &ManualClock::new()),
        3,
    );

    let err = client.read("Patient", "p1").unwrap_err();
    assert_eq!(err.oauth_error(), Some("invalid_client"));
    let FhirError::GaveUp {
        last: Some(last), ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert!(
        matches!(
            **last,
            FhirError::Token {
                status: Some(400),
                ..
            }
        ),
        "{last:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "GET Patient/p1: gave up after 1 attempt(s) (permanent): access token from {}: \
             the token request was refused (HTTP 400, OAuth error invalid_client)",
            server.token_url()
        )
    );
    // Refused, not retried; the server's description is not repeated either.
    assert_eq!((server.token_requests(), server.reads()), (1, 0));
    let shown = format!("{err} {err:?} {client:?}");
    let mut secrets = pem_lines(&private);
    secrets.extend(server.assertions());
    assert_eq!(server.assertions().len(), 1);
    assert_hidden(&shown, &secrets);
    assert!(!shown.contains("does not verify"), "{shown}");
}

#[test]
fn unusable_keys_are_refused_without_their_text() {
    let (_, public) = rsa();
    let err = PrivateKey::from_pem(&public).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("not a PEM private key (PKCS#1 RSA, or PKCS#8 RSA or EC P-384)"),
        "{err}"
    );
    // A P-256 key parses as EC but cannot sign ES384.
    let p256 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let err = PrivateKey::from_pem(&p256.serialize_pem()).unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(shown.contains("EC key on P-384"), "{shown}");
    assert_hidden(&shown, &pem_lines(&p256.serialize_pem()));

    let err = SmartAuth::builder(CLIENT_ID)
        .key(PrivateKey::from_file(rsa().0).unwrap())
        .build()
        .unwrap_err();
    assert!(matches!(err, FhirError::InvalidAuth { .. }), "{err:?}");
}
