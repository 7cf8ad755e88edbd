//! PostgreSQL with `sslmode=verify-full` and Redis over `rediss://` against real servers with
//! TLS on, started by `steadfast_testkit::servers` with certificates from a test CA.

#[cfg(any(feature = "postgres", feature = "redis"))]
use steadfast_core::Status;
#[cfg(any(feature = "postgres", feature = "redis"))]
use steadfast_healthcheck::Check;
#[cfg(any(feature = "postgres", feature = "redis"))]
use steadfast_testkit::tls::TestCa;

#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_sslmodes_against_a_tls_server() {
    use steadfast_healthcheck::PostgresCheck;
    let ca = TestCa::new();
    let Some(server) = steadfast_testkit::servers::postgres(&ca) else {
        return;
    };
    let (port, root) = (server.port, server.ca.ca.display().to_string());
    let url =
        |host: &str, query: &str| format!("postgres://postgres@{host}:{port}/postgres?{query}");
    let status = |url: String| async move {
        let out = PostgresCheck::new(&url).unwrap().check().await;
        (out.status, out.output)
    };
    let pass = (Status::Pass, None);
    // The certificate names localhost and 127.0.0.1.
    assert_eq!(
        status(url(
            "localhost",
            &format!("sslmode=verify-full&sslrootcert={root}")
        ))
        .await,
        pass
    );
    assert_eq!(
        status(url(
            "127.0.0.1",
            &format!("sslmode=verify-ca&sslrootcert={root}")
        ))
        .await,
        pass
    );
    // libpq: require encrypts without checking the certificate.
    assert_eq!(status(url("localhost", "sslmode=require")).await, pass);
    // Another CA: not trusted, in the fixed phrase.
    let other = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let other_ca = other.write(dir.path()).ca.display().to_string();
    assert_eq!(
        status(url(
            "localhost",
            &format!("sslmode=verify-full&sslrootcert={other_ca}")
        ))
        .await,
        (Status::Fail, Some("certificate not trusted"))
    );
    // require with a root certificate verifies as verify-ca (libpq).
    assert_eq!(
        status(url(
            "localhost",
            &format!("sslmode=require&sslrootcert={other_ca}")
        ))
        .await
        .0,
        Status::Fail
    );
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn redis_over_rediss_with_auth() {
    use steadfast_healthcheck::RedisCheck;
    let ca = TestCa::new();
    let Some(server) = steadfast_testkit::servers::redis(&ca, "s3cret") else {
        return;
    };
    let port = server.port;
    let with_ca = |url: String| {
        RedisCheck::new(&url)
            .unwrap()
            .ca_file(&server.ca.ca)
            .unwrap()
    };
    let out = with_ca(format!("rediss://default:s3cret@localhost:{port}"))
        .check()
        .await;
    assert_eq!(
        (out.status, out.observed_unit),
        (Status::Pass, Some("ms")),
        "{out:?}"
    );
    // The password from a secret, not the URL.
    let check = with_ca(format!("rediss://localhost:{port}")).password("s3cret");
    assert!(!format!("{check:?}").contains("s3cret"));
    assert_eq!(check.check().await.status, Status::Pass);
    let wrong = with_ca(format!("rediss://:nope@localhost:{port}"))
        .check()
        .await;
    assert_eq!(wrong.output, Some("authentication failed"));
    // Without the CA: the system's roots do not know it.
    let out = RedisCheck::new(&format!("rediss://:s3cret@localhost:{port}"))
        .unwrap()
        .check()
        .await;
    assert_eq!(out.output, Some("certificate not trusted"), "{out:?}");
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_server_stats_report_saturation_and_warn_above_the_bound() {
    use std::time::Duration;
    use steadfast_healthcheck::PostgresCheck;
    let ca = TestCa::new();
    let Some(server) = steadfast_testkit::servers::postgres_with(&ca, &[("max_connections", "20")])
    else {
        return;
    };
    let url = format!(
        "postgres://postgres@127.0.0.1:{}/postgres?sslmode=disable",
        server.port
    );
    let check = |bound: f64| {
        PostgresCheck::new(&url)
            .unwrap()
            .server_stats(bound, Duration::from_secs(30))
    };
    let out = check(0.8).check().await;
    assert_eq!(out.status, Status::Pass, "{out:?}");
    // The check's own connection, of 20.
    assert_eq!(out.details["connection_saturation"], 1.0 / 20.0, "{out:?}");
    assert!(
        !out.details.contains_key("replication_lag_seconds"),
        "a primary has no lag"
    );
    assert!(out.observed_value.is_some());
    let out = check(0.01).check().await;
    assert_eq!(
        (out.status, out.output),
        (Status::Warn, Some("connections near max_connections"))
    );
}
