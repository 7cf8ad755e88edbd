//! The shortcuts of the hot paths must never change a result: the thread's most recent
//! series, a batch's memory of addresses, and thread slots passed between threads.

use std::collections::BTreeMap;
use std::sync::Barrier;

use steadfast_metrics::{Recorder, Sample, Value};

fn value(rec: &Recorder, name: &str, labels: &[(&str, &str)]) -> f64 {
    rec.snapshot()
        .get("bronze", name, labels)
        .map_or(0.0, |t| t.value)
}

#[test]
fn a_reused_buffer_is_read_again_on_every_call() {
    // The same address and length on consecutive calls, with different text: the most
    // recent series is compared byte for byte, never by address.
    let rec = Recorder::in_memory();
    let mut buf = String::with_capacity(64);
    let values = [
        "Patient",
        "Patienu",                   // same length, last byte differs
        "Qatient",                   // same length, first byte differs
        "Pat",                       // shorter, same start
        "Patient/0123456789-abcdef", // long
        "Patient/0123456789-abcdeg", // long, last byte differs
        "Patient/0123X56789-abcdef", // long, a middle byte differs
        "Patient",                   // back to the first
    ];
    for v in values {
        buf.clear();
        buf.push_str(v);
        rec.counter("bronze", "records")
            .label("resource_type", &buf)
            .add(1);
        rec.counter("bronze", "records")
            .label("resource_type", &buf)
            .add(1);
    }
    for v in &values[..7] {
        let expected = if *v == "Patient" { 4.0 } else { 2.0 };
        assert_eq!(
            value(&rec, "records", &[("resource_type", v)]),
            expected,
            "{v}"
        );
    }
    assert_eq!(rec.snapshot().total("bronze", "records"), 16.0);
}

#[test]
fn batches_count_exactly_with_more_series_than_they_remember() {
    // 150 series, more than a batch's table of addresses holds, in an order that collides,
    // with label values at shared, fresh and overlapping addresses.
    let rec = Recorder::in_memory();
    let owned: Vec<String> = (0..150).map(|i| format!("type-{i:03}")).collect();
    let copies: Vec<String> = owned.clone();
    let labels: Vec<[(&str, &str); 1]> = owned
        .iter()
        .map(|v| [("resource_type", v.as_str())])
        .collect();
    let copy_labels: Vec<[(&str, &str); 1]> = copies
        .iter()
        .map(|v| [("resource_type", v.as_str())])
        .collect();
    // A prefix of a value: the same address, a shorter length, another series.
    let prefix = [("resource_type", &owned[0][..4])];
    let mut batch = Vec::new();
    let mut expected: BTreeMap<String, f64> = BTreeMap::new();
    for round in 0..4 {
        for i in (0..150).map(|i| (i * 37 + round) % 150) {
            let l: &[(&str, &str)] = if round % 2 == 0 {
                &labels[i]
            } else {
                &copy_labels[i]
            };
            batch.push(Sample {
                step: "bronze",
                name: "records",
                labels: l,
                value: Value::Add(1.0),
            });
            *expected.entry(owned[i].clone()).or_default() += 1.0;
        }
        batch.push(Sample {
            step: "bronze",
            name: "records",
            labels: &prefix,
            value: Value::Add(5.0),
        });
        *expected.entry("type".to_owned()).or_default() += 5.0;
    }
    // A sample of another kind for a known series is refused, not recorded as a counter.
    batch.push(Sample {
        step: "bronze",
        name: "records",
        labels: &labels[0],
        value: Value::Set(1.0),
    });
    let outcome = rec.record_batch(&batch);
    assert_eq!(outcome.recorded, batch.len() - 1);
    assert_eq!(outcome.rejected.len(), 1);
    assert_eq!(outcome.rejected[0].0, batch.len() - 1);
    for (v, n) in &expected {
        assert_eq!(value(&rec, "records", &[("resource_type", v)]), *n, "{v}");
    }
}

#[test]
fn ended_threads_pass_on_their_slots() {
    let rec = Recorder::in_memory();
    let handle = rec.counter_handle("bronze", "bytes", &[]).unwrap();
    for _ in 0..10 {
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    rec.counter("bronze", "pages").add(1);
                    handle.add(2);
                });
            }
        });
    }
    assert_eq!(rec.snapshot().total("bronze", "pages"), 40.0);
    assert_eq!(rec.snapshot().total("bronze", "bytes"), 80.0);
    // 40 threads, at most 4 at a time: their slots are reused. (Tests running in parallel
    // in this process may take freed slots in between, hence the slack; without reuse this
    // would be 40.)
    let shards = rec.stats().thread_shards;
    assert!(shards <= 20, "{shards} shards for 4 concurrent threads");
}

#[test]
fn more_threads_than_slots_lose_nothing() {
    // Past the slots, threads record through the shared fallback under a lock.
    const THREADS: usize = 1100;
    let rec = Recorder::in_memory();
    let handle = rec.counter_handle("bronze", "bytes", &[]).unwrap();
    let all_alive = Barrier::new(THREADS);
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            std::thread::Builder::new()
                .stack_size(64 * 1024)
                .spawn_scoped(s, || {
                    all_alive.wait();
                    rec.counter("bronze", "pages").label("k", "v").add(1);
                    handle.add(1);
                    all_alive.wait();
                    rec.counter("bronze", "pages").label("k", "v").add(1);
                    handle.add(1);
                })
                .unwrap();
        }
    });
    assert_eq!(value(&rec, "pages", &[("k", "v")]), 2.0 * THREADS as f64);
    assert_eq!(
        rec.snapshot().total("bronze", "bytes"),
        2.0 * THREADS as f64
    );
}
