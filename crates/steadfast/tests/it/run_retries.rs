//! A `Run` records what its retry policies and breaker did: the retries, give-ups by reason,
//! HTTP errors by status and breaker openings of `run.retry()` are in its `metrics.ndjson`
//! under the retry crate's names, and its page shows them — "not recorded" when a run did
//! not record them, never a false 0.

use steadfast::Run;
use steadfast::report::{RunView, render};
use steadfast::retry::series::{
    LABEL_REASON, LABEL_STATUS, LABEL_TO, RUN_BREAKER_TRANSITIONS, RUN_GIVE_UPS, RUN_HTTP_ERRORS,
    RUN_RETRIES, RUN_STEP,
};
use steadfast::retry::{Classify, Decision, ErrorFacts, Facts, ManualClock, RetryError};

/// An HTTP answer that is not a success.
#[derive(Debug)]
struct Status(u16);

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {}", self.0)
    }
}

impl Facts for Status {
    fn facts(&self) -> ErrorFacts {
        ErrorFacts::http(self.0)
    }
}

fn classify(s: &Status) -> Decision {
    if s.0 >= 500 {
        Decision::Retry
    } else {
        Decision::Stop
    }
}

fn start(root: &std::path::Path, sets: &[&str]) -> Run {
    let mut b = Run::builder("extract")
        .runs_root(root)
        .env_vars::<_, String, String>([]);
    for s in sets {
        b = b.set(s);
    }
    b.start().unwrap()
}

fn call(policy: &steadfast::retry::RetryPolicy, answers: &[u16]) -> Result<(), RetryError<Status>> {
    policy.retry_if(classify.with_facts(), |n| {
        match answers.get(n as usize - 1) {
            Some(&s) => Err(Status(s)),
            None => Ok(()),
        }
    })
}

fn cell(page: &str, row: &str) -> String {
    let th = format!("<th>{row}</th>");
    let at = page.find(&th).unwrap_or_else(|| panic!("no row {row}")) + th.len();
    let end = page[at..].find("</td>").unwrap() + at;
    page[at..end].to_owned()
}

#[test]
fn retries_give_ups_errors_and_openings_are_in_the_metrics_and_on_the_page() {
    let root = tempfile::tempdir().unwrap();
    let run = start(
        root.path(),
        &[
            "retry.max_retries=2",
            "retry.breaker.consecutive_failures=3",
        ],
    );
    let dir = run.dir().clone();
    let clock = ManualClock::new(); // no real waiting
    let policy = run.retry().manual_clock(&clock).on_retry(|_| {}); // a hook replaces no record
    // 2 retries, then success.
    call(&policy, &[503, 503]).unwrap();
    // A permanent 404: no retry.
    let e = call(&policy, &[404]).unwrap_err();
    assert_eq!(e.reason().as_str(), "permanent");
    // Three 503s: 2 retries, exhausted; the third failure in a row opens the breaker.
    let e = call(&policy, &[503, 503, 503]).unwrap_err();
    assert_eq!(e.reason().as_str(), "exhausted");
    assert!(run.circuit_breaker().unwrap().is_open());
    // Refused at once (fail fast).
    let e = call(&policy, &[]).unwrap_err();
    assert_eq!(e.reason().as_str(), "circuit_open");
    run.finish().unwrap();

    let m = steadfast::metrics::read_run(&dir).unwrap();
    assert_eq!(m.total(RUN_STEP, RUN_RETRIES), 4.0);
    assert_eq!(m.total(RUN_STEP, RUN_GIVE_UPS), 3.0);
    for reason in ["permanent", "exhausted", "circuit_open"] {
        let got = m.get(RUN_STEP, RUN_GIVE_UPS, &[(LABEL_REASON, reason)]);
        assert_eq!(got.map(|t| t.value), Some(1.0), "{reason}");
    }
    let by_status = |s: &str| {
        m.get(RUN_STEP, RUN_HTTP_ERRORS, &[(LABEL_STATUS, s)])
            .map(|t| t.value)
    };
    assert_eq!((by_status("503"), by_status("404")), (Some(5.0), Some(1.0)));
    let opened = m.get(RUN_STEP, RUN_BREAKER_TRANSITIONS, &[(LABEL_TO, "open")]);
    assert_eq!(opened.map(|t| t.value), Some(1.0));

    let page = render(&RunView::load(dir.path()).unwrap());
    assert_eq!(cell(&page, "Retries"), "<td class=\"num\">4");
    assert_eq!(
        cell(&page, "Gave up"),
        "<td class=\"num\">3 <span class=\"muted\">(circuit_open 1, exhausted 1, permanent 1)</span>"
    );
    assert_eq!(
        cell(&page, "HTTP errors"),
        "<td class=\"num\">6 <span class=\"muted\">(503 × 5, 404 × 1)</span>"
    );
    assert_eq!(
        cell(&page, "Circuit-breaker openings"),
        "<td class=\"num\">1"
    );
}

#[test]
fn what_a_run_did_not_record_reads_not_recorded_and_what_it_did_reads_zero() {
    let root = tempfile::tempdir().unwrap();
    // No `run.retry()`, no breaker: nothing of it was recorded.
    let run = start(root.path(), &["retry.breaker.enabled=false"]);
    let dir = run.dir().clone();
    run.finish().unwrap();
    let page = render(&RunView::load(dir.path()).unwrap());
    for row in [
        "Retries",
        "Gave up",
        "HTTP errors",
        "Circuit-breaker openings",
    ] {
        assert_eq!(
            cell(&page, row),
            "<td class=\"num muted\">not recorded",
            "{row}"
        );
    }

    // A policy that only succeeded and a breaker that never opened: true zeros.
    let run = start(root.path(), &[]);
    let dir = run.dir().clone();
    call(&run.retry(), &[]).unwrap();
    run.finish().unwrap();
    let page = render(&RunView::load(dir.path()).unwrap());
    for row in [
        "Retries",
        "Gave up",
        "HTTP errors",
        "Circuit-breaker openings",
    ] {
        assert_eq!(cell(&page, row), "<td class=\"num\">0", "{row}");
    }
}
