//! An API with health under `/api/v1/health`, request metrics and `/metrics`: `cargo run -p
//! steadfast-healthcheck --features server --example app`, `curl -i :3000/api/v1/patients/42`.

use axum::{Router, extract::Path, routing::get};
use steadfast_healthcheck::{CheckOutput, Group, HealthRegistry, Registration, RequestMetrics};

/// The API, health under `/api/v1/health` and `/metrics`; every route measured.
pub(crate) fn app(prom: prometheus::Registry) -> Result<Router, steadfast_healthcheck::Error> {
    let alive = Registration::new("process:alive", || async { CheckOutput::pass() });
    let db = Registration::new("db:ping", || async { CheckOutput::pass() });
    let prefix = steadfast_core::Prefix::default(); // [metrics] prometheus_prefix
    let health = HealthRegistry::new()
        .metrics(&prom, &prefix)?
        .register(alive.groups([Group::Live]))?;
    let health = health.register(db)?.start();
    let layer = RequestMetrics::default().listener("api");
    let layer = layer.response_time_header(true).register(&prom, &prefix)?;
    let scrape = move || async move {
        let text = prometheus::TextEncoder::new().encode_to_string(&prom.gather());
        text.unwrap_or_default()
    };
    let patient = |Path(id): Path<u64>| async move { format!("{id}") };
    Ok(Router::new()
        .route("/api/v1/patients/{id}", get(patient))
        .nest("/api/v1/health", health.router())
        .route("/metrics", get(scrape))
        .layer(layer))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    let app = app(prometheus::Registry::new())?;
    let stop = steadfast_healthcheck::shutdown_signal();
    axum::serve(listener, app)
        .with_graceful_shutdown(stop)
        .await?;
    Ok(())
}
