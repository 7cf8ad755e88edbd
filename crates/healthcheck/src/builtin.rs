//! The TCP connect check. (HTTP and FHIR are in `http_check.rs`, checks that read local files in
//! `local.rs`.)

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpStream;

use crate::check::{BoxFuture, Check, CheckOutput};

/// Connects to `addr`; pass when the connection opens.
///
/// ```
/// use steadfast_healthcheck::{Check, TcpCheck};
/// let check = TcpCheck::new("127.0.0.1:1".parse().unwrap());
/// assert!(check.is_external());
/// ```
#[derive(Debug, Clone)]
pub struct TcpCheck {
    addr: SocketAddr,
}

impl TcpCheck {
    /// A check of `addr`.
    pub fn new(addr: SocketAddr) -> Self {
        Self { addr }
    }
}

impl Check for TcpCheck {
    fn check(&self) -> BoxFuture<'_, CheckOutput> {
        Box::pin(async move {
            let start = tokio::time::Instant::now();
            match TcpStream::connect(self.addr).await {
                Ok(_) => CheckOutput::pass().observed(ms(start.elapsed()), "ms"),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    CheckOutput::fail("connection refused")
                }
                Err(_) => CheckOutput::fail("connection failed"),
            }
        })
    }

    fn is_external(&self) -> bool {
        true
    }
}

#[allow(clippy::cast_precision_loss, reason = "milliseconds for display")]
pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
