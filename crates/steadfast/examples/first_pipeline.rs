//! Your first pipeline (docs/pipeline.md walks through it): Patients and Observations page
//! by page from a FHIR server — retries, circuit breaker, dead letters — flattened and
//! counted, with metrics, profiling, health, validation and the run's page; every file is
//! streamed, so memory stays flat. `cargo run --example first_pipeline --features full --
//! <FHIR base URL> [runs root]`

use std::collections::BTreeMap;
use std::process::ExitCode;

use serde_json::{Value, json};
use steadfast::fhir::{FhirClient, FhirError, bundle_resources};
use steadfast::http::HttpSettings;
use steadfast::run::{NdjsonReader, NdjsonWriter, StepKind};
use steadfast::{Run, RunReport};

type Error = Box<dyn std::error::Error + Send + Sync>;

const TYPES: [&str; 2] = ["Patient", "Observation"];

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let base = args.next().unwrap_or("http://127.0.0.1:8080/fhir".into());
    let runs = args.next().unwrap_or("runs".into());
    steadfast::exit(pipeline(&base, &runs)) // 0 pass, 1 fail, 2 a configuration error
}

fn pipeline(base: &str, runs: &str) -> Result<RunReport, Error> {
    // Configuration: defaults < steadfast.toml < STEADFAST_* < .set(); every problem at once.
    let run = Run::builder("first-pipeline").runs_root(runs).start()?;
    let health = run.serve()?; // /health, /health/ready, /metrics while the run lives
    eprintln!("run {}: http://{}/health", run.id(), health.addr());
    extract(&run, base)?;
    transform(&run)?;
    load(&run)?;
    // Validation (a record under validation/<stamp>/), profile.json, the page, the lock.
    Ok(run.finish()?)
}

/// Bronze: every page through the run's retry policy and circuit breaker; a page that
/// fails for good is a dead letter the client writes itself.
fn extract(run: &Run, base: &str) -> Result<(), Error> {
    let mut step = run.step("bronze");
    step.kind(StepKind::Extract);
    let client = FhirClient::new(base, &HttpSettings::default(), run.retry())?
        .dead_letters(run.dead_letters().clone());
    for kind in TYPES {
        let mut out = NdjsonWriter::open(file(run, "bronze", kind)?)?;
        for page in client.search(kind, &[("_count", "100")]) {
            let _span = run.profiler().span("bronze.write");
            match page {
                Ok(bundle) => {
                    let mut n = 0_u64;
                    for resource in bundle_resources(&bundle) {
                        out.append(resource)?;
                        n += 1;
                    }
                    step.records(kind, n); // the `records` counter and run.json, once
                }
                // In deadletter.ndjson now; the rest of this type cannot be reached.
                Err(FhirError::GaveUp { .. }) => break,
                Err(e) => return Err(e.into()),
            }
        }
        out.sync()?;
    }
    Ok(())
}

/// Silver: one flat row per resource, streamed; a resource without an id is counted out.
fn transform(run: &Run) -> Result<(), Error> {
    let mut step = run.step("silver");
    step.kind(StepKind::Transform);
    for kind in TYPES {
        let mut out = NdjsonWriter::open(file(run, "silver", kind)?)?;
        let mut rows = 0_u64;
        for resource in NdjsonReader::<Value>::open(file(run, "bronze", kind)?)? {
            let r = resource?;
            let _span = run.profiler().span("silver.flatten");
            let Some(id) = r["id"].as_str() else {
                run.metrics().counter("silver", "rejected").add(1);
                continue;
            };
            out.append(
                &json!({"id": id, "gender": r["gender"], "code": r["code"]["coding"][0]["code"]}),
            )?;
            rows += 1;
        }
        out.sync()?;
        step.records(kind, rows);
    }
    Ok(())
}

/// Gold: counts by gender and by code — aggregates, so row counts are not compared.
fn load(run: &Run) -> Result<(), Error> {
    let mut step = run.step("gold");
    step.kind(StepKind::Aggregate);
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for kind in TYPES {
        for row in NdjsonReader::<Value>::open(file(run, "silver", kind)?)? {
            let row = row?;
            let key = &row[if kind == "Patient" { "gender" } else { "code" }];
            *counts.entry(format!("{kind}:{key}")).or_default() += 1;
        }
    }
    let mut out = NdjsonWriter::open(file(run, "gold", "counts")?)?;
    for (key, n) in &counts {
        out.append(&json!({"key": key, "count": n}))?;
    }
    out.sync()?;
    step.records("aggregate", counts.len() as u64);
    Ok(())
}

/// `data/<layer>/<name>.ndjson` in the run, its directory created.
fn file(run: &Run, layer: &str, name: &str) -> Result<std::path::PathBuf, Error> {
    let dir = run.dir().data_dir(Some(layer));
    std::fs::create_dir_all(&dir)?;
    Ok(dir.join(format!("{name}.ndjson")))
}
