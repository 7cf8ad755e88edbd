//! Each thread's front of the memory tier serves only what moka would: an entry
//! invalidated, replaced or cleared is never served again, even while a caller (or another
//! thread's front) still holds it.

use std::time::Duration;

use steadfast_cache::{Cache, ManualClock, Request, Scope, Source};

use crate::support::{Origin, fetcher};

fn cache(clock: &ManualClock) -> Cache {
    Cache::builder()
        .memory(16 << 20)
        .swr(Duration::ZERO)
        .clock(clock.clone())
        .build()
        .unwrap()
}

const FRESH: [(&str, &str); 1] = [("x-cc", "max-age=600")];

#[tokio::test]
async fn a_held_entry_is_not_served_after_it_is_invalidated() {
    let origin = Origin::start().await;
    let clock = ManualClock::new(1_800_000_000_000);
    let cache = cache(&clock);
    let scope = Scope::tenant("t");
    let url = origin.url("/fhir/Encounter?patient=p1");
    let req = Request::get(&url, &scope);
    let source = |c: &Cache| {
        let (c, url, req) = (c.clone(), url.clone(), Request::get(&url, &scope));
        async move { c.fetch(&req, fetcher(url, &FRESH)).await.unwrap() }
    };
    let stored = source(&cache).await;
    assert_eq!(stored.source(), Source::Origin);
    // Hits, answered by the front after the first; the caller keeps one.
    let held = source(&cache).await;
    assert_eq!(held.source(), Source::Memory);
    assert_eq!(source(&cache).await.source(), Source::Memory);

    // Each way of dropping the entry: the next fetch goes to the origin although the
    // dropped entry is still alive in `held`.
    cache.invalidate(&req).await;
    let after = source(&cache).await;
    assert_eq!(after.source(), Source::Origin);
    assert_eq!(after.body().as_ref(), b"n=2");
    let held = source(&cache).await;
    assert_eq!(
        (held.source(), held.body().as_ref()),
        (Source::Memory, &b"n=2"[..])
    );
    assert!(cache.invalidate_type("Encounter").await);
    assert_eq!(source(&cache).await.body().as_ref(), b"n=3");
    let held = source(&cache).await;
    assert_eq!(held.source(), Source::Memory);
    cache.invalidate_all().await;
    assert_eq!(source(&cache).await.body().as_ref(), b"n=4");
    assert_eq!(source(&cache).await.source(), Source::Memory);
    drop(held);
    assert_eq!(origin.fetches(), 4);
}

#[tokio::test]
async fn a_replaced_entry_is_not_served_from_the_front() {
    let origin = Origin::start().await;
    let clock = ManualClock::new(1_800_000_000_000);
    let cache = cache(&clock);
    let scope = Scope::tenant("t");
    let url = origin.url("/fhir/Observation?code=8867-4");
    let req = Request::get(&url, &scope);
    let ask = [("x-cc", "max-age=10")];
    assert_eq!(
        cache
            .fetch(&req, fetcher(url.clone(), &ask))
            .await
            .unwrap()
            .source(),
        Source::Origin
    );
    let held = cache.fetch(&req, fetcher(url.clone(), &ask)).await.unwrap();
    assert_eq!(
        (held.source(), held.body().as_ref()),
        (Source::Memory, &b"n=1"[..])
    );
    // Past its freshness (no stale window): fetched again and replaced.
    clock.advance(Duration::from_secs(11));
    let fresh = cache.fetch(&req, fetcher(url.clone(), &ask)).await.unwrap();
    assert_eq!(
        (fresh.source(), fresh.body().as_ref()),
        (Source::Origin, &b"n=2"[..])
    );
    // The front held the first entry; it serves the second.
    for _ in 0..3 {
        let hit = cache.fetch(&req, fetcher(url.clone(), &ask)).await.unwrap();
        assert_eq!(
            (hit.source(), hit.body().as_ref()),
            (Source::Memory, &b"n=2"[..])
        );
    }
    assert_eq!(held.body().as_ref(), b"n=1");
    assert_eq!(origin.fetches(), 2);
}

#[test]
fn another_threads_invalidation_reaches_this_threads_front() {
    // The origin on a runtime of its own thread, reachable from both threads below.
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = runtime();
        rt.block_on(async {
            addr_tx.send(Origin::start().await).unwrap();
            std::future::pending::<()>().await;
        });
    });
    let origin = addr_rx.recv().unwrap();
    let clock = ManualClock::new(1_800_000_000_000);
    let cache = cache(&clock);
    let url = origin.url("/fhir/Patient?name=smith");
    let scope = Scope::tenant("t");
    runtime()
        .block_on(cache.fetch(&Request::get(&url, &scope), fetcher(url.clone(), &FRESH)))
        .unwrap();

    // A worker thread serves it (its front remembers the entry), waits while this thread
    // invalidates it, then fetches again.
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let (served_tx, served_rx) = std::sync::mpsc::channel::<()>();
    let worker = std::thread::spawn({
        let (cache, url) = (cache.clone(), url.clone());
        move || {
            let scope = Scope::tenant("t");
            let req = Request::get(&url, &scope);
            runtime().block_on(async {
                let mut seen = Vec::new();
                for _ in 0..2 {
                    let hit = cache
                        .fetch(&req, fetcher(url.clone(), &FRESH))
                        .await
                        .unwrap();
                    seen.push(hit.source());
                }
                served_tx.send(()).unwrap();
                go_rx.recv().unwrap();
                let again = cache
                    .fetch(&req, fetcher(url.clone(), &FRESH))
                    .await
                    .unwrap();
                seen.push(again.source());
                seen
            })
        }
    });
    served_rx.recv().unwrap();
    runtime().block_on(cache.invalidate(&Request::get(&url, &scope)));
    go_tx.send(()).unwrap();
    assert_eq!(
        worker.join().unwrap(),
        vec![Source::Memory, Source::Memory, Source::Origin]
    );
    assert_eq!(origin.fetches(), 2);
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[tokio::test]
async fn without_fronts_hits_come_from_moka() {
    let origin = Origin::start().await;
    let cache = Cache::builder()
        .memory(16 << 20)
        .front_slots(0)
        .build()
        .unwrap();
    let scope = Scope::tenant("t");
    let url = origin.url("/fhir/Patient?name=jones");
    let req = Request::get(&url, &scope);
    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.push(
            cache
                .fetch(&req, fetcher(url.clone(), &FRESH))
                .await
                .unwrap()
                .source(),
        );
    }
    cache.invalidate(&req).await;
    seen.push(
        cache
            .fetch(&req, fetcher(url.clone(), &FRESH))
            .await
            .unwrap()
            .source(),
    );
    assert_eq!(
        seen,
        [
            Source::Origin,
            Source::Memory,
            Source::Memory,
            Source::Origin
        ]
    );
}

#[tokio::test]
async fn an_expired_entry_on_the_front_costs_one_origin_fetch() {
    // A 404 without validators: no stale window, nothing to revalidate with. Once it
    // expires, the next fetch goes to the origin once and the rest are hits again.
    let origin = Origin::start().await;
    let clock = ManualClock::new(1_800_000_000_000);
    let cache = Cache::builder()
        .memory(16 << 20)
        .negative_ttl(Duration::from_secs(5))
        .clock(clock.clone())
        .build()
        .unwrap();
    let scope = Scope::tenant("t");
    let url = origin.url("/fhir/Patient/gone");
    let req = Request::get(&url, &scope);
    let ask = [("x-status", "404")];
    let mut seen = Vec::new();
    for round in 0..3 {
        for _ in 0..4 {
            let got = cache.fetch(&req, fetcher(url.clone(), &ask)).await.unwrap();
            assert_eq!(got.status(), 404);
            seen.push(got.source());
        }
        assert_eq!(origin.fetches(), round + 1);
        clock.advance(Duration::from_secs(6));
    }
    let per_round = [
        Source::Origin,
        Source::Memory,
        Source::Memory,
        Source::Memory,
    ];
    assert_eq!(seen, per_round.repeat(3));
}
