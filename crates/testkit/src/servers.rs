//! TLS-enabled PostgreSQL and Redis started by a test in a temporary directory, with
//! certificates from a [`TestCa`]; each server stops when its guard drops (or on
//! [`Server::stop`]). The machine's plain services (5432, 6379) are left alone. Feature `tls`.
//!
//! ```no_run
//! let ca = steadfast_testkit::tls::TestCa::new();
//! if let Some(mut pg) = steadfast_testkit::servers::postgres(&ca) {
//!     let url = format!("postgres://postgres@localhost:{}/postgres?sslmode=verify-full", pg.port);
//!     # let _ = url;
//!     pg.stop(); // connections are refused from now on
//! }
//! ```
#![allow(
    clippy::disallowed_methods,
    clippy::unwrap_used,
    reason = "test fixtures: server processes, their files and a wait for them to listen; a fixture that cannot be set up fails the test"
)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::tls::{TestCa, TestCaFiles};

/// A free port on 127.0.0.1 (bound, then released).
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Waits until something listens on `port`.
fn wait_listening(port: u16) -> bool {
    let until = Instant::now() + Duration::from_secs(20);
    while Instant::now() < until {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// Whether this process runs as root (then PostgreSQL must run as `postgres`).
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// A PostgreSQL server binary: on `PATH`, or under Debian's `/usr/lib/postgresql/*/bin`.
fn pg_bin(name: &str) -> Option<PathBuf> {
    let debian = std::fs::read_dir("/usr/lib/postgresql")
        .ok()
        .and_then(|dirs| {
            let mut found: Vec<PathBuf> = dirs
                .filter_map(Result::ok)
                .map(|d| d.path().join("bin").join(name))
                .filter(|p| p.is_file())
                .collect();
            found.sort();
            found.pop()
        });
    debian.or_else(|| crate::require_tool(name, "apt-get install postgresql"))
}

/// A running TLS server on 127.0.0.1; stopped on drop.
pub struct Server {
    /// The port it listens on (TLS).
    pub port: u16,
    /// The CA that signed its certificate, and the server's own files.
    pub ca: TestCaFiles,
    stop: Box<dyn FnMut() + Send>,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Stops the server now (it refuses connections afterwards); dropping does it too.
    pub fn stop(&mut self) {
        (self.stop)();
    }
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        (self.stop)();
    }
}

/// Runs `program args` as the `postgres` user when root, as ourselves otherwise.
fn as_server_user(program: &Path, args: &[&str]) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program).args(args);
        c
    } else {
        let mut c = Command::new(program);
        c.args(args);
        c
    }
}

/// PostgreSQL with `ssl=on`, trust authentication for `postgres` over TCP on 127.0.0.1;
/// `None` when the server binaries are missing outside CI.
///
/// # Panics
/// When the server cannot be set up, or its binaries are missing in CI.
pub fn postgres(ca: &TestCa) -> Option<Server> {
    postgres_with(ca, &[])
}

/// [`postgres`] with server settings of the test's (`-c name=value`), e.g.
/// `&[("shared_preload_libraries", "pg_stat_statements")]`; a value has no spaces or quotes.
///
/// # Panics
/// As [`postgres`], and on a value with spaces or quotes.
pub fn postgres_with(ca: &TestCa, settings: &[(&str, &str)]) -> Option<Server> {
    let (initdb, pg_ctl) = (pg_bin("initdb")?, pg_bin("pg_ctl")?);
    let dir = tempfile::tempdir().unwrap();
    let files = ca.write(dir.path());
    let data = dir.path().join("data");
    if is_root() {
        let ok = Command::new("chown")
            .args(["-R", "postgres:"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "chown of the PostgreSQL test directory failed");
    }
    let data_s = data.to_str().unwrap();
    let out = as_server_user(
        &initdb,
        &["-D", data_s, "-U", "postgres", "--auth=trust", "--no-sync"],
    )
    .stdout(Stdio::null())
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "initdb: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let port = free_port();
    let mut options = format!(
        "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c ssl=on -c ssl_cert_file={} -c ssl_key_file={} -c fsync=off",
        dir.path().display(),
        files.cert.display(),
        files.key.display()
    );
    for (name, value) in settings {
        assert!(
            !format!("{name}{value}")
                .contains(|c: char| c.is_whitespace() || c == '\'' || c == '"'),
            "a setting without spaces or quotes: {name}={value}"
        );
        options.push_str(&format!(" -c {name}={value}"));
    }
    let log = dir.path().join("pg.log");
    let status = as_server_user(
        &pg_ctl,
        &[
            "-D",
            data_s,
            "-l",
            log.to_str().unwrap(),
            "-o",
            &options,
            "-w",
            "start",
        ],
    )
    .stdout(Stdio::null())
    .status()
    .unwrap();
    assert!(
        status.success(),
        "pg_ctl start: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    assert!(wait_listening(port), "PostgreSQL did not listen");
    let data_owned = data_s.to_owned();
    Some(Server {
        port,
        ca: files,
        stop: Box::new(move || {
            let _ = as_server_user(&pg_ctl, &["-D", &data_owned, "-m", "immediate", "stop"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }),
        _dir: dir,
    })
}

/// Redis with TLS only (`--port 0`), a password, client certificates not asked for;
/// `None` when `redis-server` is missing outside CI.
///
/// # Panics
/// When the server cannot be started, or `redis-server` is missing in CI.
pub fn redis(ca: &TestCa, password: &str) -> Option<Server> {
    let redis = crate::require_tool("redis-server", "apt-get install redis-server")?;
    let dir = tempfile::tempdir().unwrap();
    let files = ca.write(dir.path());
    let port = free_port();
    let child: Child = Command::new(redis)
        .args([
            "--port",
            "0",
            "--tls-port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
        ])
        .arg("--tls-cert-file")
        .arg(&files.cert)
        .arg("--tls-key-file")
        .arg(&files.key)
        .arg("--tls-ca-cert-file")
        .arg(&files.ca)
        .args([
            "--tls-auth-clients",
            "no",
            "--requirepass",
            password,
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .arg("--dir")
        .arg(dir.path())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    assert!(
        wait_listening(port),
        "redis-server did not listen on its TLS port"
    );
    let mut child = Some(child);
    Some(Server {
        port,
        ca: files,
        stop: Box::new(move || {
            if let Some(mut c) = child.take() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }),
        _dir: dir,
    })
}
