//! The response-cache section: what the run's cache answered, per tier, read back from
//! `metrics.ndjson` through steadfast-cache's reader (`RecordedCache`, its `series::RUN_*`
//! names) — "not recorded" for a run without one.

use std::fmt::Write as _;

use steadfast_cache::{RecordedCache, Tier};
use steadfast_core::ByteSize;

use crate::view::RunView;

/// A part of a whole as a percentage with one decimal, `—` when there is no whole.
fn percent(ratio: Option<f64>) -> String {
    ratio.map_or_else(|| "—".to_owned(), |r| format!("{:.1}%", r * 100.0))
}

pub(crate) fn cache(out: &mut String, v: &RunView) {
    out.push_str("<section id=\"cache\">\n<h2>Cache</h2>\n");
    let Some(c) = v
        .metrics
        .as_ref()
        .and_then(|m| RecordedCache::read(&m.totals))
    else {
        out.push_str(
            "<p class=\"muted\">Not recorded (the run used no response cache).</p>\n</section>\n",
        );
        return;
    };
    let s = &c.stats;
    let answered = s.memory.hits + s.memory.stale + s.redis.hits + s.redis.stale;
    let _ = writeln!(
        out,
        "<p>Hit ratio {}: {answered} of {} cacheable requests answered from the cache; {} origin loads ({} failed), {} revalidated.</p>",
        percent(s.hit_ratio()),
        s.requests,
        s.loads,
        s.load_errors,
        s.revalidations,
    );
    out.push_str("<table><thead><tr><th>Tier</th><th class=\"num\">Hits</th><th class=\"num\">Stale</th><th class=\"num\">Misses</th><th class=\"num\">Hit ratio</th><th class=\"num\">Inserts</th><th class=\"num\">Evictions</th><th class=\"num\">Bytes</th></tr></thead><tbody>\n");
    for tier in [Tier::Memory, Tier::Redis] {
        if !c.has(tier) {
            continue;
        }
        let t = s.tier(tier);
        let bytes = match tier {
            Tier::Memory => "held",
            Tier::Redis => "written",
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{} {bytes}</td></tr>",
            tier.as_str(),
            t.hits,
            t.stale,
            t.misses,
            percent(t.hit_ratio()),
            t.inserts,
            t.evictions,
            ByteSize::new(t.bytes).human(),
        );
    }
    let [status, directive, oversize] = s.not_stored;
    let _ = write!(
        out,
        "</tbody></table>\n<table><tbody><tr><th>Not stored</th><td class=\"num\">{} <span class=\"muted\">(status {status}, directive {directive}, oversize {oversize})</span></td></tr><tr><th>Cache errors</th><td class=\"num\">{} <span class=\"muted\">(redis {}, decode {})</span></td></tr><tr><th>Bypassed</th><td class=\"num\">{}</td></tr></tbody></table>\n</section>\n",
        status + directive + oversize,
        s.redis_errors + s.decode_errors,
        s.redis_errors,
        s.decode_errors,
        s.bypassed,
    );
}

#[cfg(test)]
mod tests {
    use steadfast_core::{RunManifest, Timestamp};
    use steadfast_metrics::read_file;

    use super::*;

    fn page_section(metrics: Option<&str>) -> String {
        let mut view = RunView::new(RunManifest::new(
            "demo-20260101T000000Z-abc123",
            "demo",
            Timestamp::now(),
        ));
        let dir = tempfile::tempdir().unwrap();
        if let Some(text) = metrics {
            let path = dir.path().join("metrics.ndjson");
            steadfast_core::atomic_write(&path, text).unwrap();
            view.metrics = Some(read_file(&path).unwrap());
        }
        let mut out = String::new();
        cache(&mut out, &view);
        out
    }

    fn line(name: &str, kind: &str, value: f64, labels: &str) -> String {
        format!(
            "{{\"ts\":\"2026-01-01T00:00:01Z\",\"step\":\"{}\",\"name\":\"{name}\",\"kind\":\"{kind}\",\"value\":{value},\"labels\":{{{labels}}}}}\n",
            steadfast_cache::series::RUN_STEP
        )
    }

    #[test]
    fn a_run_without_a_cache_says_not_recorded() {
        assert!(page_section(None).contains("Not recorded"));
        let other = "{\"ts\":\"2026-01-01T00:00:01Z\",\"step\":\"bronze\",\"name\":\"records\",\"kind\":\"counter\",\"value\":3,\"labels\":{}}\n";
        assert!(page_section(Some(other)).contains("Not recorded"));
    }

    #[test]
    fn a_recorded_cache_shows_its_tiers_and_hit_ratio() {
        use steadfast_cache::series as cs;
        let tier = |t: &str| format!("\"{}\":\"{t}\"", cs::TIER);
        let text = [
            line(cs::RUN_REQUESTS, "counter", 60.0, ""),
            line(cs::RUN_MISSES, "counter", 60.0, &tier("memory")),
            line(cs::RUN_HITS, "counter", 57.0, &tier("redis")),
            line(cs::RUN_MISSES, "counter", 3.0, &tier("redis")),
            line(cs::RUN_BYTES, "gauge", 2048.0, &tier("memory")),
            line(cs::RUN_BYTES, "gauge", 0.0, &tier("redis")),
            line(cs::RUN_LOADS, "counter", 3.0, ""),
            line(
                cs::RUN_ERRORS,
                "counter",
                2.0,
                &format!("\"{}\":\"redis\"", cs::LABEL_KIND),
            ),
        ]
        .concat();
        let s = page_section(Some(&text));
        assert!(
            s.contains("Hit ratio 95.0%: 57 of 60 cacheable requests"),
            "{s}"
        );
        assert!(s.contains("<tr><td>memory</td>") && s.contains("<tr><td>redis</td>"));
        assert!(s.contains("2.0 KiB held"), "{s}");
        assert!(s.contains("(redis 2, decode 0)"), "{s}");
    }
}
