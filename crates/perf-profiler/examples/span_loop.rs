//! A loop of spans — untimed, or with any argument timed — for instruction counts under
//! callgrind (`valgrind --tool=callgrind target/release/examples/span_loop [timed]`).
use steadfast_perf_profiler::{Profiler, SampleRate};

fn main() {
    let timed = std::env::args().nth(1).is_some();
    let rate = if timed {
        SampleRate::Always
    } else {
        SampleRate::EveryNth(u32::MAX)
    };
    let p = Profiler::builder().sample_rate(rate).build();
    let c = p.component("x");
    drop(c.span());
    for _ in 0..1_000_000 {
        drop(std::hint::black_box(c.span()));
    }
}
