//! [`PostgresCheck`]: `SELECT 1` over a fresh tokio-postgres connection (feature
//! `postgres`), with TLS as libpq's `sslmode` says (`pg_tls.rs`).

use std::sync::Arc;

use crate::builtin::ms;
use crate::check::{BoxFuture, Check, CheckOutput};
use crate::error::Error;
use crate::failure_log::FailureLog;
use crate::pg_tls::{PgTarget, SslMode};

/// PostgreSQL `SELECT 1`; observed: latency. TLS follows `sslmode` in the connection string
/// (`?sslmode=verify-full&sslrootcert=/etc/ssl/db-ca.pem`): `disable`, `prefer` (default),
/// `require` (encrypted, certificate unchecked unless `sslrootcert` is given), `verify-ca`,
/// `verify-full`.
///
/// ```
/// use steadfast_healthcheck::{Check, PostgresCheck};
/// let check = PostgresCheck::new(
///     "postgres://etl:s3cret@db.internal:5432/fhir?sslmode=verify-full&sslrootcert=system",
/// )?;
/// assert!(check.is_external());
/// assert!(!format!("{check:?}").contains("s3cret"));
/// assert!(PostgresCheck::new("postgres://db/fhir?sslmode=verify-full").is_err());
/// # Ok::<(), steadfast_healthcheck::Error>(())
/// ```
#[derive(Clone)]
pub struct PostgresCheck {
    config: tokio_postgres::Config,
    tls: tokio_postgres_rustls::MakeRustlsConnect,
    mode: SslMode,
    pool: Option<Arc<dyn crate::PoolStats>>,
    server: Option<ServerLimits>,
    log: Arc<FailureLog>,
}

/// [`PostgresCheck::server_stats`]' bounds: `warn` above them.
#[derive(Debug, Clone, Copy)]
struct ServerLimits {
    saturation: f64,
    lag: std::time::Duration,
}

/// Client connections over `max_connections`, and on a standby the seconds since the last
/// replayed transaction (NULL on a primary) — 0 when it has replayed all it received: an
/// idle primary sends no transactions, and a caught-up standby is not behind however long
/// ago the last one was.
const SERVER_STATS_SQL: &str = "SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::float8 \
     / current_setting('max_connections')::float8, \
     CASE WHEN NOT pg_is_in_recovery() THEN NULL \
     WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0::float8 \
     ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8 END";

impl std::fmt::Debug for PostgresCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresCheck")
            .field("dbname", &self.config.get_dbname())
            .field("sslmode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl PostgresCheck {
    /// A check of `url` (`postgres://user[:password]@host[:port]/db[?sslmode=…]`, or libpq
    /// `key=value`).
    ///
    /// # Errors
    /// [`Error::InvalidConnectionString`] (the string is not repeated: it may hold a
    /// password); [`Error::Http`] when `sslrootcert` cannot be read.
    pub fn new(url: &str) -> Result<Self, Error> {
        let target: PgTarget = crate::pg_tls::parse(url)?;
        let mut config = target
            .config
            .parse::<tokio_postgres::Config>()
            .map_err(|e| Error::InvalidConnectionString {
                kind: "PostgreSQL",
                reason: format!(
                    "{e}; expected postgres://user@host:5432/db or host=… user=… dbname=…"
                ),
            })?;
        config.ssl_mode(target.driver_mode());
        Ok(Self {
            config,
            tls: target.connector()?,
            mode: target.mode,
            pool: None,
            server: None,
            log: Arc::default(),
        })
    }

    /// Authenticates with `password` (instead of one in the URL), so the URL can be shown
    /// and the password come from a secret file.
    ///
    /// ```
    /// use steadfast_healthcheck::PostgresCheck;
    /// let check = PostgresCheck::new("postgres://etl@127.0.0.1:5432/fhir")?.password("s3cret");
    /// assert!(!format!("{check:?}").contains("s3cret"));
    /// # Ok::<(), steadfast_healthcheck::Error>(())
    /// ```
    #[must_use]
    pub fn password(mut self, password: impl AsRef<[u8]>) -> Self {
        self.config.password(password);
        self
    }

    /// Also report the statistics of the application's pool to this database (size, idle,
    /// in use, waiting, max as details; `warn` while callers wait for a connection).
    #[must_use]
    pub fn with_pool(mut self, pool: impl crate::PoolStats) -> Self {
        self.pool = Some(Arc::new(pool));
        self
    }
}

impl PostgresCheck {
    /// Also report the server's connection saturation (client backends in
    /// `pg_stat_activity` over `max_connections`, detail `connection_saturation`) and, on a
    /// standby, its replication lag (seconds since the last replayed transaction, 0 when it
    /// has replayed all it received; detail `replication_lag_seconds`); `warn` above `saturation` (a share, e.g. `0.8`) or `lag`.
    ///
    /// ```
    /// use std::time::Duration;
    /// let check = steadfast_healthcheck::PostgresCheck::new("postgres://etl@127.0.0.1/fhir")?
    ///     .server_stats(0.8, Duration::from_secs(30));
    /// # let _ = check;
    /// # Ok::<(), steadfast_healthcheck::Error>(())
    /// ```
    #[must_use]
    pub fn server_stats(mut self, saturation: f64, lag: std::time::Duration) -> Self {
        self.server = Some(ServerLimits { saturation, lag });
        self
    }
}

/// The server's saturation and lag added to a passing `out`.
async fn server_output(
    client: &tokio_postgres::Client,
    limits: ServerLimits,
    out: CheckOutput,
) -> CheckOutput {
    let warn = |mut out: CheckOutput, why: &'static str| {
        out.status = steadfast_core::Status::Warn;
        out.output = Some(why);
        out
    };
    let Ok(row) = client.query_one(SERVER_STATS_SQL, &[]).await else {
        return warn(out, "server statistics unavailable");
    };
    let saturation: Option<f64> = row.try_get(0).ok().flatten();
    let lag: Option<f64> = row.try_get(1).ok().flatten();
    let mut out = match (saturation, lag) {
        (Some(s), _) if s > limits.saturation => warn(out, "connections near max_connections"),
        (_, Some(l)) if l > limits.lag.as_secs_f64() => warn(out, "replication lagging"),
        _ => out,
    };
    if let Some(s) = saturation {
        out = out.detail("connection_saturation", s);
    }
    if let Some(l) = lag {
        out = out.detail("replication_lag_seconds", l);
    }
    out
}

/// A fixed phrase for a failed connection, from the cause's words.
fn reason(err: &tokio_postgres::Error) -> &'static str {
    let text = format!("{err:?}");
    if text.contains("InvalidCertificate") {
        "certificate not trusted"
    } else if text.contains("server does not support TLS") {
        "tls not offered"
    } else if err
        .as_db_error()
        .is_some_and(|e| e.code().code().starts_with("28"))
    {
        "authentication failed"
    } else {
        "connection failed"
    }
}

impl Check for PostgresCheck {
    fn check(&self) -> BoxFuture<'_, CheckOutput> {
        Box::pin(async move {
            let start = tokio::time::Instant::now();
            let (client, connection) = match self.config.connect(self.tls.clone()).await {
                Ok(pair) => pair,
                Err(err) => {
                    // tokio-postgres's errors carry no password.
                    self.log.failed("PostgreSQL check", err.to_string());
                    return CheckOutput::fail(reason(&err));
                }
            };
            let driver = tokio::spawn(connection);
            let mut out = match client.simple_query("SELECT 1").await {
                Ok(_) => {
                    self.log.passed();
                    CheckOutput::pass().observed(ms(start.elapsed()), "ms")
                }
                Err(err) => {
                    self.log.failed("PostgreSQL check", err.to_string());
                    CheckOutput::fail("query failed")
                }
            };
            if let Some(limits) = self
                .server
                .filter(|_| out.status == steadfast_core::Status::Pass)
            {
                out = server_output(&client, limits, out).await;
            }
            drop(client);
            let _ = driver.await;
            match &self.pool {
                Some(pool) => crate::runtime::pool_output(out, pool.status()),
                None => out,
            }
        })
    }

    fn is_external(&self) -> bool {
        true
    }
}
