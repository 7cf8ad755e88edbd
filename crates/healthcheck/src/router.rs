//! [`Health::router`]: the health endpoints as an axum [`Router`] to nest under any prefix —
//! `/` (every check), `/live`, `/ready`, `/startup`, `/checks/{name}` and a custom group at
//! `/{group}` — with kube-apiserver's `?exclude=name` and `?verbose`, details only for
//! callers who may see them, and a configurable status → HTTP code map. The server of
//! `serve` nests the same router at `/health`.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use steadfast_core::Status;

use crate::query::Query;
use crate::{Group, Health, HealthReport, ShowDetails, StatusCodes};

/// Options of [`Health::router_with`].
#[derive(Debug, Clone, Default)]
pub struct RouterOptions {
    /// Who sees observed values and reasons (default: nobody).
    pub show_details: ShowDetails,
    /// The HTTP status of pass, warn and fail (default 200, 200, 503).
    pub status_codes: StatusCodes,
}

/// What every handler shares: one reference count per request.
type AppState = Arc<Shared>;

struct Shared {
    health: Health,
    options: RouterOptions,
    rendered: Rendered,
}

/// Bodies rendered once per [`Health::generation`] for plain requests (no query) of every
/// check, live, ready and startup, per caller (public, authorised): a probe then costs a
/// lock and a reference count, not a report, a clone and a JSON serialisation.
#[derive(Default)]
struct Rendered {
    slots: [Mutex<Option<(u64, StatusCode, Bytes)>>; 8],
}

const HEALTH_JSON: &str = "application/health+json";
const TEXT: &str = "text/plain; charset=utf-8";

impl Health {
    /// The health endpoints as an axum [`Router`] (also a tower `Service`) with default
    /// options: reasons withheld from every caller, warn → 200, fail → 503. Nest it under
    /// any prefix of your own application.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use steadfast_healthcheck::{CheckOutput, Group, Registration, HealthRegistry};
    ///
    /// let health = HealthRegistry::new()
    ///     .register(Registration::new("process:alive", || async { CheckOutput::pass() }).groups([Group::Live]))?
    ///     .start();
    /// // GET /api/v1/health, /api/v1/health/ready?verbose, /api/v1/health/checks/process:alive …
    /// let app: axum::Router = axum::Router::new().nest("/api/v1/health", health.router());
    /// # let _ = app;
    /// # Ok::<(), steadfast_healthcheck::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn router(&self) -> Router {
        self.router_with(RouterOptions::default())
    }

    /// [`router`](Self::router) with `options`: who sees details, and the status codes.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use steadfast_healthcheck::{Group, HealthRegistry, RouterOptions, ShowDetails, StatusCodes};
    ///
    /// let health = HealthRegistry::new().start();
    /// let options = RouterOptions {
    ///     show_details: ShowDetails::WhenAuthorized("s3cret".into()),
    ///     status_codes: StatusCodes::default().warn_for(Group::Ready, 503),
    /// };
    /// let app: axum::Router = axum::Router::new().nest("/health", health.router_with(options));
    /// # let _ = app;
    /// # });
    /// ```
    pub fn router_with(&self, options: RouterOptions) -> Router {
        self.routes_at("", options)
    }

    /// The endpoints with their full paths under `prefix` (`/health`), for a server that
    /// would otherwise nest [`router_with`](Self::router_with) there: no prefix stripped
    /// and no URI rebuilt per request. `""` gives the router to nest.
    pub(crate) fn routes_at(&self, prefix: &str, options: RouterOptions) -> Router {
        let state = Arc::new(Shared {
            health: self.clone(),
            options,
            rendered: Rendered::default(),
        });
        let at = |path: &str| format!("{prefix}{path}");
        Router::new()
            .route(if prefix.is_empty() { "/" } else { prefix }, get(all))
            .route(&at("/live"), get(live))
            .route(&at("/ready"), get(ready))
            .route(&at("/startup"), get(startup))
            .route(&at("/checks/{name}"), get(one_check))
            .route(&at("/{group}"), get(custom_group))
            .with_state(state)
    }
}

/// The body of an answer with its content type.
fn respond(status: StatusCode, content_type: &'static str, body: Bytes) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response()
}

fn code(n: u16) -> StatusCode {
    StatusCode::from_u16(n).unwrap_or(StatusCode::SERVICE_UNAVAILABLE)
}

/// A group's answer: from the rendered bodies for a plain request of a built-in group,
/// rendered for this request otherwise.
fn answer(s: &Shared, request: &Request, group: Option<&Group>) -> Response {
    let authorized = s.options.show_details.allows(request.headers());
    let slot = match group {
        None => Some(0),
        Some(Group::Live) => Some(2),
        Some(Group::Ready) => Some(4),
        Some(Group::Startup) => Some(6),
        Some(Group::Custom(_)) => None,
    };
    let (Some(slot), None) = (slot, request.uri().query()) else {
        return answer_query(s, request, group, authorized);
    };
    s.health.refresh_stale(group);
    let slot = slot + usize::from(authorized);
    let generation = s.health.generation();
    let mut cached = s.rendered.slots[slot]
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    let (status, body) = match &*cached {
        Some((g, status, body)) if *g == generation => (*status, body.clone()),
        _ => {
            let report = s.health.report(group);
            let report = if authorized { report } else { report.public() };
            let status = code(s.options.status_codes.code(group, report.status));
            let body = Bytes::from(report.to_json());
            *cached = Some((generation, status, body.clone()));
            (status, body)
        }
    };
    drop(cached);
    respond(status, HEALTH_JSON, body)
}

/// A group's answer to a request with `?exclude=` or `?verbose`.
fn answer_query(
    s: &Shared,
    request: &Request,
    group: Option<&Group>,
    authorized: bool,
) -> Response {
    let query = Query::parse(request.uri().query());
    // A name outside the group is as unknown here as a name of no check at all.
    let names = s.health.names_in(group);
    let (excluded, unknown): (Vec<&String>, Vec<&String>) = query
        .exclude
        .iter()
        .partition(|n| names.contains(n.as_str()));
    let mut report = s
        .health
        .report_where(group, |name| !excluded.iter().any(|e| *e == name));
    // Unknown names are reported, not refused (kube-apiserver's readyz does the same).
    report.notes = unknown
        .iter()
        .map(|n| format!("no check named {n:?} to exclude"))
        .collect();
    let report = if authorized { report } else { report.public() };
    let status = code(s.options.status_codes.code(group, report.status));
    let title = match group {
        None => "health",
        Some(Group::Live) => "livez",
        Some(Group::Ready) => "readyz",
        Some(Group::Startup) => "startupz",
        Some(Group::Custom(name)) => name.as_str(),
    };
    if query.verbose {
        let text = verbose(&report, title, &excluded, &unknown);
        respond(status, TEXT, Bytes::from(text))
    } else {
        respond(status, HEALTH_JSON, Bytes::from(report.to_json()))
    }
}

/// kube-apiserver's verbose listing: `[+]name ok`, `[-]name failed: reason withheld`, the
/// excluded checks, unknown exclusions, and a last line with the outcome.
fn verbose(
    report: &HealthReport,
    title: &str,
    excluded: &[&String],
    unknown: &[&String],
) -> String {
    let mut out = String::new();
    for (name, results) in &report.checks {
        let Some(r) = results.first() else { continue };
        let reason = r.result.output.unwrap_or("reason withheld");
        let _ = match r.result.status {
            Status::Pass => writeln!(out, "[+]{name} ok"),
            Status::Warn => writeln!(out, "[+]{name} warn: {reason}"),
            Status::Fail => writeln!(out, "[-]{name} failed: {reason}"),
        };
    }
    for name in excluded {
        let _ = writeln!(out, "[+]{name} excluded: ok");
    }
    if !unknown.is_empty() {
        let quoted: Vec<String> = unknown.iter().map(|n| format!("{n:?}")).collect();
        let _ = writeln!(
            out,
            "warn: some health checks cannot be excluded: no matches for {}",
            quoted.join(",")
        );
    }
    if let Some(output) = report.output {
        let _ = writeln!(out, "[-]{output}");
    }
    let outcome = match report.status {
        Status::Pass => "passed",
        Status::Warn => "passed with warnings",
        Status::Fail => "failed",
    };
    let _ = writeln!(out, "{title} check {outcome}");
    out
}

fn not_found(what: &str) -> Response {
    respond(
        StatusCode::NOT_FOUND,
        TEXT,
        Bytes::from(format!("no such {what}\n")),
    )
}

async fn all(State(s): State<AppState>, request: Request) -> Response {
    answer(&s, &request, None)
}

async fn live(State(s): State<AppState>, request: Request) -> Response {
    answer(&s, &request, Some(&Group::Live))
}

async fn ready(State(s): State<AppState>, request: Request) -> Response {
    answer(&s, &request, Some(&Group::Ready))
}

async fn startup(State(s): State<AppState>, request: Request) -> Response {
    answer(&s, &request, Some(&Group::Startup))
}

async fn custom_group(
    State(s): State<AppState>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    let group = Group::Custom(name);
    if !s.health.has_group(&group) {
        return not_found("group");
    }
    answer(&s, &request, Some(&group))
}

async fn one_check(
    State(s): State<AppState>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    let Some(report) = s.health.report_check(&name) else {
        return not_found("check");
    };
    let authorized = s.options.show_details.allows(request.headers());
    let report = if authorized { report } else { report.public() };
    let status = code(s.options.status_codes.code(None, report.status));
    if Query::parse(request.uri().query()).verbose {
        respond(status, TEXT, Bytes::from(verbose(&report, &name, &[], &[])))
    } else {
        respond(status, HEALTH_JSON, Bytes::from(report.to_json()))
    }
}
