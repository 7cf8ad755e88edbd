//! Recording cost against the `prometheus` crate and a naive lock-and-write recorder, in
//! the same run, with the file sink on (results in docs/benchmarks.md).

use std::fs::File;
use std::hint::black_box;
use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use prometheus::{CounterVec, Opts};
use steadfast_metrics::{Recorder, Sample, Value};

/// The seed's recorder: one lock, one serialisation and one write per record.
struct NaiveRecorder {
    file: Mutex<File>,
}

impl NaiveRecorder {
    fn record(&self, step: &str, name: &str, label: (&str, &str), value: u64) {
        let line = serde_json::json!({
            "ts": "2025-09-29T10:00:00.123Z", "step": step, "name": name, "kind": "counter",
            "value": value, "labels": { label.0: label.1 }
        });
        let mut bytes = serde_json::to_vec(&line).unwrap_or_default();
        bytes.push(b'\n');
        let mut f = self
            .file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = f.write_all(&bytes);
    }
}

fn labeled(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let rec =
        Recorder::to_file(dir.path().join("metrics.ndjson")).unwrap_or_else(|e| panic!("{e}"));
    let vec = CounterVec::new(
        Opts::new("records_total", "records"),
        &["step", "resource_type"],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let naive = NaiveRecorder {
        file: Mutex::new(
            File::create(dir.path().join("naive.ndjson")).unwrap_or_else(|e| panic!("{e}")),
        ),
    };

    let mut g = c.benchmark_group("labeled_counter_add");
    g.bench_function("steadfast", |b| {
        b.iter(|| {
            rec.counter(black_box("bronze"), black_box("records"))
                .label("resource_type", black_box("Patient"))
                .add(1)
        });
    });
    g.bench_function("prometheus_with_label_values", |b| {
        b.iter(|| {
            vec.with_label_values(&[black_box("bronze"), black_box("Patient")])
                .inc()
        });
    });
    // A different series on every call: the thread's most recent series never matches.
    let types = ["Patient", "Observation", "Encounter", "Condition"];
    let mut turn = 0;
    g.bench_function("steadfast_4_values_in_turn", |b| {
        b.iter(|| {
            turn = (turn + 1) % 4;
            rec.counter(black_box("bronze"), black_box("records"))
                .label("resource_type", black_box(types[turn]))
                .add(1)
        });
    });
    g.bench_function("prometheus_4_values_in_turn", |b| {
        b.iter(|| {
            turn = (turn + 1) % 4;
            vec.with_label_values(&[black_box("bronze"), black_box(types[turn])])
                .inc()
        });
    });
    g.bench_function("naive_lock_serialize_write", |b| {
        b.iter(|| {
            naive.record(
                black_box("bronze"),
                "records",
                ("resource_type", "Patient"),
                1,
            )
        });
    });
    g.finish();

    let handle = rec
        .counter_handle("bronze", "bytes", &[])
        .unwrap_or_else(|e| panic!("{e}"));
    let resolved = vec.with_label_values(&["bronze", "bytes"]);
    let mut g = c.benchmark_group("resolved_counter_add");
    g.bench_function("steadfast_handle", |b| b.iter(|| handle.add(black_box(1))));
    g.bench_function("prometheus_resolved_inc", |b| b.iter(|| resolved.inc()));
    g.finish();

    let labels = [("resource_type", "Patient")];
    let other = [("resource_type", "Observation")];
    let batch: Vec<Sample<'_>> = (0..1000)
        .map(|i| Sample {
            step: "bronze",
            name: if i % 4 == 0 { "bytes" } else { "records" },
            labels: if i % 2 == 0 { &labels } else { &other },
            value: Value::Add(1.0),
        })
        .collect();
    let mut g = c.benchmark_group("record_batch_1000");
    g.throughput(Throughput::Elements(1000));
    g.bench_function("steadfast", |b| {
        b.iter(|| rec.record_batch(black_box(&batch)))
    });
    g.finish();

    // Sustained: two threads hammering pre-resolved handles, file sink flushing each second.
    let mut g = c.benchmark_group("sustained_2_threads");
    const PER_THREAD: u64 = 5_000_000;
    g.throughput(Throughput::Elements(2 * PER_THREAD));
    g.sample_size(10);
    g.bench_function("steadfast_handle_adds", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                std::thread::scope(|s| {
                    for t in 0..2 {
                        let h = rec
                            .counter_handle("bronze", if t == 0 { "a" } else { "b" }, &[])
                            .unwrap_or_else(|e| panic!("{e}"));
                        s.spawn(move || (0..PER_THREAD).for_each(|_| h.add(black_box(1))));
                    }
                });
                total += start.elapsed();
            }
            total
        });
    });
    g.finish();
    rec.close().unwrap_or_else(|e| panic!("{e}"));
}

/// FHIR R4 resource type names: runtime `String`s of realistic lengths (4 to 32 bytes),
/// the label values a pipeline records per resource type.
const RESOURCE_TYPES: [&str; 64] = [
    "Patient",
    "Observation",
    "Encounter",
    "Condition",
    "Procedure",
    "MedicationRequest",
    "Immunization",
    "AllergyIntolerance",
    "DiagnosticReport",
    "DocumentReference",
    "CarePlan",
    "CareTeam",
    "Claim",
    "ExplanationOfBenefit",
    "Coverage",
    "Practitioner",
    "PractitionerRole",
    "Organization",
    "Location",
    "Device",
    "Goal",
    "ImagingStudy",
    "MedicationAdministration",
    "MedicationDispense",
    "MedicationStatement",
    "Medication",
    "Provenance",
    "ServiceRequest",
    "Specimen",
    "QuestionnaireResponse",
    "Questionnaire",
    "RelatedPerson",
    "Group",
    "List",
    "Media",
    "NutritionOrder",
    "Appointment",
    "AppointmentResponse",
    "Schedule",
    "Slot",
    "Task",
    "Communication",
    "CommunicationRequest",
    "Consent",
    "Contract",
    "DetectedIssue",
    "EpisodeOfCare",
    "FamilyMemberHistory",
    "Flag",
    "HealthcareService",
    "Invoice",
    "Account",
    "AdverseEvent",
    "BodyStructure",
    "ChargeItem",
    "ClinicalImpression",
    "DeviceRequest",
    "DeviceUseStatement",
    "EnrollmentRequest",
    "GuidanceResponse",
    "MolecularSequence",
    "RiskAssessment",
    "SupplyDelivery",
    "VisionPrescription",
];

/// Label values that vary from call to call: runtime `String`s rotating over 4, 16 and 64
/// values, each side given the same rotation. The peer is a `CounterVec` whose static parts
/// (name, the step as a constant label) are fixed at creation, as a family's are.
fn varying(c: &mut Criterion) {
    let rec = Recorder::in_memory();
    let records = rec
        .counter_family("bronze", "records", ["resource_type"])
        .unwrap_or_else(|e| panic!("{e}"));
    let vec = CounterVec::new(
        Opts::new("records_total", "records").const_label("step", "bronze"),
        &["resource_type"],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut g = c.benchmark_group("varying_label_add");
    for n in [4_usize, 16, 64] {
        let values: Vec<String> = RESOURCE_TYPES[..n]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let mask = n - 1;
        let mut turn = 0;
        g.bench_function(format!("steadfast_family_{n}"), |b| {
            b.iter(|| {
                turn = (turn + 1) & mask;
                records.add([black_box(values[turn].as_str())], 1);
            });
        });
        g.bench_function(format!("steadfast_labeled_{n}"), |b| {
            b.iter(|| {
                turn = (turn + 1) & mask;
                rec.counter(black_box("bronze"), black_box("records"))
                    .label("resource_type", black_box(values[turn].as_str()))
                    .add(1);
            });
        });
        g.bench_function(format!("prometheus_{n}"), |b| {
            b.iter(|| {
                turn = (turn + 1) & mask;
                vec.with_label_values(&[black_box(values[turn].as_str())])
                    .inc();
            });
        });
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! { name = benches; config = config(); targets = labeled, varying }
criterion_main!(benches);
