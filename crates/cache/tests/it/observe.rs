//! What the cache tells: Prometheus series and the hit-ratio health check.

use std::time::Duration;

use steadfast_cache::{Cache, Request, Response, Scope, series};

async fn answer(
    _c: steadfast_cache::Conditional,
) -> Result<Response, steadfast_cache::OriginError> {
    Ok(Response::new(200, "{}").header("cache-control", "max-age=60"))
}

#[tokio::test]
async fn series_follow_the_counters() {
    let cache = Cache::builder().memory(1 << 20).build().unwrap();
    let registry = prometheus::Registry::new();
    let prefix = steadfast_core::Prefix::new("acme").unwrap();
    cache.register_prometheus(&registry, &prefix).unwrap();
    let scope = Scope::tenant("t");
    for _ in 0..3 {
        cache
            .fetch(&Request::get("https://e.x/fhir/Patient", &scope), answer)
            .await
            .unwrap();
    }
    let text = prometheus::TextEncoder::new()
        .encode_to_string(&registry.gather())
        .unwrap();
    let line = |s: &str| format!("{}{s}", prefix.name(""));
    assert!(
        text.contains(&format!("{} 3", prefix.name(series::CACHE_REQUESTS_TOTAL))),
        "{text}"
    );
    assert!(
        text.contains(&line(r#"cache_hits_total{tier="memory"} 2"#)),
        "{text}"
    );
    assert!(
        text.contains(&line(r#"cache_misses_total{tier="memory"} 1"#)),
        "{text}"
    );
    assert!(
        text.contains(&format!("{} 1", prefix.name(series::CACHE_LOADS_TOTAL))),
        "{text}"
    );
    // A second scrape does not count twice.
    let again = prometheus::TextEncoder::new()
        .encode_to_string(&registry.gather())
        .unwrap();
    assert!(
        again.contains(&line(r#"cache_hits_total{tier="memory"} 2"#)),
        "{again}"
    );
    if let Some(promtool) = steadfast_testkit::require_tool("promtool", "install prometheus") {
        steadfast_testkit::assert_promtool_clean(&promtool, &text);
    }
}

#[cfg(feature = "healthcheck")]
#[tokio::test]
async fn the_check_warns_when_the_windowed_hit_ratio_falls() {
    use steadfast_cache::{CacheCheck, ManualClock};
    use steadfast_healthcheck::Check;
    let clock = ManualClock::new(1_800_000_000_000);
    let cache = Cache::builder()
        .memory(1 << 20)
        .clock(clock.clone())
        .build()
        .unwrap();
    let check = CacheCheck::new(cache.clone(), 0.5, Duration::from_secs(600)).min_requests(10);
    assert!(!check.is_external());
    let scope = Scope::tenant("t");
    // Few requests: nothing to say.
    cache
        .fetch(&Request::get("https://e.x/fhir/Patient", &scope), answer)
        .await
        .unwrap();
    assert_eq!(check.check().await.status, steadfast_core::Status::Pass);
    // Mostly hits: pass.
    for _ in 0..20 {
        cache
            .fetch(&Request::get("https://e.x/fhir/Patient", &scope), answer)
            .await
            .unwrap();
    }
    let out = check.check().await;
    assert_eq!(out.status, steadfast_core::Status::Pass);
    // A window later, only misses: warn.
    clock.advance(Duration::from_secs(700));
    check.check().await;
    for i in 0..20 {
        let url = format!("https://e.x/fhir/Patient/{i}");
        cache
            .fetch(&Request::get(&url, &scope), answer)
            .await
            .unwrap();
    }
    let out = check.check().await;
    assert_eq!(out.status, steadfast_core::Status::Warn);
    assert_eq!(out.output, Some("hit ratio below threshold"));
    assert_eq!(out.details["requests"], 20.0);
}
