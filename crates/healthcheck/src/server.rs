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
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::observe::NoStore;
use crate::{
    Error, Health, RequestMetrics, RequestMetricsService, RouterOptions, ShowDetails, StatusCodes,
};

/// Options of [`serve`].
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Detail visibility.
    pub show_details: ShowDetails,
    /// The HTTP status of pass, warn and fail (default 200, 200, 503).
    pub status_codes: StatusCodes,
    /// After shutdown begins, readiness answers 503 this long before the listener closes.
    pub drain: Duration,
    /// Prometheus registry served at `/metrics` (text format); the server's request
    /// series (`<prefix>_http_*{listener=…}`) are registered into it.
    pub metrics: Option<prometheus::Registry>,
    /// The series prefix of the request series (`[metrics] prometheus_prefix`).
    pub prefix: steadfast_core::Prefix,
    /// Serve `/metrics` on this listener (turn off on a public listener when a second,
    /// internal one serves it).
    pub serve_metrics: bool,
    /// The `listener` label of the request series (`main`, `internal`).
    pub listener: String,
    /// A client must send its request headers within this, or the connection closes
    /// (slow-loris protection). Longer than an hour counts as an hour. After the drain,
    /// open connections get at most this long to finish, so shutdown never waits on a
    /// client.
    pub header_read_timeout: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            show_details: ShowDetails::Never,
            status_codes: StatusCodes::default(),
            drain: Duration::from_secs(5),
            metrics: None,
            prefix: steadfast_core::Prefix::default(),
            serve_metrics: true,
            listener: "main".to_owned(),
            header_read_timeout: Duration::from_secs(5),
        }
    }
}

/// The longest header-read timeout used, whatever the options say.
const MAX_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(3600);

/// What `/metrics` needs.
struct MetricsState {
    health: Health,
    registry: prometheus::Registry,
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
/// use steadfast_healthcheck::{CheckOutput, Group, Registration, HealthRegistry, ServerOptions, serve};
///
/// let health = HealthRegistry::new()
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
    // The layer an application puts on its own routes: request series by route template
    // and `X-Response-Time`. Without a registry of the caller's, the series go nowhere.
    // Around the whole router rather than `Router::layer` (axum boxes each layered route
    // again, a cost the size of this server's own work), so no `MatchedPath`: the routes
    // are named by their templates here — `Health::router`'s, nested at `/health`
    // (tests/it/router.rs fails when they drift apart).
    let mut routes = vec![
        "/health",
        "/health/live",
        "/health/ready",
        "/health/startup",
        "/health/checks/{name}",
        "/health/{group}",
    ];
    if options.serve_metrics {
        routes.push("/metrics");
    }
    let requests = RequestMetrics::default()
        .listener(options.listener.clone())
        .response_time_header(true)
        .routes(routes)
        .register(
            &options.metrics.clone().unwrap_or_default(),
            &options.prefix,
        )?;
    // Hyper adds this to the clock on every request: keep it far from overflowing.
    let header_read_timeout = options.header_read_timeout.min(MAX_HEADER_READ_TIMEOUT);
    // The same endpoints a user nests in their own application, routed at their full
    // paths (nesting would strip the prefix and rebuild the URI on every request).
    let mut app = health.routes_at(
        "/health",
        RouterOptions {
            show_details: options.show_details.clone(),
            status_codes: options.status_codes.clone(),
        },
    );
    if options.serve_metrics {
        let state = options.metrics.as_ref().map(|registry| {
            Arc::new(MetricsState {
                health: health.clone(),
                registry: registry.clone(),
            })
        });
        app = app.merge(
            Router::new()
                .route("/metrics", get(metrics))
                .with_state(state),
        );
    }
    let app = NoStore {
        inner: tower_layer::Layer::layer(&requests, app),
    };
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
    app: NoStore<RequestMetricsService<Router>>,
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
    // Answers are rendered at once, so open requests finish in microseconds; a client
    // still sending headers or not reading its answer is not waited on past this.
    let _ = tokio::time::timeout(header_read_timeout, graceful.shutdown()).await;
}

async fn metrics(State(s): State<Option<Arc<MetricsState>>>) -> Response {
    let Some(s) = s else {
        return (StatusCode::NOT_FOUND, "no metrics registry\n").into_response();
    };
    let registry = &s.registry;
    // A result that became too old since the last probe turns its status series `fail`.
    let _ = s.health.generation();
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
