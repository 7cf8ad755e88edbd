//! [`PoolStats`] for the pools applications use, each behind its feature: deadpool's
//! managed `Pool` (feature `deadpool`: deadpool-postgres, deadpool-redis and every other
//! deadpool flavour share it) and bb8's `Pool` (feature `bb8`). A pool of another crate
//! implements [`PoolStats`] in a few lines (sqlx: `size()`, `num_idle()`,
//! `options().get_max_connections()`).

#[cfg(any(feature = "deadpool", feature = "bb8"))]
use crate::{PoolStats, PoolStatus};

/// Counts as `u32`, saturating (no pool holds four billion connections).
#[cfg(feature = "deadpool")]
fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// deadpool's managed pool (`deadpool_postgres::Pool` is one): `Pool::status()`. deadpool
/// counts no timeouts: [`PoolMetrics::acquire`](crate::PoolMetrics::acquire) does.
///
/// ```
/// # #[cfg(feature = "deadpool")] {
/// fn monitored(pool: deadpool::managed::Pool<impl deadpool::managed::Manager + 'static>) -> steadfast_healthcheck::PoolCheck {
///     steadfast_healthcheck::PoolCheck::new(pool)
/// }
/// # }
/// ```
#[cfg(feature = "deadpool")]
impl<M, W> PoolStats for deadpool::managed::Pool<M, W>
where
    M: deadpool::managed::Manager + 'static,
    W: From<deadpool::managed::Object<M>> + 'static,
    Self: Send + Sync,
{
    fn status(&self) -> PoolStatus {
        let s = Self::status(self);
        PoolStatus {
            size: count(s.size),
            idle: count(s.available),
            waiting: count(s.waiting),
            max: count(s.max_size),
        }
    }
}

#[cfg(all(feature = "deadpool", feature = "prometheus"))]
impl<E> crate::AcquireError for deadpool::managed::PoolError<E> {
    fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout(_))
    }
}

/// bb8's pool: `Pool::state()`; waiters are the gets started and not finished, and bb8
/// counts its own timeouts.
///
/// ```
/// # #[cfg(feature = "bb8")] {
/// fn monitored(pool: bb8::Pool<impl bb8::ManageConnection>) -> steadfast_healthcheck::PoolCheck {
///     steadfast_healthcheck::PoolCheck::new(pool)
/// }
/// # }
/// ```
#[cfg(feature = "bb8")]
impl<M: bb8::ManageConnection> PoolStats for bb8::Pool<M> {
    fn status(&self) -> PoolStatus {
        let s = self.state();
        PoolStatus {
            size: s.connections,
            idle: s.idle_connections,
            waiting: u32::try_from(s.statistics.pending_gets()).unwrap_or(u32::MAX),
            max: self.config().max_size,
        }
    }

    fn timeouts(&self) -> Option<u64> {
        Some(self.state().statistics.get_timed_out)
    }
}

#[cfg(all(feature = "bb8", feature = "prometheus"))]
impl<E> crate::AcquireError for bb8::RunError<E> {
    fn is_timeout(&self) -> bool {
        matches!(self, Self::TimedOut)
    }
}

#[cfg(all(test, feature = "deadpool"))]
mod deadpool_tests {
    use crate::PoolStats;

    struct Numbers;
    impl deadpool::managed::Manager for Numbers {
        type Type = u32;
        type Error = std::io::Error;
        async fn create(&self) -> Result<u32, std::io::Error> {
            Ok(7)
        }
        async fn recycle(
            &self,
            _: &mut u32,
            _: &deadpool::managed::Metrics,
        ) -> deadpool::managed::RecycleResult<std::io::Error> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_deadpool_pool_reports_size_idle_and_waiters() {
        let pool: deadpool::managed::Pool<Numbers> = deadpool::managed::Pool::builder(Numbers)
            .max_size(2)
            .build()
            .unwrap();
        let a = pool.get().await.unwrap();
        let b = pool.get().await.unwrap();
        drop(b);
        let s = PoolStats::status(&pool);
        assert_eq!((s.size, s.idle, s.waiting, s.max), (2, 1, 0, 2));
        let _b = pool.get().await.unwrap();
        let waiting = tokio::spawn({
            let pool = pool.clone();
            async move { pool.get().await.map(|_| ()) }
        });
        tokio::task::yield_now().await;
        let s = PoolStats::status(&pool);
        assert_eq!((s.in_use(), s.waiting), (2, 1));
        drop(a);
        waiting.await.unwrap().unwrap();
        assert_eq!(PoolStats::timeouts(&pool), None);
    }
}

#[cfg(all(test, feature = "bb8"))]
mod bb8_tests {
    use crate::PoolStats;

    struct Numbers;
    impl bb8::ManageConnection for Numbers {
        type Connection = u32;
        type Error = std::io::Error;
        async fn connect(&self) -> Result<u32, std::io::Error> {
            Ok(7)
        }
        async fn is_valid(&self, _: &mut u32) -> Result<(), std::io::Error> {
            Ok(())
        }
        fn has_broken(&self, _: &mut u32) -> bool {
            false
        }
    }

    #[tokio::test]
    async fn a_bb8_pool_reports_size_idle_waiters_and_timeouts() {
        let pool = bb8::Pool::builder()
            .max_size(2)
            .min_idle(None)
            .connection_timeout(std::time::Duration::from_millis(50))
            .build(Numbers)
            .await
            .unwrap();
        let a = pool.get().await.unwrap();
        let s = PoolStats::status(&pool);
        assert_eq!((s.in_use(), s.max, s.waiting), (1, 2, 0));
        let b = pool.get().await.unwrap();
        assert!(matches!(pool.get().await, Err(bb8::RunError::TimedOut)));
        assert_eq!(PoolStats::timeouts(&pool), Some(1));
        drop((a, b));
    }
}
