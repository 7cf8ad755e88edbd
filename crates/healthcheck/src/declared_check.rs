//! Range and consistency checks of `[[health.checks]]` entries: each problem keyed by its
//! path (`checks[2].addr`), so the loader reports it at the file:line:col it was written.

use steadfast_core::HumanDuration;
use steadfast_core::config::suggest;

use crate::config_keys::check as keys;
use crate::declared::{CheckKind, CheckSpec};

impl CheckSpec {
    /// Which target keys are set.
    fn target_keys(&self) -> Vec<&'static str> {
        let set = [
            ("path", self.path.is_some()),
            ("min_free", self.min_free.is_some()),
            ("min_available", self.min_available.is_some()),
            ("addr", self.addr.is_some()),
            ("url", self.url.is_some()),
            ("expect_status", self.expect_status.is_some()),
            ("password", self.password.is_some()),
            ("token", self.token.is_some()),
            ("ca_file", self.ca_file.is_some()),
            ("client_cert_file", self.client_cert_file.is_some()),
            ("client_key_file", self.client_key_file.is_some()),
            ("runs_root", self.runs_root.is_some()),
            ("pipeline", self.pipeline.is_some()),
            ("max_age", self.max_age.is_some()),
            ("warn_lag", self.warn_lag.is_some()),
            ("fail_lag", self.fail_lag.is_some()),
        ];
        set.iter().filter(|(_, on)| *on).map(|(k, _)| *k).collect()
    }

    /// Reports what is wrong with this entry; `ttl` is `[health] check_ttl`.
    pub(crate) fn check(&self, ttl: HumanDuration, problems: &mut Found) {
        check_name(&self.name, problems);
        let Some(kind) = self.kind else {
            problems.error(
                "kind",
                "missing key 'kind'; add it: one of disk, memory, tcp, http, fhir, postgres, redis, staleness, runtime",
            );
            return;
        };
        if let Some(feature) = kind.missing_feature() {
            problems.error(
                "kind",
                format!(
                    "kind '{}' needs steadfast-healthcheck's feature '{feature}', which this build lacks",
                    kind.as_str()
                ),
            );
        }
        let (required, optional) = kind.keys();
        for key in self.target_keys() {
            if !required.contains(&key) && !optional.contains(&key) {
                let takes: Vec<&str> = required.iter().chain(optional).copied().collect();
                let takes = if takes.is_empty() {
                    "none".to_owned()
                } else {
                    takes.join(", ")
                };
                problems.error(
                    key,
                    format!(
                        "'{key}' does not apply to a {} check; it takes: {takes}",
                        kind.as_str()
                    ),
                );
            }
        }
        for key in required {
            if !self.target_keys().contains(key) {
                problems.error(
                    "kind",
                    format!(
                        "a {} check needs '{key}'; add it, like {}",
                        kind.as_str(),
                        example(kind, key)
                    ),
                );
            }
        }
        self.check_groups(kind, problems);
        self.check_timing(ttl, problems);
        self.check_target(kind, problems);
    }

    fn check_groups(&self, kind: CheckKind, problems: &mut Found) {
        let Some(names) = &self.groups else { return };
        for (i, name) in names.iter().enumerate() {
            let key = format!("groups[{i}]");
            if let Some(problem) = group_problem(name) {
                problems.error(&key, problem);
            }
            if kind.is_external() && name == "live" {
                problems.error(
                    &key,
                    format!(
                        "a {} check touches an external system and cannot be in the live group: a restart cannot fix a dependency; use \"ready\"",
                        kind.as_str()
                    ),
                );
            }
        }
    }

    fn check_timing(&self, default_ttl: HumanDuration, problems: &mut Found) {
        let ranges = [
            (&keys::TIMEOUT, self.timeout),
            (&keys::TTL, self.ttl),
            (&keys::INTERVAL, self.interval),
            (&keys::MAX_STALE, self.max_stale),
            (&keys::MAX_AGE, self.max_age),
            (&keys::WARN_LAG, self.warn_lag),
            (&keys::FAIL_LAG, self.fail_lag),
        ];
        for (spec, value) in ranges {
            if let Some(message) = value.and_then(|v| spec.out_of_range(v)) {
                problems.error(spec.key, message);
            }
        }
        if self.ttl.is_some() && self.interval.is_some() {
            problems.error(
                "interval",
                "set either ttl (refreshed when probed) or interval (refreshed on a timer), not both",
            );
        }
        let period = self.interval.or(self.ttl).unwrap_or(default_ttl);
        if let Some(max_stale) = self.max_stale
            && max_stale <= period
        {
            problems.error(
                "max_stale",
                format!(
                    "{max_stale} is out of range for max_stale: expected longer than the refresh period ({period}), or leave it unset for 3 × that"
                ),
            );
        }
        if let (Some(warn), Some(fail)) = (self.warn_lag, self.fail_lag)
            && warn >= fail
        {
            problems.error(
                "warn_lag",
                format!("warn_lag ({warn}) must be shorter than fail_lag ({fail})"),
            );
        }
        for (spec, n) in [
            (&keys::FAIL_AFTER, self.fail_after),
            (&keys::PASS_AFTER, self.pass_after),
        ] {
            if let Some(message) = spec.out_of_range(n) {
                problems.error(spec.key, message);
            }
        }
    }

    fn check_target(&self, kind: CheckKind, problems: &mut Found) {
        let result = match kind {
            CheckKind::Tcp => self
                .addr
                .as_deref()
                .map(|a| ("addr", crate::target::host_port(a).map(drop))),
            CheckKind::Http | CheckKind::Fhir => self
                .url
                .as_deref()
                .map(|u| ("url", crate::target::http_url(u).map(drop))),
            CheckKind::Postgres | CheckKind::Redis => self
                .url
                .as_deref()
                .map(|u| ("url", crate::target::datastore_url(kind, u).map(drop))),
            _ => None,
        };
        if let Some((key, Err(message))) = result {
            problems.error(key, message);
        }
        if let Some(status) = self.expect_status
            && let Some(expected) = keys::EXPECT_STATUS.expected(status)
        {
            problems.error(
                "expect_status",
                format!("{status} is not an HTTP status: expected {expected}"),
            );
        }
    }
}

fn example(kind: CheckKind, key: &str) -> &'static str {
    match (kind, key) {
        (_, "path") => "path = \"/data\"",
        (_, "addr") => "addr = \"db.internal:5432\"",
        (CheckKind::Postgres, "url") => "url = \"postgres://etl@db.internal:5432/fhir\"",
        (CheckKind::Redis, "url") => "url = \"redis://cache.internal:6379\"",
        (_, "url") => "url = \"https://ehr.internal/fhir\"",
        (_, "runs_root") => "runs_root = \"runs\"",
        (_, "pipeline") => "pipeline = \"epic-fhir\"",
        (_, "max_age") => "max_age = \"26h\"",
        _ => "the documented value",
    }
}

fn check_name(name: &str, problems: &mut Found) {
    if name.is_empty() {
        problems.error(
            "name",
            "missing key 'name'; add it, like name = \"db:ping\" (component:measurement)",
        );
    } else if name.len() > 128 || name.chars().any(|c| c.is_control() || c == '/' || c == ' ') {
        problems.error(
            "name",
            format!(
                "'{}' is not a check name: at most 128 characters, no spaces, '/' or control characters (it is a path segment of …/checks/{{name}})",
                name.escape_debug()
            ),
        );
    }
}

/// What is wrong with a group name, if anything: a custom group is served at its own path,
/// so it is a lower-case word, and a near miss of a built-in one is taken for a typo.
pub(crate) fn group_problem(name: &str) -> Option<String> {
    if matches!(name, "live" | "ready" | "startup") {
        return None;
    }
    if let Some(near) = suggest(name, ["live", "ready", "startup"]) {
        return Some(format!(
            "unknown group '{name}'; did you mean '{near}'? (a group of your own needs a name that is not a near miss of live, ready or startup)"
        ));
    }
    let word = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !word || name == "checks" {
        return Some(format!(
            "'{}' is not a group name: lower-case letters, digits, '-' and '_', at most 64, not 'checks' (a group is served at …/{{group}})",
            name.escape_debug()
        ));
    }
    None
}

/// Problems of one entry: the key (relative to the entry) and what is wrong.
#[derive(Debug, Default)]
pub(crate) struct Found(Vec<(String, String)>);

impl Found {
    fn error(&mut self, key: &str, message: impl Into<String>) {
        self.0.push((key.to_owned(), message.into()));
    }
}

/// Every problem of `[[health.checks]]` (`ttl` is `[health] check_ttl`), each as its key
/// path relative to `[health]` (`checks[2].addr`) and what is wrong, in order.
pub(crate) fn check_all(specs: &[CheckSpec], ttl: HumanDuration) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let mut found = Found::default();
        spec.check(ttl, &mut found);
        if !spec.name.is_empty() && specs[..i].iter().any(|s| s.name == spec.name) {
            found.error(
                "name",
                format!(
                    "check '{}' is declared twice; names identify checks in reports, rename one",
                    spec.name
                ),
            );
        }
        out.extend(
            found
                .0
                .into_iter()
                .map(|(key, message)| (format!("checks[{i}].{key}"), message)),
        );
    }
    out
}
