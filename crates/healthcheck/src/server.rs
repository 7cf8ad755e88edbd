//! The HTTP server (feature `server`, axum on tokio): `/health`, `/health/live`,
//! `/health/ready`, `/health/startup` and `/metrics`, answered from the latest results.
//! Exact paths, GET and HEAD only, `Cache-Control: no-store`, details shown only as
//! configured, `X-Response-Time` on every answer, request counts and durations by route,
//! method and status, a header-read timeout against slow clients, and a graceful shutdown
//! (on a handle or SIGTERM) that turns readiness to 503 first, waits a drain period, then
//! lets in-flight requests finish.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::metrics::HttpMetrics;
use crate::{Error, Group, Health, ShowDetails};

/// Options of [`serve`].
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Detail visibility.
    pub show_details: ShowDetails,
    /// After shutdown begins, readiness answers 503 this long before the listener closes.
    pub drain: Duration,
    /// Prometheus registry served at `/metrics` (text format); the server's request
    /// series (`steadfast_http_*{listener=…}`) are registered into it.
    pub metrics: Option<prometheus::Registry>,
    /// Serve `/metrics` on this listener (turn off on a public listener when a second,
    /// internal one serves it).
    pub serve_metrics: bool,
    /// The `listener` label of the request series (`main`, `internal`).
    pub listener: String,
    /// A client must send its request headers within this, or the connection closes
    /// (slow-loris protection).
    pub header_read_timeout: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            show_details: ShowDetails::Never,
            drain: Duration::from_secs(5),
            metrics: None,
            serve_metrics: true,
            listener: "main".to_owned(),
            header_read_timeout: Duration::from_secs(5),
        }
    }
}

/// What every handler shares: one reference count per request.
type AppState = Arc<Shared>;

struct Shared {
    health: Health,
    options: ServerOptions,
    rendered: Rendered,
}

/// Bodies rendered once per [`Health::generation`]: per endpoint (all, live, ready,
/// startup) and caller (public, authorised). A probe then costs a lock and a reference
/// count, not a report, a clone and a JSON serialisation.
#[derive(Default)]
struct Rendered {
    slots: [std::sync::Mutex<Option<(u64, StatusCode, axum::body::Bytes)>>; 8],
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

    /// Runs until SIGTERM (what Kubernetes sends) or Ctrl-C, then shuts down gracefully.
    pub async fn shutdown_on_signal(self) {
        let signal = shutdown_signal();
        signal.await;
        self.shutdown().await;
    }
}

/// A future that completes on SIGTERM (what Kubernetes sends) or SIGINT (Ctrl-C). The
/// handlers are installed when this is called, not when the future is first polled, so a
/// signal arriving right after start-up is not lost (nor kills the process).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let stop = steadfast_healthcheck::shutdown_signal();
/// // … serve; then `stop.await` and shut down gracefully.
/// # drop(stop);
/// # });
/// ```
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate()).ok();
        let int = signal(SignalKind::interrupt()).ok();
        async move {
            match (term, int) {
                (Some(mut term), Some(mut int)) => {
                    tokio::select! {
                        _ = term.recv() => {}
                        _ = int.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async move {
            let _ = tokio::signal::ctrl_c().await;
        }
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
    let http = match &options.metrics {
        Some(registry) => Some(HttpMetrics::register(registry, &options.listener)?),
        None => None,
    };
    let header_read_timeout = options.header_read_timeout;
    let mut app = Router::new()
        .route("/health", get(all))
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .route("/health/startup", get(startup));
    if options.serve_metrics {
        app = app.route("/metrics", get(metrics));
    }
    let layer = crate::observe::ObserveLayer {
        http: http.map(Arc::new),
        serve_metrics: options.serve_metrics,
    };
    let state = Arc::new(Shared {
        health: health.clone(),
        options,
        rendered: Rendered::default(),
    });
    let app = tower_layer::Layer::layer(&layer, app.with_state(state));
    let (tx, rx) = watch::channel(false);
    let task = tokio::spawn(accept_loop(listener, app, header_read_timeout, rx));
    Ok(Server {
        addr: local,
        shutdown: tx,
        task,
        health,
        drain,
    })
}

/// Accepts connections until told to stop, then waits for open ones to finish their
/// requests. Each connection is HTTP/1.1 with keep-alive and a header-read timeout.
async fn accept_loop(
    listener: TcpListener,
    app: crate::observe::Observe<Router>,
    header_read_timeout: Duration,
    mut stop: watch::Receiver<bool>,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of file descriptors and the like: back off instead of spinning.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        let _ = stream.set_nodelay(true);
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(header_read_timeout)
            .serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

fn answer(state: &AppState, headers: &HeaderMap, group: Option<&Group>) -> Response {
    state.health.refresh_stale(group);
    let authorized = state.options.show_details.allows(headers);
    let slot = match group {
        None => 0,
        Some(Group::Live) => 2,
        Some(Group::Ready) => 4,
        Some(_) => 6,
    } + usize::from(authorized);
    let generation = state.health.generation();
    let mut cached = state.rendered.slots[slot]
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (status, body) = match &*cached {
        Some((g, status, body)) if *g == generation => (*status, body.clone()),
        _ => {
            let report = state.health.report(group);
            let report = if authorized { report } else { report.public() };
            let status = StatusCode::from_u16(report.http_status())
                .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let body = axum::body::Bytes::from(report.to_json());
            *cached = Some((generation, status, body.clone()));
            (status, body)
        }
    };
    drop(cached);
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/health+json"),
        )],
        body,
    )
        .into_response()
}

async fn all(State(s): State<AppState>, request: Request) -> Response {
    answer(&s, request.headers(), None)
}

async fn live(State(s): State<AppState>, request: Request) -> Response {
    answer(&s, request.headers(), Some(&Group::Live))
}

async fn ready(State(s): State<AppState>, request: Request) -> Response {
    answer(&s, request.headers(), Some(&Group::Ready))
}

async fn startup(State(s): State<AppState>, request: Request) -> Response {
    answer(&s, request.headers(), Some(&Group::Startup))
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
