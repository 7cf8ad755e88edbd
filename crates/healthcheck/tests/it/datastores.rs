//! Redis and PostgreSQL checks against the machine's real services, when their URLs are
//! given in `STEADFAST_TEST_REDIS` / `STEADFAST_TEST_PG` (`.ci/run` exports both).

use steadfast_core::Status;
use steadfast_healthcheck::{Check, RedisCheck};

fn var(name: &str) -> Option<String> {
    std::env::vars_os()
        .find(|(k, _)| k == name)
        .and_then(|(_, v)| v.into_string().ok())
        .filter(|v| !v.is_empty())
}

#[tokio::test]
async fn redis_ping() {
    let Some(url) = var("STEADFAST_TEST_REDIS") else {
        println!("skipped: STEADFAST_TEST_REDIS is not set (no Redis to test against)");
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
    let Some(url) = var("STEADFAST_TEST_PG") else {
        println!("skipped: STEADFAST_TEST_PG is not set (no PostgreSQL to test against)");
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
