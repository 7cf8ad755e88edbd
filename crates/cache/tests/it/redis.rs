//! The shared tier against real Redis: two processes sharing entries (the machine's
//! server, a unique key prefix per test), a server of the test's own killed mid-run,
//! sealing, damaged values, `private` answers and invalidation.

use std::time::Duration;

use steadfast_cache::{Cache, CacheKey, Request, Scope, Sealer, Source};

use crate::support::{
    Origin, OwnRedis, closed_port, fetcher, flush_prefix, keys, shared_redis, unique_prefix,
};

const CHILD_URL: &str = "STEADFAST_CACHE_TEST_CHILD_URL";
const CHILD_REDIS: &str = "STEADFAST_CACHE_TEST_CHILD_REDIS";
const CHILD_PREFIX: &str = "STEADFAST_CACHE_TEST_CHILD_PREFIX";

fn redis_cache(url: &str, prefix: &str) -> steadfast_cache::CacheBuilder {
    Cache::builder()
        .redis(url)
        .key_prefix(prefix)
        .redis_timeout(Duration::from_millis(500))
}

#[tokio::test]
async fn two_processes_share_entries_through_redis() {
    let Some(redis) = shared_redis() else { return };
    let origin = Origin::start().await;
    let prefix = unique_prefix("share");
    let cache = redis_cache(&redis, &prefix).build().unwrap();
    let url = origin.url("/fhir/Patient?family=smith");
    let scope = Scope::tenant("t");
    let got = cache
        .fetch(
            &Request::get(&url, &scope),
            fetcher(url.clone(), &[("x-cc", "max-age=300")]),
        )
        .await
        .unwrap();
    assert_eq!(got.source(), Source::Origin);
    // The other process: this test binary again, running only the child half below.
    let out = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "redis::child_half_of_the_sharing_test",
            "--nocapture",
        ])
        .env(CHILD_URL, &url)
        .env(CHILD_REDIS, &redis)
        .env(CHILD_PREFIX, &prefix)
        .output()
        .await
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.contains("child: served from redis"), "{report}");
    assert_eq!(
        origin.fetches(),
        1,
        "the second process never asked the origin"
    );
    flush_prefix(&redis, &prefix).await;
}

/// The second process of [`two_processes_share_entries_through_redis`]; does nothing when
/// run on its own.
#[tokio::test]
#[allow(
    clippy::disallowed_methods,
    reason = "the parent test hands its values over in the environment"
)]
async fn child_half_of_the_sharing_test() {
    let (Ok(url), Ok(redis), Ok(prefix)) = (
        std::env::var(CHILD_URL),
        std::env::var(CHILD_REDIS),
        std::env::var(CHILD_PREFIX),
    ) else {
        return;
    };
    let cache = redis_cache(&redis, &prefix).build().unwrap();
    let scope = Scope::tenant("t");
    // An origin that would fail: only Redis can answer.
    let dead = format!("http://{}/fhir/Patient", closed_port().await);
    let got = cache
        .fetch(&Request::get(&url, &scope), fetcher(dead, &[]))
        .await
        .unwrap();
    assert_eq!(got.source(), Source::Redis);
    assert_eq!(got.body().as_ref(), b"n=1");
    println!("child: served from redis");
}

#[tokio::test]
async fn a_redis_killed_mid_run_costs_only_its_help() {
    let Some(mut server) = OwnRedis::start() else {
        return;
    };
    let origin = Origin::start().await;
    let both = redis_cache(&server.url(), "sf-kill")
        .memory(1 << 20)
        .build()
        .unwrap();
    let alone = redis_cache(&server.url(), "sf-kill")
        .no_memory()
        .build()
        .unwrap();
    let scope = Scope::tenant("t");
    let ask = [("x-cc", "max-age=300")];
    let a = origin.url("/fhir/Patient/a");
    both.fetch(&Request::get(&a, &scope), fetcher(a.clone(), &ask))
        .await
        .unwrap();
    let from_redis = alone
        .fetch(&Request::get(&a, &scope), fetcher(a.clone(), &ask))
        .await
        .unwrap();
    assert_eq!(from_redis.source(), Source::Redis);

    server.kill();
    let hit = both
        .fetch(&Request::get(&a, &scope), fetcher(a.clone(), &ask))
        .await
        .unwrap();
    assert_eq!(hit.source(), Source::Memory, "memory still answers");
    for cache in [&both, &alone] {
        for path in ["/fhir/Patient/b", "/fhir/Patient/c", "/fhir/Patient/a"] {
            let url = origin.url(path);
            let got = cache
                .fetch(&Request::get(&url, &scope), fetcher(url.clone(), &ask))
                .await;
            let got = got.expect("a down Redis never fails a request");
            assert!(matches!(got.source(), Source::Origin | Source::Memory));
        }
    }
    assert!(both.stats().redis_errors >= 1);
    assert!(alone.stats().redis_errors >= 1);
}

#[tokio::test]
async fn a_redis_down_from_the_start_is_no_error() {
    let origin = Origin::start().await;
    let dead = format!("redis://{}", closed_port().await);
    let cache = redis_cache(&dead, "sf-dead").build().unwrap();
    let scope = Scope::tenant("t");
    let url = origin.url("/fhir/Patient");
    for _ in 0..3 {
        cache
            .fetch(
                &Request::get(&url, &scope),
                fetcher(url.clone(), &[("x-cc", "max-age=60")]),
            )
            .await
            .unwrap();
    }
    let stats = cache.stats();
    assert_eq!(stats.memory.hits, 2);
    assert!(stats.redis_errors >= 1);
}

#[tokio::test]
async fn redis_holds_sealed_values_under_hashed_keys() {
    let Some(server) = OwnRedis::start() else {
        return;
    };
    let origin = Origin::start().await;
    let sealer = Sealer::from_hex(&"5e".repeat(32)).unwrap();
    let sealed = redis_cache(&server.url(), "sf-seal")
        .no_memory()
        .sealer(sealer)
        .build()
        .unwrap();
    let scope = Scope::tenant("t");
    let url = origin.url("/fhir/Patient?name=smith-secret-name");
    let ask = [("x-cc", "max-age=300"), ("x-body", "patient-body-marker")];
    sealed
        .fetch(&Request::get(&url, &scope), fetcher(url.clone(), &ask))
        .await
        .unwrap();

    let stored = keys(&server.url(), "sf-seal").await;
    assert_eq!(stored.len(), 1);
    let key = CacheKey::new(&Request::get(&url, &scope));
    assert_eq!(stored[0], format!("sf-seal:Patient:{}", key.hex()));
    assert!(!stored[0].contains("smith"));
    let client = redis::Client::open(server.url()).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let raw: Vec<u8> = redis::cmd("GET")
        .arg(&stored[0])
        .query_async(&mut c)
        .await
        .unwrap();
    assert!(
        !raw.windows(6).any(|w| w == b"patien"),
        "the body is sealed"
    );

    let hit = sealed
        .fetch(&Request::get(&url, &scope), fetcher(url.clone(), &ask))
        .await
        .unwrap();
    assert_eq!(
        (hit.source(), hit.body().as_ref()),
        (Source::Redis, &b"patient-body-marker"[..])
    );

    // Another key (or none) cannot open it: dropped and counted, the origin answers.
    let other = redis_cache(&server.url(), "sf-seal")
        .no_memory()
        .build()
        .unwrap();
    let got = other
        .fetch(&Request::get(&url, &scope), fetcher(url.clone(), &ask))
        .await
        .unwrap();
    assert_eq!(got.source(), Source::Origin);
    assert_eq!(other.stats().decode_errors, 1);
}

#[tokio::test]
async fn damaged_values_are_dropped_and_counted() {
    let Some(server) = OwnRedis::start() else {
        return;
    };
    let origin = Origin::start().await;
    let cache = redis_cache(&server.url(), "sf-bad")
        .no_memory()
        .build()
        .unwrap();
    let scope = Scope::tenant("t");
    let url = origin.url("/fhir/Observation?code=x");
    let key = CacheKey::new(&Request::get(&url, &scope));
    let client = redis::Client::open(server.url()).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let rkey = format!("sf-bad:Observation:{}", key.hex());
    let _: () = redis::cmd("SET")
        .arg(&rkey)
        .arg("not an entry")
        .query_async(&mut c)
        .await
        .unwrap();
    let got = cache
        .fetch(
            &Request::get(&url, &scope),
            fetcher(url.clone(), &[("x-cc", "max-age=60")]),
        )
        .await
        .unwrap();
    assert_eq!(got.source(), Source::Origin);
    assert_eq!(cache.stats().decode_errors, 1);
    let again = cache
        .fetch(
            &Request::get(&url, &scope),
            fetcher(url.clone(), &[("x-cc", "max-age=60")]),
        )
        .await
        .unwrap();
    assert_eq!(
        again.source(),
        Source::Redis,
        "the good value replaced the damaged one"
    );
}

#[tokio::test]
async fn private_answers_stay_in_process_and_types_invalidate_everywhere() {
    let Some(server) = OwnRedis::start() else {
        return;
    };
    let origin = Origin::start().await;
    let cache = redis_cache(&server.url(), "sf-inv")
        .memory(1 << 20)
        .build()
        .unwrap();
    let scope = Scope::tenant("t");
    let private = origin.url("/fhir/Patient/me");
    cache
        .fetch(
            &Request::get(&private, &scope),
            fetcher(private.clone(), &[("x-cc", "private, max-age=60")]),
        )
        .await
        .unwrap();
    assert!(
        keys(&server.url(), "sf-inv").await.is_empty(),
        "private never reaches Redis"
    );

    for path in [
        "/fhir/Observation?a=1",
        "/fhir/Observation?a=2",
        "/fhir/Encounter?a=1",
    ] {
        let url = origin.url(path);
        cache
            .fetch(
                &Request::get(&url, &scope),
                fetcher(url.clone(), &[("x-cc", "max-age=60")]),
            )
            .await
            .unwrap();
    }
    assert_eq!(keys(&server.url(), "sf-inv").await.len(), 3);
    assert!(cache.invalidate_type("Observation").await);
    let left = keys(&server.url(), "sf-inv").await;
    assert_eq!(left.len(), 1);
    assert!(left[0].starts_with("sf-inv:Encounter:"));
    let url = origin.url("/fhir/Observation?a=1");
    let got = cache
        .fetch(
            &Request::get(&url, &scope),
            fetcher(url.clone(), &[("x-cc", "max-age=60")]),
        )
        .await
        .unwrap();
    assert_eq!(got.source(), Source::Origin);
    cache.invalidate_all().await;
    assert!(keys(&server.url(), "sf-inv").await.is_empty());
}

#[tokio::test]
async fn rediss_with_a_private_ca_and_a_password() {
    let ca = steadfast_testkit::tls::TestCa::new();
    let Some(server) = steadfast_testkit::servers::redis(&ca, "s3cret") else {
        return;
    };
    let origin = Origin::start().await;
    let url = format!("rediss://localhost:{}", server.port);
    let cache = redis_cache(&url, "sf-tls")
        .no_memory()
        .redis_password("s3cret")
        .redis_ca_file(&server.ca.ca)
        .build()
        .unwrap();
    assert!(!format!("{cache:?}").contains("s3cret"));
    let scope = Scope::tenant("t");
    let page = origin.url("/fhir/Patient?name=x");
    let ask = [("x-cc", "max-age=60")];
    cache
        .fetch(&Request::get(&page, &scope), fetcher(page.clone(), &ask))
        .await
        .unwrap();
    let hit = cache
        .fetch(&Request::get(&page, &scope), fetcher(page.clone(), &ask))
        .await
        .unwrap();
    assert_eq!(hit.source(), Source::Redis, "{:?}", cache.stats());
    assert_eq!(cache.stats().redis_errors, 0);

    // Without the CA the server is not trusted: answers still come, the fault is counted.
    let untrusted = redis_cache(&url, "sf-tls")
        .no_memory()
        .redis_password("s3cret")
        .build()
        .unwrap();
    let got = untrusted
        .fetch(&Request::get(&page, &scope), fetcher(page.clone(), &ask))
        .await
        .unwrap();
    assert_eq!(got.source(), Source::Origin);
    assert!(untrusted.stats().redis_errors >= 1);
    // A CA with redis:// is a mistake said at build time.
    let plain = format!("redis://localhost:{}", server.port);
    assert!(
        redis_cache(&plain, "x")
            .redis_ca_file(&server.ca.ca)
            .build()
            .is_err()
    );
}
