//! `RetryMiddleware` (feature `reqwest-middleware`): a Steadfast retry policy — its breaker,
//! budget, deadline and `Retry-After` handling — on every request of a
//! `reqwest_middleware::ClientWithMiddleware`, each request retried by its idempotency
//! class exactly as [`FhirClient`](crate::FhirClient) retries its own.

use std::fmt;
use std::io::{Error as IoError, ErrorKind};

use http::Extensions;
use reqwest_middleware::{Middleware, Next};
use steadfast_http::elide_query_values;
use steadfast_http::reqwest::{self, Request, Response};
use steadfast_retry::{Classify as _, Decision, RetryPolicy};

use crate::error::{FhirError, Phase};
use crate::method::{Idempotency, Method};

/// A `reqwest-middleware` middleware retrying each request through `policy`, by its
/// idempotency class: `GET`/`HEAD`/`PUT`/`DELETE` and a `POST` carrying `If-None-Exist` on
/// 408, 425, 429, 5xx and transient transport errors; a plain `POST`/`PATCH` only when it
/// cannot have reached the server (connect phase) or got 429. A request whose body cannot
/// be cloned (a stream) and other methods are sent once.
///
/// When the policy gives up, the caller gets the last answer as it was — the final `503`
/// response, or the last transport error — so code written for plain reqwest keeps
/// working; a call the breaker refused before any attempt is a
/// `reqwest_middleware::Error::Middleware` holding [`FhirError::GaveUp`].
///
/// ```
/// use steadfast_fhir::RetryMiddleware;
/// use steadfast_http::HttpSettings;
/// use steadfast_retry::{CircuitBreaker, RetryPolicy};
///
/// let policy = RetryPolicy::exponential().max_retries(3)
///     .circuit_breaker(CircuitBreaker::builder().consecutive_failures(5).build());
/// let http = HttpSettings::default().build()?;
/// let client = reqwest_middleware::ClientBuilder::new(http.reqwest().clone())
///     .with(RetryMiddleware::new(policy))   // one line
///     .build();
/// # let _ = client;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct RetryMiddleware {
    policy: RetryPolicy,
}

impl RetryMiddleware {
    /// A middleware retrying through `policy`.
    pub fn new(policy: RetryPolicy) -> Self {
        Self { policy }
    }
}

impl fmt::Debug for RetryMiddleware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryMiddleware").finish_non_exhaustive()
    }
}

/// One failed attempt: the answer or error to hand back, and the same failure as this
/// crate's error, which the idempotency class judges (and which names no query value).
/// The response is boxed: it is large.
enum Failed {
    Status(Box<Response>, FhirError),
    Error(reqwest_middleware::Error, FhirError),
    /// The request could not be cloned for another attempt.
    Unclonable(FhirError),
}

impl Failed {
    fn judged(&self) -> &FhirError {
        match self {
            Self::Status(_, e) | Self::Error(_, e) | Self::Unclonable(e) => e,
        }
    }
}

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.judged().fmt(f)
    }
}

/// What hooks and listeners see of a failed attempt: its status and `Retry-After`, or its
/// I/O kind.
impl steadfast_retry::Facts for Failed {
    fn facts(&self) -> steadfast_retry::ErrorFacts {
        self.judged().facts()
    }
}

#[async_trait::async_trait]
impl Middleware for RetryMiddleware {
    async fn handle(
        &self,
        req: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let Some(method) = method_of(req.method()) else {
            return next.run(req, extensions).await;
        };
        if req.try_clone().is_none() {
            return next.run(req, extensions).await;
        }
        let class = Idempotency::of_request(method, req.headers().contains_key("if-none-exist"));
        let path = shown(req.url());
        let classify = (move |e: &Failed| match e {
            Failed::Unclonable(_) => Decision::Stop,
            other => class.classify(other.judged()),
        })
        .with_facts();
        let attempt = |_| {
            let request = req.try_clone();
            let (next, mut extensions, path) = (next.clone(), extensions.clone(), path.clone());
            async move {
                let Some(request) = request else {
                    let e = FhirError::Middleware {
                        method,
                        path,
                        reason: "the request's body cannot be sent again",
                    };
                    return Err(Failed::Unclonable(e));
                };
                judge(method, path, next.run(request, &mut extensions).await)
            }
        };
        match self.policy.retry_async_if(classify, attempt).await {
            Ok(response) => Ok(response),
            Err(err) => {
                let (attempts, reason) = (err.attempts(), err.reason());
                match err.into_last_error() {
                    Some(Failed::Status(response, _)) => Ok(*response),
                    Some(Failed::Error(error, _)) => Err(error),
                    last => Err(reqwest_middleware::Error::middleware(FhirError::GaveUp {
                        method,
                        path,
                        attempts,
                        reason,
                        dead_lettered: false,
                        last: last.map(|l| Box::new(into_judged(l))),
                    })),
                }
            }
        }
    }
}

fn into_judged(failed: Failed) -> FhirError {
    match failed {
        Failed::Status(_, e) | Failed::Error(_, e) | Failed::Unclonable(e) => e,
    }
}

/// An attempt's outcome: a status worth judging (408, 425, 429, 5xx) or an error is a
/// failure; any other answer is the caller's.
fn judge(
    method: Method,
    path: String,
    outcome: reqwest_middleware::Result<Response>,
) -> Result<Response, Failed> {
    match outcome {
        Ok(response) => {
            let status = response.status().as_u16();
            if status < 500 && !matches!(status, 408 | 425 | 429) {
                return Ok(response);
            }
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let judged = FhirError::Status {
                method,
                path,
                status,
                retry_after,
                outcome: None,
            };
            Err(Failed::Status(Box::new(response), judged))
        }
        Err(error) => {
            let judged = transport(method, path, &error);
            Err(Failed::Error(error, judged))
        }
    }
}

/// A transport failure as this crate's error: refused or not connected → connect phase
/// (never reached the server); a TLS failure (an `InvalidData` I/O error in the chain) →
/// not retried; a timeout or a connection closed → request phase (may have reached it).
fn transport(method: Method, path: String, error: &reqwest_middleware::Error) -> FhirError {
    let io = |phase, kind| FhirError::Transport {
        method,
        path: path.clone(),
        phase,
        source: IoError::from(kind),
    };
    let reqwest_middleware::Error::Reqwest(e) = error else {
        return FhirError::Middleware {
            method,
            path,
            reason: "a middleware after the retry middleware failed",
        };
    };
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(io_error) = s.downcast_ref::<IoError>() {
            match io_error.kind() {
                ErrorKind::InvalidData => {
                    return FhirError::Tls {
                        method,
                        path,
                        reason: "tls handshake failed",
                    };
                }
                ErrorKind::ConnectionRefused => {
                    return io(Phase::Connect, ErrorKind::ConnectionRefused);
                }
                _ => {}
            }
        }
        source = s.source();
    }
    if e.is_connect() {
        io(Phase::Connect, ErrorKind::NotConnected)
    } else if e.is_timeout() {
        io(Phase::Request, ErrorKind::TimedOut)
    } else if e.is_builder() {
        FhirError::Middleware {
            method,
            path,
            reason: "the request could not be built",
        }
    } else {
        io(Phase::Request, ErrorKind::ConnectionReset)
    }
}

fn method_of(method: &reqwest::Method) -> Option<Method> {
    Some(match *method {
        reqwest::Method::GET => Method::Get,
        reqwest::Method::HEAD => Method::Head,
        reqwest::Method::PUT => Method::Put,
        reqwest::Method::DELETE => Method::Delete,
        reqwest::Method::POST => Method::Post,
        reqwest::Method::PATCH => Method::Patch,
        _ => return None,
    })
}

/// The URL as errors show it: path and query keys, no host, no query values.
fn shown(url: &reqwest::Url) -> String {
    match url.query() {
        Some(q) => elide_query_values(&format!("{}?{q}", url.path())),
        None => url.path().to_owned(),
    }
}
