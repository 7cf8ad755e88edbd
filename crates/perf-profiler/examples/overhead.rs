//! The FHIRPath-like workload of the bench, run a fixed number of times plain or under the
//! profiler, for instruction counts under callgrind — deterministic where wall-clock
//! medians on a shared VM are not:
//! `valgrind --tool=callgrind target/release/examples/overhead [plain|default|nth:N|always]`.

#[path = "../benches/common/fhirpath.rs"]
#[allow(
    dead_code,
    missing_docs,
    unreachable_pub,
    reason = "shared with the bench"
)]
mod fhirpath;

use steadfast_perf_profiler::{Profiler, SampleRate};

fn main() {
    let mode = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "plain".to_owned());
    let resources: Vec<_> = (0..64).map(fhirpath::patient).collect();
    // Under callgrind the clock is emulated, so adaptive sampling would tune itself to the
    // emulator: `nth:N` fixes the interval adaptive sampling picks natively.
    let rate = match mode.as_str() {
        "always" => SampleRate::Always,
        m => m
            .strip_prefix("nth:")
            .and_then(|n| n.parse().ok())
            .map_or_else(SampleRate::adaptive, SampleRate::EveryNth),
    };
    let profiler = Profiler::builder().sample_rate(rate).build();
    let evaluate = profiler.component("evaluate");
    let mut sum = 0.0;
    for i in 0..200_000 {
        sum += if mode == "plain" {
            fhirpath::operation(i, &resources)
        } else {
            let _span = evaluate.span();
            fhirpath::operation(i, &resources)
        };
    }
    std::hint::black_box(sum);
    if mode != "plain" {
        let s = profiler.snapshot();
        let e = s
            .component("evaluate")
            .map_or((0, 0), |c| (c.calls, c.sampled));
        eprintln!("{mode}: {} calls, {} timed", e.0, e.1);
    }
}
