//! The memory-tier hit path allocates nothing of its own: the answer is a handle on the
//! stored entry. Its own binary, because it installs a counting global allocator for the
//! whole process.
#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

use steadfast_cache::{Cache, Conditional, OriginError, Request, Response, Scope, Source};
use steadfast_perf_profiler::{CountingAlloc, Profiler, SampleRate};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

async fn origin(_c: Conditional) -> Result<Response, OriginError> {
    Ok(Response::new(200, "{\"resourceType\":\"Bundle\"}").header("cache-control", "max-age=600"))
}

/// Bytes allocated by 10,000 memory hits of `cache`.
fn bytes_of_hits(cache: &Cache) -> u64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let scope = Scope::tenant("t");
    let url =
        "https://ehr.example/fhir/Observation?patient=p1&code=8867-4&_sort=-date&_format=json";
    let req = Request::get(url, &scope);
    // The first fetch stores; the next ones warm moka's buffers.
    rt.block_on(async {
        for _ in 0..1000 {
            cache.fetch(&req, origin).await.unwrap();
        }
    });
    let profiler = Profiler::builder().sample_rate(SampleRate::Always).build();
    rt.block_on(async {
        let _span = profiler.span("hits");
        for _ in 0..10_000 {
            let hit = cache.fetch(&req, origin).await.unwrap();
            assert_eq!(hit.source(), Source::Memory);
        }
    });
    profiler.snapshot().component("hits").unwrap().alloc_bytes
}

/// Both in one test: the counting allocator's attribution is not meant for two profilers
/// measuring at once.
#[test]
fn a_memory_hit_allocates_nothing() {
    let cache = Cache::builder()
        .memory(1 << 20)
        .count_evictions(false)
        .build()
        .unwrap();
    let bytes = bytes_of_hits(&cache);
    assert_eq!(bytes, 0, "10,000 memory hits allocated {bytes} bytes");

    // Counting evictions costs only moka's amortised maintenance.
    let cache = Cache::builder().memory(1 << 20).build().unwrap();
    let bytes = bytes_of_hits(&cache);
    assert!(
        bytes <= 10_000 * 32,
        "10,000 memory hits allocated {bytes} bytes"
    );
}
