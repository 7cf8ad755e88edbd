//! The database section: the run's `db-profile.json` read through steadfast-db's typed
//! reader (`DbProfile`) — the client's statements by fingerprint, PostgreSQL's
//! `pg_stat_statements` delta (top statements by time and by I/O), DuckDB's profiled
//! queries with their operators — "not recorded" for a run without one. Every text shown
//! is a fingerprint: no value is on the page.

use std::fmt::Write as _;
use std::time::Duration;

use steadfast_db::{DbProfile, DuckDbOperator, PgStatement};

use crate::html::{esc, ms};
use crate::view::RunView;

/// Rows per table.
const TOP: usize = 10;
/// Operators listed per DuckDB query.
const OPERATORS: usize = 40;

fn secs(s: f64) -> String {
    ms(Duration::try_from_secs_f64(s.max(0.0)).unwrap_or(Duration::MAX))
}

fn millis(m: f64) -> String {
    secs(m / 1e3)
}

pub(crate) fn db(out: &mut String, v: &RunView) {
    out.push_str("<section id=\"db\">\n<h2>Database</h2>\n");
    let Some(p) = &v.db else {
        out.push_str(
            "<p class=\"muted\">Not recorded (the run wrote no database profile).</p>\n</section>\n",
        );
        return;
    };
    client(out, p);
    postgres(out, p);
    duckdb(out, p);
    engines(out, p);
    out.push_str("</section>\n");
}

/// The cross-database view: a logical query, by the caller's name, on each engine.
fn engines(out: &mut String, p: &DbProfile) {
    let mut names: Vec<&str> = p
        .statements
        .iter()
        .filter_map(|s| s.name.as_deref())
        .chain(p.duckdb.iter().filter_map(|q| q.name.as_deref()))
        .collect();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        return;
    }
    out.push_str("<h3>Across engines (by name)</h3>\n<table><thead><tr><th>Query</th><th class=\"num\">PostgreSQL mean</th><th class=\"num\">PostgreSQL calls</th><th class=\"num\">DuckDB mean</th><th class=\"num\">DuckDB runs</th></tr></thead><tbody>\n");
    for name in names {
        let pg: Vec<_> = p
            .statements
            .iter()
            .filter(|s| s.name.as_deref() == Some(name))
            .collect();
        let calls: u64 = pg.iter().map(|s| s.calls).sum();
        let total: f64 = pg.iter().map(|s| s.total_seconds).sum();
        let duck: Vec<f64> = p
            .duckdb
            .iter()
            .filter(|q| q.name.as_deref() == Some(name))
            .filter_map(|q| q.total_seconds)
            .collect();
        #[allow(clippy::cast_precision_loss, reason = "a mean shown")]
        let (pg_mean, duck_mean) = (
            (calls > 0).then(|| total / calls as f64),
            (!duck.is_empty()).then(|| duck.iter().sum::<f64>() / duck.len() as f64),
        );
        let show = |m: Option<f64>| m.map_or_else(|| "—".to_owned(), secs);
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{calls}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(name),
            show(pg_mean),
            show(duck_mean),
            duck.len(),
        );
    }
    out.push_str("</tbody></table>\n");
}

fn client(out: &mut String, p: &DbProfile) {
    if p.statements.is_empty() {
        return;
    }
    let mut s: Vec<_> = p.statements.iter().filter(|s| s.calls > 0).collect();
    s.sort_by(|a, b| {
        b.total_seconds
            .total_cmp(&a.total_seconds)
            .then(a.id.cmp(&b.id))
    });
    let _ = writeln!(
        out,
        "<h3>Statements</h3>\n<p>{} statements by fingerprint, {} calls, {} failed (the client's view; top {TOP} by time).</p>",
        s.len(),
        s.iter().map(|s| s.calls).sum::<u64>(),
        s.iter().map(|s| s.error_count()).sum::<u64>(),
    );
    out.push_str("<table><thead><tr><th>Statement</th><th class=\"num\">Calls</th><th class=\"num\">Errors</th><th class=\"num\">Rows</th><th class=\"num\">Total</th><th class=\"num\">Mean</th><th class=\"num\">p95 ≤</th></tr></thead><tbody>\n");
    for st in s.iter().take(TOP) {
        let errors = st
            .errors
            .iter()
            .map(|(class, n)| format!("{n} ({})", esc(class)))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            out,
            "<tr><td>{}<code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            st.name
                .as_deref()
                .map(|n| format!("<b>{}</b> ", esc(n)))
                .unwrap_or_default(),
            esc(&st.text),
            st.calls,
            if errors.is_empty() {
                "0".into()
            } else {
                errors
            },
            st.rows,
            secs(st.total_seconds),
            st.mean_seconds().map_or_else(|| "—".into(), secs),
            st.quantile(0.95).map_or_else(
                || "—".into(),
                |q| if q.is_finite() {
                    secs(q)
                } else {
                    "&gt; 10s".into()
                }
            ),
        );
    }
    out.push_str("</tbody></table>\n");
}

fn pg_table(out: &mut String, title: &str, rows: &[&PgStatement]) {
    let _ = writeln!(
        out,
        "<h4>{title}</h4>\n<table><thead><tr><th>Statement</th><th class=\"num\">Calls</th><th class=\"num\">Total</th><th class=\"num\">Mean</th><th class=\"num\">Rows</th><th class=\"num\">Shared hit</th><th class=\"num\">Shared read</th><th class=\"num\">Temp read/written</th></tr></thead><tbody>"
    );
    for s in rows {
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{} / {}</td></tr>",
            esc(&s.text),
            s.calls,
            millis(s.total_ms),
            millis(s.mean_ms),
            s.rows,
            s.shared_blks_hit,
            s.shared_blks_read,
            s.temp_blks_read,
            s.temp_blks_written,
        );
    }
    out.push_str("</tbody></table>\n");
}

fn postgres(out: &mut String, p: &DbProfile) {
    let Some(pg) = &p.postgres else {
        return;
    };
    out.push_str("<h3>PostgreSQL (pg_stat_statements)</h3>\n");
    if !pg.available {
        let _ = writeln!(
            out,
            "<p class=\"muted\">Not available: {}.</p>",
            esc(pg.reason.as_deref().unwrap_or("no reason recorded"))
        );
        return;
    }
    let total: f64 = pg.statements.iter().map(|s| s.total_ms).sum();
    let _ = writeln!(
        out,
        "<p>{} statements ran {} calls in {} on the server during the run.</p>",
        pg.statements.len(),
        pg.statements.iter().map(|s| s.calls).sum::<u64>(),
        millis(total),
    );
    if pg.hidden_rows {
        out.push_str("<p class=\"muted\">Statements of other roles are hidden from this role (grant <code>pg_read_all_stats</code> to see them).</p>\n");
    }
    if pg.reset_during_run {
        out.push_str("<p class=\"muted\">Statistics were reset or evicted during the run: some statements show their values since then.</p>\n");
    }
    pg_table(out, "Top statements by time", &p.top_by_time(TOP));
    let io = p.top_by_io(TOP);
    if !io.is_empty() {
        pg_table(out, "Top statements by I/O", &io);
    }
}

fn operators(out: &mut String, op: &DuckDbOperator, depth: usize, left: &mut usize) {
    if *left == 0 {
        return;
    }
    *left -= 1;
    let _ = writeln!(
        out,
        "<tr><td style=\"padding-left:{}em\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
        depth.min(20),
        esc(&op.name),
        secs(op.seconds),
        op.cardinality
    );
    for c in &op.children {
        operators(out, c, depth + 1, left);
    }
}

fn duckdb(out: &mut String, p: &DbProfile) {
    if p.duckdb.is_empty() {
        return;
    }
    out.push_str("<h3>DuckDB</h3>\n");
    for q in &p.duckdb {
        let _ = writeln!(
            out,
            "<h4>{}<code>{}</code>{}</h4>",
            q.name
                .as_deref()
                .map(|n| format!("{}: ", esc(n)))
                .unwrap_or_default(),
            esc(&q.text),
            q.total_seconds
                .map(|t| format!(" — {}", secs(t)))
                .unwrap_or_default(),
        );
        out.push_str("<table><thead><tr><th>Operator</th><th class=\"num\">Time</th><th class=\"num\">Rows</th></tr></thead><tbody>\n");
        let mut left = OPERATORS;
        for op in &q.operators {
            operators(out, op, 0, &mut left);
        }
        out.push_str("</tbody></table>\n");
    }
}

#[cfg(test)]
mod tests;
