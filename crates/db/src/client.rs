//! Feature `postgres`: [`InstrumentedClient`], a `tokio_postgres::Client` (or a pooled
//! connection: anything that borrows as one) whose calls are counted per fingerprint in a
//! [`DbObserver`] — calls, rows, duration, errors by SQLSTATE class — and logged when slow,
//! with the fingerprint and duration only, never a value.

use std::borrow::Borrow;
use std::sync::Arc;
use std::time::Instant;

use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Error, Row, Statement};

use crate::observer::DbObserver;
use crate::stats::Entry;

/// The error class of failures without a SQLSTATE where the connection failed: closed, or
/// an I/O error underneath.
pub const CLASS_CONNECTION: &str = "connection";

/// The error class of failures without a SQLSTATE on the client's side: not exactly one row
/// for `query_one`, a value that does not convert (`FromSql`/`ToSql`), a wrong parameter
/// count.
pub const CLASS_CLIENT: &str = "client";

/// The SQLSTATE class of `e` (its first two characters); without one, [`CLASS_CONNECTION`]
/// when the connection is closed or an I/O error caused it, else [`CLASS_CLIENT`].
///
/// ```no_run
/// # async fn f(e: tokio_postgres::Error) {
/// let class = steadfast_db::sqlstate_class(&e); // "23" for a unique violation
/// # }
/// ```
pub fn sqlstate_class(e: &Error) -> &str {
    if let Some(class) = e.code().and_then(|c| c.code().get(..2)) {
        return class;
    }
    let mut source = std::error::Error::source(e);
    let mut io = false;
    while let Some(s) = source {
        io |= s.is::<std::io::Error>();
        source = s.source();
    }
    if e.is_closed() || io {
        CLASS_CONNECTION
    } else {
        CLASS_CLIENT
    }
}

/// A prepared statement that remembers its fingerprint.
#[derive(Debug, Clone)]
pub struct Prepared {
    statement: Statement,
    entry: Arc<Entry>,
}

impl Prepared {
    /// The driver's statement.
    pub fn statement(&self) -> &Statement {
        &self.statement
    }
}

/// A client whose statements are recorded in a [`DbObserver`].
///
/// ```no_run
/// # async fn f(url: &str) -> Result<(), tokio_postgres::Error> {
/// let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
/// tokio::spawn(conn);
/// let observer = steadfast_db::DbObserver::default();
/// let db = observer.wrap(client);
/// let rows = db.query("SELECT id FROM patient WHERE birth_year > $1", &[&1990i32]).await?;
/// assert_eq!(observer.statements()[0].rows, rows.len() as u64);
/// # Ok(()) }
/// ```
pub struct InstrumentedClient<C: Borrow<Client> = Client> {
    client: C,
    observer: DbObserver,
}

/// The observer's counts only, never a statement's text: `tracing::debug!(?db)` and
/// `#[instrument]` must not log values.
impl<C: Borrow<Client>> std::fmt::Debug for InstrumentedClient<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstrumentedClient")
            .field("observer", &self.observer)
            .finish_non_exhaustive()
    }
}

impl DbObserver {
    /// `client` (a `Client`, `&Client`, `Arc<Client>` or `&*pooled_connection`) recording
    /// here; it counts in [`connections_in_use`](Self::connections_in_use) until dropped.
    pub fn wrap<C: Borrow<Client>>(&self, client: C) -> InstrumentedClient<C> {
        self.connection_opened();
        InstrumentedClient {
            client,
            observer: self.clone(),
        }
    }
}

impl<C: Borrow<Client>> Drop for InstrumentedClient<C> {
    fn drop(&mut self) {
        self.observer.connection_closed();
    }
}

impl<C: Borrow<Client>> InstrumentedClient<C> {
    /// The wrapped client, for what this wrapper does not cover (its calls are not recorded).
    pub fn inner(&self) -> &Client {
        self.client.borrow()
    }

    /// The observer recording this client.
    pub fn observer(&self) -> &DbObserver {
        &self.observer
    }

    fn finish<T>(&self, entry: &Entry, start: Instant, r: &Result<T, Error>, rows: u64) {
        let class = r.as_ref().err().map(sqlstate_class);
        self.observer.finish(entry, start.elapsed(), rows, class);
    }

    /// `Client::query`, recorded.
    ///
    /// # Errors
    /// The driver's error (recorded under its SQLSTATE class).
    pub async fn query(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, Error> {
        let entry = self.observer.entry(sql);
        let start = Instant::now();
        let r = self.inner().query(sql, params).await;
        let rows = r.as_ref().map_or(0, |v| v.len() as u64);
        self.finish(&entry, start, &r, rows);
        r
    }

    /// `Client::query_one`, recorded.
    ///
    /// # Errors
    /// The driver's error, also when not exactly one row came back.
    pub async fn query_one(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Row, Error> {
        let entry = self.observer.entry(sql);
        let start = Instant::now();
        let r = self.inner().query_one(sql, params).await;
        self.finish(&entry, start, &r, u64::from(r.is_ok()));
        r
    }

    /// `Client::query_opt`, recorded.
    ///
    /// # Errors
    /// The driver's error, also when more than one row came back.
    pub async fn query_opt(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, Error> {
        let entry = self.observer.entry(sql);
        let start = Instant::now();
        let r = self.inner().query_opt(sql, params).await;
        let rows = r.as_ref().map_or(0, |o| u64::from(o.is_some()));
        self.finish(&entry, start, &r, rows);
        r
    }

    /// `Client::execute`, recorded (rows: those affected).
    ///
    /// # Errors
    /// The driver's error.
    pub async fn execute(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, Error> {
        let entry = self.observer.entry(sql);
        let start = Instant::now();
        let r = self.inner().execute(sql, params).await;
        let rows = r.as_ref().map_or(0, |n| *n);
        self.finish(&entry, start, &r, rows);
        r
    }

    /// `Client::batch_execute`, recorded as one statement (the whole batch's fingerprint).
    ///
    /// # Errors
    /// The driver's error.
    pub async fn batch_execute(&self, sql: &str) -> Result<(), Error> {
        let entry = self.observer.entry(sql);
        let start = Instant::now();
        let r = self.inner().batch_execute(sql).await;
        self.finish(&entry, start, &r, 0);
        r
    }

    /// `Client::prepare`; the statement's later calls ([`query_prepared`](Self::query_prepared),
    /// [`execute_prepared`](Self::execute_prepared)) are recorded under its fingerprint.
    ///
    /// # Errors
    /// The driver's error (not recorded as a call).
    pub async fn prepare(&self, sql: &str) -> Result<Prepared, Error> {
        let entry = self.observer.entry(sql);
        let statement = self.inner().prepare(sql).await?;
        Ok(Prepared { statement, entry })
    }

    /// `Client::query` of a prepared statement, recorded.
    ///
    /// # Errors
    /// The driver's error.
    pub async fn query_prepared(
        &self,
        statement: &Prepared,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, Error> {
        let start = Instant::now();
        let r = self.inner().query(&statement.statement, params).await;
        let rows = r.as_ref().map_or(0, |v| v.len() as u64);
        self.finish(&statement.entry, start, &r, rows);
        r
    }

    /// `Client::execute` of a prepared statement, recorded.
    ///
    /// # Errors
    /// The driver's error.
    pub async fn execute_prepared(
        &self,
        statement: &Prepared,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, Error> {
        let start = Instant::now();
        let r = self.inner().execute(&statement.statement, params).await;
        let rows = r.as_ref().map_or(0, |n| *n);
        self.finish(&statement.entry, start, &r, rows);
        r
    }
}
