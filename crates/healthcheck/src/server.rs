//! The HTTP server (feature `server`, axum on tokio): `/health`, `/health/live`,
//! `/health/ready`, `/health/startup` and `/metrics`, answered from the latest results.
//! Exact paths, GET and HEAD only, `Cache-Control: no-store`, details shown only as
//! configured, `X-Response-Time` on every answer, and a graceful shutdown that turns
//! readiness to 503 first, waits a drain period, then lets in-flight requests finish.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::{Error, Group, Health};

/// Who may see observed values and reasons.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ShowDetails {
    /// Never (default): failing checks say only `reason withheld`.
    #[default]
    Never,
    /// With `Authorization: Bearer <token>`.
    WhenAuthorized(String),
    /// Always (a private listener).
    Always,
}

/// Options of [`serve`].
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Detail visibility.
    pub show_details: ShowDetails,
    /// After shutdown begins, readiness answers 503 this long before the listener closes.
    pub drain: Duration,
    /// Prometheus registry served at `/metrics` (text format).
    pub metrics: Option<prometheus::Registry>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            show_details: ShowDetails::Never,
            drain: Duration::from_secs(5),
            metrics: None,
        }
    }
}

#[derive(Clone)]
struct AppState {
    health: Health,
    options: Arc<ServerOptions>,
}

/// A running server.
#[derive(Debug)]
pub struct Server {
    /// The address it listens on.
    pub addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    health: Health,
    drain: Duration,
}

impl Server {
    /// Graceful shutdown: readiness turns 503 at once (liveness stays 200), the drain
    /// period passes so load balancers notice, then the listener closes and in-flight
    /// requests finish.
    pub async fn shutdown(self) {
        self.health.begin_shutdown();
        tokio::time::sleep(self.drain).await;
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

/// Serves `health` on `addr` (use `127.0.0.1:…`; binding elsewhere is the caller's choice).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use steadfast_healthcheck::{CheckOutput, Group, Registration, Registry, ServerOptions, serve};
///
/// let health = Registry::new()
///     .register(Registration::new("self:alive", || async { CheckOutput::pass() }).groups([Group::Live]))?
///     .start();
/// let options = ServerOptions { drain: std::time::Duration::ZERO, ..ServerOptions::default() };
/// let server = serve(health, "127.0.0.1:0".parse()?, options).await?;
/// println!("health at http://{}/health", server.addr);
/// server.shutdown().await;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
///
/// # Errors
/// [`Error::Bind`] when the address cannot be bound.
pub async fn serve(
    health: Health,
    addr: SocketAddr,
    options: ServerOptions,
) -> Result<Server, Error> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| Error::Bind {
            addr: addr.to_string(),
            source,
        })?;
    let local = listener.local_addr().map_err(|source| Error::Bind {
        addr: addr.to_string(),
        source,
    })?;
    let drain = options.drain;
    let state = AppState {
        health: health.clone(),
        options: Arc::new(options),
    };
    let app = Router::new()
        .route("/health", get(all))
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .route("/health/startup", get(startup))
        .route("/metrics", get(metrics))
        .layer(middleware::from_fn(response_time))
        .with_state(state);
    let (tx, mut rx) = watch::channel(false);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = rx.wait_for(|stop| *stop).await;
            })
            .await;
    });
    Ok(Server {
        addr: local,
        shutdown: tx,
        task,
        health,
        drain,
    })
}

async fn response_time(request: Request, next: Next) -> Response {
    let start = tokio::time::Instant::now();
    let mut response = next.run(request).await;
    let micros = start.elapsed().as_micros();
    if let Ok(v) = HeaderValue::from_str(&format!("{}.{:03}ms", micros / 1000, micros % 1000)) {
        response.headers_mut().insert("x-response-time", v);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn authorized(options: &ServerOptions, headers: &HeaderMap) -> bool {
    match &options.show_details {
        ShowDetails::Never => false,
        ShowDetails::Always => true,
        ShowDetails::WhenAuthorized(token) => headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| constant_time_eq(given.as_bytes(), token.as_bytes())),
    }
}

/// Compares without stopping at the first difference, so timing does not leak the token.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn answer(state: &AppState, headers: &HeaderMap, group: Option<&Group>) -> Response {
    let report = state.health.report(group);
    let report = if authorized(&state.options, headers) {
        report
    } else {
        report.public()
    };
    let status =
        StatusCode::from_u16(report.http_status()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    (
        status,
        [(header::CONTENT_TYPE, "application/health+json")],
        report.to_json(),
    )
        .into_response()
}

async fn all(State(s): State<AppState>, headers: HeaderMap) -> Response {
    answer(&s, &headers, None)
}

async fn live(State(s): State<AppState>, headers: HeaderMap) -> Response {
    answer(&s, &headers, Some(&Group::Live))
}

async fn ready(State(s): State<AppState>, headers: HeaderMap) -> Response {
    answer(&s, &headers, Some(&Group::Ready))
}

async fn startup(State(s): State<AppState>, headers: HeaderMap) -> Response {
    answer(&s, &headers, Some(&Group::Startup))
}

async fn metrics(State(s): State<AppState>) -> Response {
    let Some(registry) = &s.options.metrics else {
        return (StatusCode::NOT_FOUND, "no metrics registry\n").into_response();
    };
    let mut text = String::new();
    if prometheus::TextEncoder::new()
        .encode_utf8(&registry.gather(), &mut text)
        .is_err()
    {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}
