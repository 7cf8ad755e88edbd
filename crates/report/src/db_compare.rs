//! The compare page's database section: statements of two runs matched by fingerprint id
//! (the client's view where recorded, else PostgreSQL's `pg_stat_statements` delta, else
//! DuckDB's profiled queries), mean time per call with the same regression mark as the
//! profiler's components (worse by more than 10%), and the client's statements judged by
//! [`compare_statements`]' test.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use steadfast_db::DbProfile;

use steadfast_perf_profiler::{CompareOptions, Verdict};

use crate::db_regress::judge;
use crate::html::{delta, esc, ms};
use crate::view::RunView;

/// Statements shown, most total time first.
const SHOWN: usize = 30;

/// One statement of one run: its text, the engine that saw it, calls and total seconds.
#[derive(Clone)]
struct Seen {
    text: String,
    engine: &'static str,
    calls: u64,
    total: f64,
}

impl Seen {
    #[allow(clippy::cast_precision_loss, reason = "a mean shown")]
    fn mean(&self) -> Option<f64> {
        (self.calls > 0).then(|| self.total / self.calls as f64)
    }
}

fn by_id(p: Option<&DbProfile>) -> BTreeMap<String, Seen> {
    let mut out: BTreeMap<String, Seen> = BTreeMap::new();
    let Some(p) = p else { return out };
    for s in p.statements.iter().filter(|s| s.calls > 0) {
        out.insert(
            s.id.clone(),
            Seen {
                text: s.text.clone(),
                engine: "client",
                calls: s.calls,
                total: s.total_seconds,
            },
        );
    }
    let mut server: BTreeMap<String, Seen> = BTreeMap::new();
    for s in p.postgres.iter().flat_map(|pg| &pg.statements) {
        let e = server.entry(s.id.clone()).or_insert_with(|| Seen {
            text: s.text.clone(),
            engine: "postgres",
            calls: 0,
            total: 0.0,
        });
        e.calls += s.calls;
        e.total += s.total_ms / 1e3;
    }
    for q in p.duckdb.iter().filter(|q| !q.id.is_empty()) {
        let e = server.entry(q.id.clone()).or_insert_with(|| Seen {
            text: q.text.clone(),
            engine: "duckdb",
            calls: 0,
            total: 0.0,
        });
        e.calls += 1;
        e.total += q.total_seconds.unwrap_or(0.0);
    }
    for (id, s) in server {
        out.entry(id).or_insert(s);
    }
    out
}

fn secs(s: Option<f64>) -> String {
    s.and_then(|s| Duration::try_from_secs_f64(s).ok())
        .map_or_else(|| "—".to_owned(), ms)
}

pub(crate) fn statements(out: &mut String, a: &RunView, b: &RunView) {
    out.push_str("<section id=\"db\">\n<h2>Database statements (by fingerprint)</h2>\n");
    let (sa, sb) = (by_id(a.db.as_ref()), by_id(b.db.as_ref()));
    if sa.is_empty() && sb.is_empty() {
        out.push_str(
            "<p class=\"muted\">No database statements recorded in either run.</p>\n</section>\n",
        );
        return;
    }
    let mut ids: Vec<&String> = sa.keys().chain(sb.keys()).collect();
    ids.sort();
    ids.dedup();
    let weight = |id: &String| {
        let t = |m: &BTreeMap<String, Seen>| m.get(id).map_or(0.0, |s| s.total);
        t(&sa).max(t(&sb))
    };
    ids.sort_by(|x, y| weight(y).total_cmp(&weight(x)).then(x.cmp(y)));
    // By fingerprint id: texts are cut at a length and two can read the same.
    let tested: BTreeMap<String, Verdict> = match (&a.db, &b.db) {
        (Some(x), Some(y)) => judge(x, y, &CompareOptions::default())
            .0
            .into_iter()
            .map(|(id, c)| (id, c.verdict))
            .collect(),
        _ => BTreeMap::new(),
    };
    out.push_str("<table><thead><tr><th>Statement</th><th>Seen by</th><th class=\"num\">Mean A</th><th class=\"num\">Mean B</th><th>Δ</th><th>Test</th><th class=\"num\">Calls A</th><th class=\"num\">Calls B</th></tr></thead><tbody>\n");
    for id in ids.iter().take(SHOWN) {
        let (x, y) = (sa.get(*id), sb.get(*id));
        let Some(any) = y.or(x) else { continue };
        let d = match (x.and_then(Seen::mean), y.and_then(Seen::mean)) {
            (Some(m), Some(n)) => delta(m, n, true),
            _ => "—".to_owned(),
        };
        let test = match tested.get(*id) {
            Some(Verdict::Regressed) => "<span class=\"regression\">regressed</span>",
            Some(Verdict::Improved) => "<span class=\"improvement\">improved</span>",
            Some(Verdict::Unchanged) => "unchanged",
            Some(Verdict::Insufficient) => "too few calls",
            None => "—",
        };
        let calls = |s: Option<&Seen>| s.map_or_else(|| "—".to_owned(), |s| s.calls.to_string());
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{d}</td><td>{test}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&any.text),
            any.engine,
            secs(x.and_then(Seen::mean)),
            secs(y.and_then(Seen::mean)),
            calls(x),
            calls(y),
        );
    }
    if ids.len() > SHOWN {
        let _ = writeln!(
            out,
            "<tr><td colspan=\"8\" class=\"muted\">{} more statements not shown.</td></tr>",
            ids.len() - SHOWN
        );
    }
    out.push_str("</tbody></table>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use steadfast_core::{RunManifest, Timestamp};
    use steadfast_db::{DbObserver, DbProfile};

    use super::*;

    fn view(id: &str, mean_ms: u64) -> RunView {
        let mut v = RunView::new(RunManifest::new(id, "nightly", Timestamp::now()));
        let observer = DbObserver::default();
        for _ in 0..30 {
            observer.observe(
                "SELECT * FROM patient WHERE id = 7",
                Duration::from_millis(mean_ms),
                1,
                None,
            );
        }
        v.db = Some(DbProfile::collect(&observer, None));
        v
    }

    #[test]
    fn a_slower_statement_is_a_regression_matched_across_values() {
        let a = view("nightly-20260101T000000Z-aaaaaa", 10);
        let b = view("nightly-20260102T000000Z-bbbbbb", 13);
        let mut out = String::new();
        statements(&mut out, &a, &b);
        assert!(out.contains("select * from patient where id = ?"), "{out}");
        assert!(out.contains("+30.0% ▲ regression"), "{out}");
        assert!(
            out.contains("<span class=\"regression\">regressed</span>"),
            "{out}"
        );
        let mut none = String::new();
        let empty = RunView::new(RunManifest::new(
            "x-20260101T000000Z-cccccc",
            "x",
            Timestamp::now(),
        ));
        statements(&mut none, &empty, &empty);
        assert!(none.contains("No database statements"), "{none}");
    }

    /// Two statements whose (cut) texts read the same, one slower in B.
    fn twins(id: &str, slow_ms: u64) -> RunView {
        let mut v = RunView::new(RunManifest::new(id, "nightly", Timestamp::now()));
        let observer = DbObserver::default();
        for _ in 0..30 {
            for (sql, ms) in [("select 1 from a", slow_ms), ("select 1 from b", 10)] {
                observer.observe(sql, Duration::from_millis(ms), 1, None);
            }
        }
        let mut profile = DbProfile::collect(&observer, None);
        for s in &mut profile.statements {
            s.text = "select \u{1b}[2J 1 from …".into();
        }
        v.db = Some(profile);
        v
    }

    #[test]
    fn verdicts_are_matched_by_id_and_texts_escaped_for_a_terminal() {
        let a = twins("nightly-20260101T000000Z-aaaaaa", 10);
        let b = twins("nightly-20260102T000000Z-bbbbbb", 40);
        let mut out = String::new();
        statements(&mut out, &a, &b);
        assert_eq!(out.matches(">regressed<").count(), 1, "{out}");
        assert_eq!(out.matches(">unchanged<").count(), 1, "{out}");
        let cmp = judge(
            a.db.as_ref().unwrap(),
            b.db.as_ref().unwrap(),
            &CompareOptions::default(),
        );
        let text = crate::compare_statements(
            a.db.as_ref().unwrap(),
            b.db.as_ref().unwrap(),
            &CompareOptions::default(),
        )
        .to_text();
        assert!(
            !text.contains('\u{1b}') && text.contains("\\u{1b}"),
            "{text}"
        );
        assert_eq!(cmp.0.len(), 2);
    }
}
