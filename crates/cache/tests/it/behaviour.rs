//! The cache against a real origin: single flight, revalidation, scopes, what is and is
//! never stored, stale-while-revalidate, invalidation.

use std::sync::Arc;
use std::time::Duration;

use steadfast_cache::{Cache, ManualClock, Request, Scope, Source};

use crate::support::{Origin, closed_port, fetcher};

fn clock() -> ManualClock {
    ManualClock::new(1_800_000_000_000)
}

fn cache(clock: &ManualClock) -> Cache {
    Cache::builder()
        .memory(16 << 20)
        .swr(Duration::ZERO)
        .clock(clock.clone())
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_misses_make_one_origin_fetch() {
    let origin = Origin::start().await;
    let cache = cache(&clock());
    let url = origin.url("/fhir/Patient?name=smith");
    let scope = Scope::tenant("t");
    let mut tasks = Vec::new();
    for _ in 0..1000 {
        let (cache, url, scope) = (cache.clone(), url.clone(), scope.clone());
        tasks.push(tokio::spawn(async move {
            let req = Request::get(&url, &scope);
            let f = fetcher(
                url.clone(),
                &[("x-cc", "max-age=60"), ("x-delay-ms", "200")],
            );
            cache.fetch(&req, f).await.unwrap()
        }));
    }
    for t in tasks {
        let got = t.await.unwrap();
        assert_eq!(got.body().as_ref(), b"n=1");
    }
    assert_eq!(origin.fetches(), 1);
    let stats = cache.stats();
    assert_eq!((stats.requests, stats.loads), (1000, 1));
}

#[tokio::test]
async fn a_stale_entry_is_revalidated_with_its_etag() {
    let origin = Origin::start().await;
    let clock = clock();
    let cache = cache(&clock);
    let url = origin.url("/fhir/Observation?patient=p1");
    let scope = Scope::tenant("t");
    let req = Request::get(&url, &scope);
    let ask = [("x-cc", "max-age=10"), ("x-etag", "\"v1\"")];
    let first = cache.fetch(&req, fetcher(url.clone(), &ask)).await.unwrap();
    assert_eq!(first.source(), Source::Origin);
    clock.advance(Duration::from_secs(11));
    let second = cache.fetch(&req, fetcher(url.clone(), &ask)).await.unwrap();
    assert_eq!(second.source(), Source::Revalidated);
    assert_eq!(second.body().as_ref(), b"n=1", "the stored body, refreshed");
    assert_eq!(origin.fetches(), 2);
    let third = cache.fetch(&req, fetcher(url.clone(), &ask)).await.unwrap();
    assert_eq!(third.source(), Source::Memory, "fresh again after the 304");
    assert_eq!(cache.stats().revalidations, 1);
}

#[tokio::test]
async fn one_scope_never_sees_another_scopes_entry() {
    let origin = Origin::start().await;
    let cache = cache(&clock());
    let url = origin.url("/fhir/Patient/123");
    for (scope, expect) in [("alice", "n=1"), ("bob", "n=2"), ("alice", "n=1")] {
        let scope = Scope::subject(scope);
        let got = cache
            .fetch(
                &Request::get(&url, &scope),
                fetcher(url.clone(), &[("x-cc", "max-age=60")]),
            )
            .await
            .unwrap();
        assert_eq!(got.body().as_ref(), expect.as_bytes());
    }
    assert_eq!(origin.fetches(), 2);
}

#[tokio::test]
async fn errors_throttling_and_transport_failures_are_never_cached() {
    let origin = Origin::start().await;
    let cache = cache(&clock());
    let scope = Scope::tenant("t");
    for status in ["500", "503", "429"] {
        let url = origin.url(&format!("/fhir/Patient?s={status}"));
        for _ in 0..2 {
            let got = cache
                .fetch(
                    &Request::get(&url, &scope),
                    fetcher(
                        url.clone(),
                        &[("x-status", status), ("x-cc", "max-age=600")],
                    ),
                )
                .await
                .unwrap();
            assert_eq!(got.status().to_string(), status);
            assert_eq!(got.source(), Source::Origin);
        }
    }
    assert_eq!(origin.fetches(), 6);
    let closed = format!("http://{}/fhir/Patient", closed_port().await);
    for _ in 0..2 {
        let err = cache
            .fetch(&Request::get(&closed, &scope), fetcher(closed.clone(), &[]))
            .await
            .unwrap_err();
        assert!(err.origin().is_some());
    }
    let stats = cache.stats();
    assert_eq!((stats.load_errors, stats.not_stored[0]), (2, 6));
}

#[tokio::test]
async fn not_found_and_gone_are_cached_briefly() {
    let origin = Origin::start().await;
    let clock = clock();
    let cache = Cache::builder()
        .memory(1 << 20)
        .negative_ttl(Duration::from_secs(5))
        .clock(clock.clone())
        .build()
        .unwrap();
    let scope = Scope::tenant("t");
    for status in ["404", "410"] {
        let url = origin.url(&format!("/fhir/Patient/{status}"));
        let ask = [("x-status", status), ("x-cc", "max-age=3600")];
        let req = Request::get(&url, &scope);
        assert_eq!(
            cache
                .fetch(&req, fetcher(url.clone(), &ask))
                .await
                .unwrap()
                .source(),
            Source::Origin
        );
        let hit = cache.fetch(&req, fetcher(url.clone(), &ask)).await.unwrap();
        assert_eq!(
            (hit.source(), hit.status().to_string()),
            (Source::Memory, status.to_owned())
        );
    }
    clock.advance(Duration::from_secs(6));
    let url = origin.url("/fhir/Patient/404");
    let req = Request::get(&url, &scope);
    let again = cache
        .fetch(&req, fetcher(url.clone(), &[("x-status", "404")]))
        .await
        .unwrap();
    assert_eq!(
        again.source(),
        Source::Origin,
        "the negative ttl caps max-age"
    );
    assert_eq!(origin.fetches(), 3);
}

#[tokio::test]
async fn cache_control_decides_what_is_kept() {
    let origin = Origin::start().await;
    let clock = clock();
    let cache = cache(&clock);
    let scope = Scope::tenant("t");
    let run = |path: &'static str, cc: &'static str| {
        let (cache, url, scope) = (cache.clone(), origin.url(path), scope.clone());
        async move {
            cache
                .fetch(
                    &Request::get(&url, &scope),
                    fetcher(url.clone(), &[("x-cc", cc)]),
                )
                .await
                .unwrap()
                .source()
        }
    };
    assert_eq!(run("/fhir/A?x=1", "no-store").await, Source::Origin);
    assert_eq!(run("/fhir/A?x=1", "no-store").await, Source::Origin);
    assert_eq!(
        run("/fhir/B?x=1", "private, max-age=60").await,
        Source::Origin
    );
    assert_eq!(
        run("/fhir/B?x=1", "private, max-age=60").await,
        Source::Memory
    );
    assert_eq!(run("/fhir/C?x=1", "max-age=5").await, Source::Origin);
    clock.advance(Duration::from_secs(4));
    assert_eq!(run("/fhir/C?x=1", "max-age=5").await, Source::Memory);
    clock.advance(Duration::from_secs(2));
    assert_eq!(run("/fhir/C?x=1", "max-age=5").await, Source::Origin);
    assert_eq!(origin.fetches(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_while_revalidate_answers_at_once_and_refreshes_behind() {
    let origin = Origin::start().await;
    let clock = clock();
    let cache = Cache::builder()
        .memory(1 << 20)
        .clock(clock.clone())
        .build()
        .unwrap();
    let scope = Scope::tenant("t");
    let url = origin.url("/fhir/Condition?patient=p1");
    let req = Request::get(&url, &scope);
    let ask = [("x-cc", "max-age=10, stale-while-revalidate=30")];
    cache.fetch(&req, fetcher(url.clone(), &ask)).await.unwrap();
    clock.advance(Duration::from_secs(15));
    let stale = cache.fetch(&req, fetcher(url.clone(), &ask)).await.unwrap();
    assert_eq!(
        (stale.source(), stale.body().as_ref()),
        (Source::Stale, &b"n=1"[..])
    );
    // The refresh runs behind on the other worker; poll the cache (a short pause between
    // polls, so a loaded machine's scheduler runs the refresh and the origin).
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while cache
        .fetch(&req, fetcher(url.clone(), &ask))
        .await
        .unwrap()
        .body()
        .as_ref()
        != b"n=2"
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the refresh never landed"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let fresh = cache.fetch(&req, fetcher(url.clone(), &ask)).await.unwrap();
    assert_eq!(
        (fresh.source(), fresh.body().as_ref()),
        (Source::Memory, &b"n=2"[..])
    );
    assert_eq!(
        origin.fetches(),
        2,
        "one refresh, however many stale answers"
    );
    clock.advance(Duration::from_secs(60));
    let expired = cache.fetch(&req, fetcher(url.clone(), &ask)).await.unwrap();
    assert_eq!(
        expired.source(),
        Source::Origin,
        "past the window: no stale answer"
    );
}

#[tokio::test]
async fn only_get_and_head_are_cached_and_invalidation_drops_entries() {
    let origin = Origin::start().await;
    let cache = cache(&clock());
    let scope = Scope::tenant("t");
    let url = origin.url("/fhir/Encounter?status=finished");
    let ask = [("x-cc", "max-age=60")];
    let post = Request::new("POST", &url, &scope);
    assert_eq!(
        cache
            .fetch(&post, fetcher(url.clone(), &ask))
            .await
            .unwrap()
            .source(),
        Source::Bypass
    );
    assert_eq!(
        cache
            .fetch(&post, fetcher(url.clone(), &ask))
            .await
            .unwrap()
            .source(),
        Source::Bypass
    );
    let get = Request::get(&url, &scope);
    cache.fetch(&get, fetcher(url.clone(), &ask)).await.unwrap();
    assert_eq!(
        cache
            .fetch(&get, fetcher(url.clone(), &ask))
            .await
            .unwrap()
            .source(),
        Source::Memory
    );
    assert!(cache.invalidate_type("Encounter").await);
    assert!(!cache.invalidate_type("not a type").await);
    assert_eq!(
        cache
            .fetch(&get, fetcher(url.clone(), &ask))
            .await
            .unwrap()
            .source(),
        Source::Origin
    );
    cache.invalidate(&get).await;
    assert_eq!(
        cache
            .fetch(&get, fetcher(url.clone(), &ask))
            .await
            .unwrap()
            .source(),
        Source::Origin
    );
    cache.invalidate_all().await;
    assert_eq!(
        cache
            .fetch(&get, fetcher(url.clone(), &ask))
            .await
            .unwrap()
            .source(),
        Source::Origin
    );
    assert_eq!(origin.fetches(), 6);
    assert_eq!(cache.stats().bypassed, 2);
}

#[tokio::test]
async fn oversized_answers_are_not_stored() {
    let origin = Origin::start().await;
    let cache = Cache::builder()
        .memory(1 << 20)
        .max_entry(8)
        .build()
        .unwrap();
    let scope = Scope::tenant("t");
    let url = origin.url("/fhir/Binary/1");
    let ask = [("x-cc", "max-age=60"), ("x-body", "0123456789")];
    for _ in 0..2 {
        let got = cache
            .fetch(&Request::get(&url, &scope), fetcher(url.clone(), &ask))
            .await
            .unwrap();
        assert_eq!(got.source(), Source::Origin);
    }
    assert_eq!(cache.stats().not_stored[2], 2);
}

#[tokio::test]
async fn a_disabled_cache_always_asks_the_origin() {
    let origin = Origin::start().await;
    let cache = Cache::disabled();
    let scope = Scope::tenant("t");
    let url = origin.url("/fhir/Patient");
    for _ in 0..2 {
        let got = cache
            .fetch(
                &Request::get(&url, &scope),
                fetcher(url.clone(), &[("x-cc", "max-age=60")]),
            )
            .await
            .unwrap();
        assert_eq!(got.source(), Source::Bypass);
    }
    assert_eq!(origin.fetches(), 2);
    let _ = Arc::new(cache);
}
