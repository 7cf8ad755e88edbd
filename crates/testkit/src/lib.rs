//! Test helpers shared by the workspace's test suites, never a dependency of a library:
//! the one rule for a test that needs a tool or a service — it may skip on a developer's
//! machine, saying so, but where `CI` is set a missing tool is a failure, so a broken install
//! step can never turn real checks into green no-ops.
//!
//! ```
//! // A tool every machine has: found, so the test goes on.
//! let sh = steadfast_testkit::require_tool("sh", "apt-get install dash");
//! assert!(sh.is_some());
//! ```
#![allow(
    clippy::disallowed_methods,
    reason = "a test helper reads CI and service variables from the environment by design"
)]

use std::path::PathBuf;

mod acceptor;
pub mod fhir;
pub mod files;
pub mod pushgateway;
#[cfg(feature = "tls")]
pub mod servers;
#[cfg(feature = "tls")]
pub mod tls;

/// Whether the tests run in CI (`CI` set to anything but `false`/`0`/empty, as GitHub,
/// GitLab and our `.ci/run` set it).
///
/// ```
/// let _ = steadfast_testkit::in_ci();
/// ```
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Says why a test cannot run here: panics in CI, prints a `skipped:` line locally and
/// returns so the caller can return too.
///
/// ```
/// if !std::path::Path::new("/").is_dir() {
///     steadfast_testkit::skip("no root directory");
/// }
/// ```
///
/// # Panics
/// When [`in_ci`]: a check that cannot run there is a failure, not a skip.
pub fn skip(why: &str) {
    assert!(
        !in_ci(),
        "{why}; CI must run this test (install it in .ci/run)"
    );
    eprintln!("skipped: {why}");
}

/// The path of `name` on `PATH`, or `None` (after [`skip`]) when it is not installed.
///
/// ```
/// let Some(sh) = steadfast_testkit::require_tool("sh", "apt-get install dash") else {
///     return;
/// };
/// assert!(sh.is_file());
/// ```
///
/// # Panics
/// When the tool is missing and [`in_ci`].
pub fn require_tool(name: &str, install: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        skip(&format!("{name} is not installed ({install})"));
    }
    found
}

/// The first of `names` found on `PATH` (a tool packaged under several names, like
/// `chromium` and `chromium-browser`), or `None` after [`skip`].
///
/// ```
/// let shell = steadfast_testkit::require_any_tool(&["no-such-shell", "sh"], "apt-get install dash");
/// assert!(shell.is_some());
/// ```
///
/// # Panics
/// When none is installed and [`in_ci`].
pub fn require_any_tool(names: &[&str], install: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        names.iter().find_map(|name| {
            std::env::split_paths(&path)
                .map(|dir| dir.join(name))
                .find(|p| p.is_file())
        })
    });
    if found.is_none() {
        skip(&format!(
            "none of {} is installed ({install})",
            names.join(", ")
        ));
    }
    found
}

/// The value of the variable naming a test service (`STEADFAST_TEST_PG`,
/// `STEADFAST_TEST_REDIS`), or `None` (after [`skip`]) when it is unset.
///
/// ```
/// if let Some(url) = steadfast_testkit::require_service("PATH", "a search path") {
///     assert!(!url.is_empty());
/// }
/// ```
///
/// # Panics
/// When the variable is unset and [`in_ci`] (`.ci/run` exports every service variable).
pub fn require_service(var: &str, what: &str) -> Option<String> {
    let value = std::env::var(var).ok().filter(|v| !v.is_empty());
    if value.is_none() {
        skip(&format!("{var} is not set (no {what} to test against)"));
    }
    value
}

/// Asserts that `promtool check metrics` finds nothing to say about `exposition` (a
/// Prometheus text exposition): exit 0 and no lint findings.
///
/// ```no_run
/// # let promtool = std::path::Path::new("/usr/bin/promtool");
/// steadfast_testkit::assert_promtool_clean(promtool, "# HELP up Up.\n# TYPE up gauge\nup 1\n");
/// ```
///
/// # Panics
/// When promtool cannot be run or reports a finding.
pub fn assert_promtool_clean(promtool: &std::path::Path, exposition: &str) {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let mut check = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", promtool.display()));
    if let Some(mut stdin) = check.stdin.take() {
        stdin
            .write_all(exposition.as_bytes())
            .unwrap_or_else(|e| panic!("cannot feed promtool: {e}"));
    }
    let out = check
        .wait_with_output()
        .unwrap_or_else(|e| panic!("promtool did not finish: {e}"));
    let findings = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && findings.trim().is_empty(),
        "promtool: {findings}"
    );
}
