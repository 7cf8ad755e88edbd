//! Families (`counter_family` and its kin): the same results as the labeled path, whatever
//! the values' text, the threads, or the cardinality guard.

use std::collections::BTreeMap;

use steadfast_metrics::{Error, MetricsConfig, Recorder, read_file};

fn by_value(rec: &Recorder, name: &str) -> BTreeMap<String, f64> {
    rec.snapshot()
        .series
        .iter()
        .filter(|(k, _)| k.name == name)
        .map(|(k, t)| {
            let labels: Vec<String> = k.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            (labels.join(","), t.value)
        })
        .collect()
}

#[test]
fn values_are_compared_byte_for_byte_like_the_labeled_path() {
    let values = [
        "Patient",
        "Patienu",
        "Qatient",
        "Pat",
        "",
        "Patient/0123456789-abcdef",
        "Patient/0123456789-abcdeg",
        "Patient/0123X56789-abcdef",
        "Patient",
    ];
    let (fam_rec, lab_rec) = (Recorder::in_memory(), Recorder::in_memory());
    let fam = fam_rec
        .counter_family("bronze", "records", ["resource_type", "source"])
        .unwrap();
    // One buffer, reused: the same address holds different text from call to call.
    let mut buf = String::with_capacity(64);
    for (i, v) in values.iter().enumerate() {
        buf.clear();
        buf.push_str(v);
        let source = if i % 2 == 0 { "epic" } else { "cerner" };
        fam.add([&buf, source], 1 + i as u64);
        lab_rec
            .counter("bronze", "records")
            .label("resource_type", &buf)
            .label("source", source)
            .add(1 + i as u64);
    }
    assert_eq!(by_value(&fam_rec, "records"), by_value(&lab_rec, "records"));
    assert_eq!(by_value(&fam_rec, "records").len(), 8); // "Patient" twice, both from epic
}

#[test]
fn threads_racing_to_add_the_same_values_lose_nothing() {
    let rec = Recorder::in_memory();
    let fam = rec
        .counter_family("bronze", "records", ["resource_type"])
        .unwrap();
    let values: Vec<String> = (0..64).map(|i| format!("Type{i}")).collect();
    std::thread::scope(|s| {
        for t in 0..4 {
            let (fam, values) = (&fam, &values);
            s.spawn(move || {
                for i in 0..10_000 {
                    fam.add([&values[(i + t * 7) % 64]], 1);
                }
            });
        }
    });
    let totals = by_value(&rec, "records");
    assert_eq!(totals.len(), 64);
    assert_eq!(totals.values().sum::<f64>(), 40_000.0);
    assert_eq!(rec.stats().rejected, 0);
}

#[test]
fn past_the_cardinality_guard_values_fold_into_overflow_and_nothing_is_lost() {
    let config = MetricsConfig {
        max_series_per_metric: 10,
        ..MetricsConfig::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metrics.ndjson");
    let rec = Recorder::with_config(Some(path.clone()), &config).unwrap();
    let fam = rec
        .counter_family("bronze", "records", ["patient"])
        .unwrap();
    // 200 distinct values (more than the table keeps), three records each.
    for round in 0..3 {
        for i in 0..200 {
            fam.add([&format!("p{i}")], 1);
        }
        let _ = round;
    }
    rec.close().unwrap();
    let totals = read_file(&path).unwrap().totals;
    assert_eq!(totals.total("bronze", "records"), 600.0);
    let overflow = totals
        .get("bronze", "records", &[("overflow", "true")])
        .unwrap();
    assert_eq!(overflow.value, 190.0 * 3.0);
    assert_eq!(totals.series.len(), 11);
}

#[test]
fn histograms_and_gauges_reach_the_run_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metrics.ndjson");
    let rec = Recorder::to_file(&path).unwrap();
    let pages = rec
        .histogram_family("extract", "page_seconds", ["resource_type"])
        .unwrap();
    let queued = rec.gauge_family("load", "queued", ["table"]).unwrap();
    for v in [0.1, 0.2, f64::NAN, 0.3] {
        pages.observe(["Patient"], v);
    }
    pages.observe_duration(["Encounter"], std::time::Duration::from_millis(50));
    queued.set(["patients"], 3.0);
    queued.set(["patients"], 1.0);
    rec.close().unwrap();
    let totals = read_file(&path).unwrap().totals;
    let patient = totals
        .get("extract", "page_seconds", &[("resource_type", "Patient")])
        .unwrap();
    assert_eq!(patient.count, 3);
    assert!((patient.value - 0.6).abs() < 1e-9);
    let encounter = totals
        .get("extract", "page_seconds", &[("resource_type", "Encounter")])
        .unwrap();
    assert_eq!(encounter.count, 1);
    let q = totals
        .get("load", "queued", &[("table", "patients")])
        .unwrap();
    assert_eq!(q.value, 1.0);
}

#[test]
fn a_name_of_another_kind_is_refused_and_counted_and_bad_names_fail_at_creation() {
    let rec = Recorder::in_memory();
    rec.counter("bronze", "records")
        .label("resource_type", "Patient")
        .add(1);
    let hist = rec
        .histogram_family("bronze", "records", ["resource_type"])
        .unwrap();
    hist.observe(["Patient"], 1.0);
    assert_eq!(rec.stats().rejected, 1);
    let counter = rec
        .counter_family("bronze", "records", ["resource_type"])
        .unwrap();
    assert!(matches!(
        counter.add_f64(["Patient"], -1.0),
        Err(Error::InvalidValue { .. })
    ));
    counter.add_f64(["Patient"], 2.5).unwrap();
    assert_eq!(rec.snapshot().total("bronze", "records"), 3.5);
    assert!(matches!(
        rec.counter_family("bronze", "", ["resource_type"]),
        Err(Error::InvalidName { .. })
    ));
    assert!(rec.counter_family("bronze", "records", ["!!"]).is_err());
}
