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
    log: Arc<FailureLog>,
}

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
            let out = match client.simple_query("SELECT 1").await {
                Ok(_) => {
                    self.log.passed();
                    CheckOutput::pass().observed(ms(start.elapsed()), "ms")
                }
                Err(err) => {
                    self.log.failed("PostgreSQL check", err.to_string());
                    CheckOutput::fail("query failed")
                }
            };
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
