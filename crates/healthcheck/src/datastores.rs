//! Checks of the datastores pipelines lean on: Redis (`PING` over RESP, no client library
//! needed) and PostgreSQL (feature `postgres`: `SELECT 1` through tokio-postgres).

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::check::{BoxFuture, Check, CheckOutput};

/// Redis `PING`: pass on `+PONG`. The URL is `redis://[:password@]host[:port]`; a password
/// is sent with `AUTH` and never shown.
///
/// ```
/// use steadfast_healthcheck::{Check, RedisCheck};
/// let check = RedisCheck::new("redis://:s3cret@127.0.0.1:6379")?;
/// assert!(check.is_external());
/// assert!(!format!("{check:?}").contains("s3cret"));
/// # Ok::<(), String>(())
/// ```
#[derive(Clone)]
pub struct RedisCheck {
    host: String,
    password: Option<String>,
}

impl std::fmt::Debug for RedisCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisCheck")
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

impl RedisCheck {
    /// A check of the server at `url`.
    ///
    /// # Errors
    /// A message naming what is wrong with the URL (without the password).
    pub fn new(url: &str) -> Result<Self, String> {
        let rest = url
            .strip_prefix("redis://")
            .ok_or_else(|| "a Redis URL starts with redis://".to_owned())?;
        let rest = rest.split('/').next().unwrap_or(rest);
        let (auth, host) = match rest.rsplit_once('@') {
            Some((auth, host)) => (Some(auth), host),
            None => (None, rest),
        };
        if host.is_empty() {
            return Err("the Redis URL names no host".to_owned());
        }
        let host = if host.contains(':') {
            host.to_owned()
        } else {
            format!("{host}:6379")
        };
        let password = auth.map(|a| a.rsplit_once(':').map_or(a, |(_, p)| p).to_owned());
        Ok(Self { host, password })
    }

    /// Sends `password` with `AUTH` (instead of one in the URL), so the URL can be shown
    /// and the password come from a secret file.
    ///
    /// ```
    /// use steadfast_healthcheck::RedisCheck;
    /// let check = RedisCheck::new("redis://127.0.0.1:6379")?.password("s3cret");
    /// assert!(!format!("{check:?}").contains("s3cret"));
    /// # Ok::<(), String>(())
    /// ```
    #[must_use]
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(password.into());
        self
    }
}

impl Check for RedisCheck {
    fn check(&self) -> BoxFuture<'_, CheckOutput> {
        Box::pin(async move {
            let start = tokio::time::Instant::now();
            let Ok(stream) = TcpStream::connect(&self.host).await else {
                return CheckOutput::fail("connection failed");
            };
            let mut stream = BufReader::new(stream);
            let mut line = String::new();
            if let Some(pw) = &self.password {
                let cmd = format!("*2\r\n$4\r\nAUTH\r\n${}\r\n{pw}\r\n", pw.len());
                if stream.get_mut().write_all(cmd.as_bytes()).await.is_err()
                    || stream.read_line(&mut line).await.is_err()
                    || !line.starts_with("+OK")
                {
                    return CheckOutput::fail("authentication failed");
                }
                line.clear();
            }
            if stream
                .get_mut()
                .write_all(b"*1\r\n$4\r\nPING\r\n")
                .await
                .is_err()
                || stream.read_line(&mut line).await.is_err()
            {
                return CheckOutput::fail("no answer");
            }
            if line.starts_with("+PONG") {
                #[allow(clippy::cast_precision_loss, reason = "milliseconds for display")]
                let ms = start.elapsed().as_secs_f64() * 1000.0;
                CheckOutput::pass().observed(ms, "ms")
            } else if line.starts_with("-NOAUTH") {
                CheckOutput::fail("authentication required")
            } else {
                CheckOutput::fail("unexpected answer")
            }
        })
    }

    fn is_external(&self) -> bool {
        true
    }
}

/// PostgreSQL `SELECT 1` over a fresh connection (feature `postgres`); observed: latency.
#[cfg(feature = "postgres")]
#[derive(Clone)]
pub struct PostgresCheck {
    config: tokio_postgres::Config,
    pool: Option<std::sync::Arc<dyn crate::PoolStats>>,
}

#[cfg(feature = "postgres")]
impl std::fmt::Debug for PostgresCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresCheck")
            .field("dbname", &self.config.get_dbname())
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "postgres")]
impl PostgresCheck {
    /// A check of `url` (`postgres://user[:password]@host[:port]/db`, or libpq `key=value`).
    ///
    /// # Errors
    /// A message from the connection-string parser (the string is not repeated: it may
    /// hold a password).
    pub fn new(url: &str) -> Result<Self, String> {
        let config = url
            .parse::<tokio_postgres::Config>()
            .map_err(|e| format!("invalid PostgreSQL connection string: {e}"))?;
        Ok(Self { config, pool: None })
    }

    /// Authenticates with `password` (instead of one in the URL), so the URL can be shown
    /// and the password come from a secret file.
    ///
    /// ```
    /// use steadfast_healthcheck::PostgresCheck;
    /// let check = PostgresCheck::new("postgres://etl@127.0.0.1:5432/fhir")?.password("s3cret");
    /// assert!(!format!("{check:?}").contains("s3cret"));
    /// # Ok::<(), String>(())
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
        self.pool = Some(std::sync::Arc::new(pool));
        self
    }
}

#[cfg(feature = "postgres")]
impl Check for PostgresCheck {
    fn check(&self) -> BoxFuture<'_, CheckOutput> {
        Box::pin(async move {
            let start = tokio::time::Instant::now();
            let Ok((client, connection)) = self.config.connect(tokio_postgres::NoTls).await else {
                return CheckOutput::fail("connection failed");
            };
            let driver = tokio::spawn(connection);
            let out = match client.simple_query("SELECT 1").await {
                Ok(_) => {
                    #[allow(clippy::cast_precision_loss, reason = "milliseconds for display")]
                    let ms = start.elapsed().as_secs_f64() * 1000.0;
                    CheckOutput::pass().observed(ms, "ms")
                }
                Err(_) => CheckOutput::fail("query failed"),
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
