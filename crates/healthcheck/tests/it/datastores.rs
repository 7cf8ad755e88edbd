//! Redis and PostgreSQL checks against the machine's real services, when their URLs are
//! given in `STEADFAST_TEST_REDIS` / `STEADFAST_TEST_PG` (`.ci/run` exports both; in CI an
//! unset one fails the test).

#[cfg(any(feature = "postgres", feature = "redis"))]
use steadfast_core::Status;
#[cfg(any(feature = "postgres", feature = "redis"))]
use steadfast_healthcheck::Check;

#[cfg(feature = "redis")]
#[tokio::test]
async fn redis_ping() {
    use steadfast_healthcheck::RedisCheck;
    let Some(url) = steadfast_testkit::require_service("STEADFAST_TEST_REDIS", "Redis") else {
        return;
    };
    let out = RedisCheck::new(&url).unwrap().check().await;
    assert_eq!(out.status, Status::Pass, "{out:?}");
    assert_eq!(out.observed_unit, Some("ms"));
    let closed = RedisCheck::new(&format!("redis://{}", crate::closed_port().await)).unwrap();
    assert_eq!(closed.check().await.output, Some("connection failed"));
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_select_1() {
    use steadfast_healthcheck::PostgresCheck;
    let Some(url) = steadfast_testkit::require_service("STEADFAST_TEST_PG", "PostgreSQL") else {
        return;
    };
    let out = PostgresCheck::new(&url).unwrap().check().await;
    assert_eq!(out.status, Status::Pass, "{out:?}");
    let wrong =
        PostgresCheck::new("postgres://postgres@127.0.0.1:5432/no_such_database_here").unwrap();
    assert_eq!(wrong.check().await.output, Some("connection failed"));
    assert!(PostgresCheck::new("postgres://[::1").is_err());

    // With the application's pool: its statistics ride along as details.
    struct Pool;
    impl steadfast_healthcheck::PoolStats for Pool {
        fn status(&self) -> steadfast_healthcheck::PoolStatus {
            steadfast_healthcheck::PoolStatus {
                size: 4,
                idle: 3,
                waiting: 0,
                max: 16,
            }
        }
    }
    let out = PostgresCheck::new(&url)
        .unwrap()
        .with_pool(Pool)
        .check()
        .await;
    assert_eq!(out.status, Status::Pass, "{out:?}");
    assert_eq!(out.details["pool_in_use"], 1.0);
    assert_eq!(out.details["pool_max"], 16.0);
}
