//! Pool monitoring: `PoolCheck`'s bounds, and `PoolMetrics`' series read from the pool at
//! each scrape, with the wait and its timeouts recorded around the pool's own `get`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::time::Duration;

use steadfast_core::Status;
use steadfast_healthcheck::{Check, PoolCheck, PoolMetrics, PoolStats, PoolStatus, series};

/// A pool whose connections in use and waiters the test sets.
#[derive(Default)]
struct Dial {
    in_use: AtomicU32,
    waiting: AtomicU32,
}

impl PoolStats for Dial {
    fn status(&self) -> PoolStatus {
        let in_use = self.in_use.load(Relaxed);
        PoolStatus {
            size: in_use.max(4),
            idle: in_use.max(4) - in_use,
            waiting: self.waiting.load(Relaxed),
            max: 20,
        }
    }
}

#[tokio::test]
async fn pool_check_warns_at_80_and_fails_at_95_percent_or_too_many_waiters() {
    let dial = Arc::new(Dial::default());
    let check = PoolCheck::new(Arc::clone(&dial));
    let status = |in_use, waiting| {
        dial.in_use.store(in_use, Relaxed);
        dial.waiting.store(waiting, Relaxed);
        let check = check.clone();
        async move {
            let out = check.check().await;
            (out.status, out.output)
        }
    };
    assert_eq!(status(15, 0).await, (Status::Pass, None));
    assert_eq!(
        status(16, 0).await,
        (Status::Warn, Some("pool nearly full"))
    );
    assert_eq!(
        status(18, 1).await.1,
        Some("pool exhausted: callers waiting")
    );
    assert_eq!(status(19, 0).await, (Status::Fail, Some("pool saturated")));
    assert_eq!(
        status(10, 10).await,
        (
            Status::Fail,
            Some("pool exhausted: too many callers waiting")
        )
    );
    let lenient = PoolCheck::new(Arc::clone(&dial))
        .warn_at(0.9)
        .fail_at(1.0)
        .fail_waiters(50);
    dial.in_use.store(19, Relaxed);
    dial.waiting.store(10, Relaxed);
    assert_eq!(lenient.check().await.status, Status::Warn);
    dial.waiting.store(0, Relaxed);
    let out = lenient.check().await;
    assert_eq!((out.status, out.observed_value), (Status::Warn, Some(0.95)));
}

fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

#[tokio::test]
async fn pool_series_follow_the_pool_at_each_scrape() {
    let dial = Arc::new(Dial::default());
    let prom = prometheus::Registry::new();
    let metrics = PoolMetrics::new("db", Arc::clone(&dial))
        .register(&prom, &steadfast_core::Prefix::new("svc").unwrap())
        .unwrap();
    assert!(
        PoolMetrics::new("db", Arc::clone(&dial))
            .register(&prom, &steadfast_core::Prefix::new("svc").unwrap())
            .is_err(),
        "one pool named db per registry"
    );
    PoolMetrics::new("cache", Dial::default())
        .register(&prom, &steadfast_core::Prefix::new("svc").unwrap())
        .unwrap();
    let scrape = || {
        prometheus::TextEncoder::new()
            .encode_to_string(&prom.gather())
            .unwrap()
    };

    dial.in_use.store(12, Relaxed);
    dial.waiting.store(3, Relaxed);
    let text = scrape();
    let name = |s| steadfast_core::Prefix::new("svc").unwrap().name(s);
    let conn = name(series::POOL_CONNECTIONS);
    assert_eq!(
        value(&text, &format!(r#"{conn}{{pool="db",state="in_use"}}"#)),
        Some(12.0)
    );
    assert_eq!(
        value(&text, &format!(r#"{conn}{{pool="db",state="idle"}}"#)),
        Some(0.0)
    );
    assert_eq!(
        value(&text, &format!(r#"{conn}{{pool="cache",state="idle"}}"#)),
        Some(4.0)
    );
    let max = name(series::POOL_MAX_CONNECTIONS);
    assert_eq!(value(&text, &format!(r#"{max}{{pool="db"}}"#)), Some(20.0));
    let waiters = name(series::POOL_WAITERS);
    assert_eq!(
        value(&text, &format!(r#"{waiters}{{pool="db"}}"#)),
        Some(3.0)
    );
    dial.waiting.store(0, Relaxed);
    assert_eq!(
        value(&scrape(), &format!(r#"{waiters}{{pool="db"}}"#)),
        Some(0.0)
    );

    // The wait around the pool's own get, and its timeouts (this pool counts none itself).
    let got = metrics
        .acquire(async { Ok::<_, std::io::Error>(1) })
        .await
        .unwrap();
    assert_eq!(got, 1);
    let timed_out = metrics.acquire(async {
        tokio::time::timeout(
            Duration::from_millis(5),
            std::future::pending::<Result<u8, std::io::Error>>(),
        )
        .await
    });
    assert!(timed_out.await.is_err());
    let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
    assert!(
        metrics
            .acquire(async { Err::<u8, _>(refused) })
            .await
            .is_err()
    );
    let text = scrape();
    let wait = name(series::POOL_WAIT_DURATION_SECONDS);
    assert_eq!(
        value(&text, &format!(r#"{wait}_count{{pool="db"}}"#)),
        Some(3.0)
    );
    let timeouts = name(series::POOL_TIMEOUTS_TOTAL);
    assert_eq!(
        value(&text, &format!(r#"{timeouts}{{pool="db"}}"#)),
        Some(1.0),
        "{text}"
    );
}

/// A pool that counts its own timeouts (as bb8 does): the series is the pool's count.
struct Counting;
impl PoolStats for Counting {
    fn status(&self) -> PoolStatus {
        PoolStatus {
            size: 2,
            idle: 0,
            waiting: 0,
            max: 2,
        }
    }
    fn timeouts(&self) -> Option<u64> {
        Some(7)
    }
}

#[tokio::test]
async fn a_pool_that_counts_its_timeouts_is_not_counted_twice() {
    let prom = prometheus::Registry::new();
    let metrics = PoolMetrics::new("db", Counting)
        .register(&prom, &steadfast_core::Prefix::default())
        .unwrap();
    let elapsed = tokio::time::timeout(Duration::ZERO, std::future::pending::<()>()).await;
    let _ = metrics.acquire(async { elapsed.map(|()| 0) }).await;
    let text = prometheus::TextEncoder::new()
        .encode_to_string(&prom.gather())
        .unwrap();
    assert_eq!(
        value(&text, r#"steadfast_pool_timeouts_total{pool="db"}"#),
        Some(7.0),
        "{text}"
    );
}
