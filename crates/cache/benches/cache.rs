//! Hit paths against their peers in the same run (results in docs/benchmarks.md): a
//! memory-tier hit (key canonicalisation and sha256 included) against moka 0.12's own
//! `get`, and a Redis-tier hit against a raw `redis` 1.x GET of the same stored value —
//! 10,000 FHIR search URLs requested in a Zipf (s = 1) order from a fixed seed. The Redis
//! group runs against `STEADFAST_TEST_REDIS` (default `redis://127.0.0.1:6379`) under a
//! unique key prefix it deletes afterwards (and whose keys expire within 11 minutes
//! anyway), and is skipped when no Redis answers.
#![allow(
    clippy::unwrap_used,
    clippy::disallowed_methods,
    reason = "a bench: set-up failures panic; the Redis URL comes from the environment"
)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use steadfast_cache::{Cache, Conditional, OriginError, Request, Response, Scope};
use steadfast_core::SplitMix64;

/// Time on this thread's CPU (`CLOCK_THREAD_CPUTIME_ID`), not the wall clock: on a small
/// machine shared with builds the wall clock counts the time the bench waited for a core,
/// which moved the same peer by up to 3.8× between runs; time on the CPU does not.
struct OnCpu;

/// The wall-clock measurement's formatter reads nanoseconds, which these values are.
static NANOS: criterion::measurement::WallTime = criterion::measurement::WallTime;

impl criterion::measurement::Measurement for OnCpu {
    type Intermediate = u64;
    type Value = u64;
    fn start(&self) -> u64 {
        on_cpu_ns()
    }
    fn end(&self, start: u64) -> u64 {
        on_cpu_ns().saturating_sub(start)
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }
    fn formatter(&self) -> &dyn criterion::measurement::ValueFormatter {
        criterion::measurement::Measurement::formatter(&NANOS)
    }
}

fn on_cpu_ns() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    u64::try_from(t.tv_sec).unwrap_or(0) * 1_000_000_000 + u64::try_from(t.tv_nsec).unwrap_or(0)
}

const KEYS: usize = 10_000;
const DRAWS: usize = 1 << 16;

/// The 10,000 URLs: realistic FHIR searches, parameters in a non-canonical order.
fn urls() -> Vec<String> {
    (0..KEYS)
        .map(|i| {
            format!(
                "https://ehr.example.org/fhir/R4/Observation?patient=Patient/{i:06}&category=vital-signs&_sort=-date&_count=50&code=http://loinc.org|8867-4"
            )
        })
        .collect()
}

/// `DRAWS` indices into the URLs, Zipf-distributed with s = 1, from a fixed seed.
fn zipf_draws() -> Vec<usize> {
    let weights: Vec<f64> = (1..=KEYS).map(|k| 1.0 / k as f64).collect();
    let total: f64 = weights.iter().sum();
    let mut cdf = Vec::with_capacity(KEYS);
    let mut acc = 0.0;
    for w in weights {
        acc += w / total;
        cdf.push(acc);
    }
    let mut rng = SplitMix64::new(0x5eed_cafe);
    (0..DRAWS)
        .map(|_| {
            let u = rng.next_f64();
            cdf.partition_point(|&c| c < u).min(KEYS - 1)
        })
        .collect()
}

fn body(i: usize) -> String {
    format!(
        "{{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"total\":1,\"id\":\"{i}\",\"pad\":\"{}\"}}",
        "x".repeat(900)
    )
}

async fn origin_for(i: usize) -> Result<Response, OriginError> {
    Ok(Response::new(200, body(i)).header("cache-control", "max-age=600"))
}

fn memory_hit(c: &mut Criterion<OnCpu>) {
    let urls = urls();
    let draws = zipf_draws();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let scope = Scope::tenant("bench");

    let cache = Cache::builder().memory(256 << 20).build().unwrap();
    rt.block_on(async {
        for (i, url) in urls.iter().enumerate() {
            cache
                .fetch(
                    &Request::get(url, &scope).accept("application/fhir+json"),
                    move |_c: Conditional| origin_for(i),
                )
                .await
                .unwrap();
        }
    });
    let moka: moka::sync::Cache<String, Arc<String>> = moka::sync::Cache::builder()
        .max_capacity(KEYS as u64 * 2)
        .build();
    for (i, url) in urls.iter().enumerate() {
        moka.insert(url.clone(), Arc::new(body(i)));
    }

    // moka with the policies the memory tier uses (weigher, time-to-idle, per-entry
    // expiry, eviction listener), keyed by the URL.
    struct Expiry;
    impl moka::Expiry<String, Arc<String>> for Expiry {
        fn expire_after_create(
            &self,
            _k: &String,
            _v: &Arc<String>,
            _at: std::time::Instant,
        ) -> Option<std::time::Duration> {
            Some(std::time::Duration::from_secs(86_400))
        }
    }
    let moka_same: moka::sync::Cache<String, Arc<String>> = moka::sync::Cache::builder()
        .max_capacity(256 << 20)
        .weigher(|_k, v: &Arc<String>| u32::try_from(v.len() + 128).unwrap_or(u32::MAX))
        .time_to_idle(std::time::Duration::from_secs(3600))
        .expire_after(Expiry)
        .eviction_listener(|_k, _v, _cause| {})
        .build();
    for (i, url) in urls.iter().enumerate() {
        moka_same.insert(url.clone(), Arc::new(body(i)));
    }

    let mut g = c.benchmark_group("cache_memory_hit");
    let mut n = 0usize;
    g.bench_function("moka_get_same_policies", |b| {
        b.iter(|| {
            n = (n + 1) % DRAWS;
            black_box(moka_same.get(urls[draws[n]].as_str()))
        });
    });
    let mut n = 0usize;
    g.bench_function("sha256_of_the_url", |b| {
        use sha2::Digest as _;
        b.iter(|| {
            n = (n + 1) % DRAWS;
            black_box(sha2::Sha256::digest(urls[draws[n]].as_bytes()))
        });
    });
    let mut n = 0usize;
    g.bench_function("moka_get", |b| {
        b.iter(|| {
            n = (n + 1) % DRAWS;
            black_box(moka.get(urls[draws[n]].as_str()))
        });
    });
    let mut n = 0usize;
    g.bench_function("steadfast_key_only", |b| {
        b.iter(|| {
            n = (n + 1) % DRAWS;
            black_box(steadfast_cache::CacheKey::new(
                &Request::get(&urls[draws[n]], &scope).accept("application/fhir+json"),
            ))
        });
    });
    let mut n = 0usize;
    g.bench_function("steadfast_memory_key_only", |b| {
        b.iter(|| {
            n = (n + 1) % DRAWS;
            black_box(steadfast_cache::memory_key_for_bench(
                &Request::get(&urls[draws[n]], &scope).accept("application/fhir+json"),
            ))
        });
    });
    let mut n = 0usize;
    g.bench_function("siphash128_of_the_url", |b| {
        use siphasher::sip128::Hasher128 as _;
        use std::hash::Hasher as _;
        b.iter(|| {
            n = (n + 1) % DRAWS;
            let mut h = siphasher::sip128::SipHasher13::new_with_keys(1, 2);
            h.write(urls[draws[n]].as_bytes());
            black_box(h.finish128().as_u128())
        });
    });
    let mut n = 0usize;
    g.bench_function("steadfast_fetch_hit", |b| {
        b.to_async(&rt).iter(|| {
            n = (n + 1) % DRAWS;
            let url = &urls[draws[n]];
            let cache = &cache;
            let scope = &scope;
            async move {
                let req = Request::get(url, scope).accept("application/fhir+json");
                let hit = cache
                    .fetch(&req, |_c: Conditional| origin_for(0))
                    .await
                    .unwrap();
                debug_assert!(hit.is_hit());
                black_box(hit)
            }
        });
    });
    g.finish();
}

fn redis_hit(c: &mut Criterion) {
    let url =
        std::env::var("STEADFAST_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = redis::Client::open(url.as_str()).unwrap();
    let Ok(conn) = rt.block_on(client.get_multiplexed_async_connection()) else {
        eprintln!("skipped: no Redis at {url}");
        return;
    };
    let prefix = format!("sf-bench:{}", std::process::id());
    let urls = urls();
    let draws = zipf_draws();
    let scope = Scope::tenant("bench");
    let cache = Cache::builder()
        .no_memory()
        .redis(&url)
        .key_prefix(&prefix)
        .build()
        .unwrap();
    rt.block_on(async {
        for (i, u) in urls.iter().enumerate() {
            cache
                .fetch(&Request::get(u, &scope), move |_c: Conditional| {
                    origin_for(i)
                })
                .await
                .unwrap();
        }
    });
    // The same stored values, under the keys the cache wrote.
    let keys: Vec<String> = urls
        .iter()
        .map(|u| {
            let k = steadfast_cache::CacheKey::new(&Request::get(u, &scope));
            format!("{prefix}:Observation:{}", k.hex())
        })
        .collect();

    let mut g = c.benchmark_group("cache_redis_hit");
    let mut n = 0usize;
    g.bench_function("redis_get", |b| {
        b.to_async(&rt).iter(|| {
            n = (n + 1) % DRAWS;
            let key = &keys[draws[n]];
            let mut conn = conn.clone();
            async move {
                let v: Option<Vec<u8>> = redis::cmd("GET")
                    .arg(key)
                    .query_async(&mut conn)
                    .await
                    .unwrap();
                black_box(v.unwrap())
            }
        });
    });
    let mut n = 0usize;
    g.bench_function("steadfast_fetch_hit", |b| {
        b.to_async(&rt).iter(|| {
            n = (n + 1) % DRAWS;
            let u = &urls[draws[n]];
            let (cache, scope) = (&cache, &scope);
            async move {
                let hit = cache
                    .fetch(&Request::get(u, scope), |_c: Conditional| origin_for(0))
                    .await
                    .unwrap();
                assert!(hit.is_hit());
                black_box(hit)
            }
        });
    });
    g.finish();
    rt.block_on(cache.invalidate_all());
}

criterion_group! {
    name = memory;
    config = Criterion::default().with_measurement(OnCpu);
    targets = memory_hit
}
// A Redis round trip is mostly waiting for the server: wall-clock time.
criterion_group!(redis, redis_hit);
criterion_main!(memory, redis);
