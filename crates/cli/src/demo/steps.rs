//! The demo's three steps: extract (bronze), flatten (silver), aggregate (gold).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use serde_json::{Value, json};
use steadfast::Run;
use steadfast::retry::{AdaptiveRateLimiter, Classify, ErrorFacts, Facts};
use steadfast::run::{NdjsonReader, NdjsonWriter, StepKind, atomic_write};

use super::cache::DemoCache;
use super::client::{Client, FetchError};

const TYPES: [&str; 3] = ["Patient", "Encounter", "Observation"];

/// What a failed fetch says about itself, so the run records its HTTP errors by status.
impl Facts for FetchError {
    fn facts(&self) -> ErrorFacts {
        match self {
            Self::Io(e) => ErrorFacts::io(e),
            Self::Status { status, .. } => ErrorFacts::http(*status),
            Self::Malformed(_) => ErrorFacts::new().kind("malformed"),
        }
    }
}

pub(crate) struct Extracted {
    pub(crate) resources: u64,
    pub(crate) pages: u64,
    pub(crate) retries: u64,
    pub(crate) dead_letters: u64,
}

/// Bronze: every page of every type, with the run's retry policy (breaker and budget
/// shared), an adaptive rate limiter, and dead letters for pages that fail for good —
/// through `cache` when there is one (the limiter then paces only the mock server's GETs).
pub(crate) fn extract(
    run: &Run,
    addr: SocketAddr,
    cache: Option<&DemoCache>,
) -> anyhow::Result<Extracted> {
    let mut step = run.step("bronze");
    step.kind(StepKind::Extract);
    let retries = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&retries);
    let policy = run.retry().on_retry(move |event| {
        counted.fetch_add(1, Relaxed);
        tracing::warn!(attempt = event.attempt, delay_ms = u64::try_from(event.delay.as_millis()).unwrap_or(u64::MAX), error = %event.error, "retrying a page");
    });
    let limiter = AdaptiveRateLimiter::new(500.0, 20.0, 2000.0);
    let client = Client::new(addr, Duration::from_secs(5), limiter)?;
    let metrics = run.metrics();
    let fetch = run.profiler().component("bronze.fetch_page");
    let parse = run.profiler().component("bronze.parse");
    let mut out = Extracted {
        resources: 0,
        pages: 0,
        retries: 0,
        dead_letters: 0,
    };
    let bronze = run.dir().data_dir(Some("bronze"));
    std::fs::create_dir_all(&bronze)?;
    let mut progress = crate::progress::Progress::new();
    for kind in TYPES {
        let mut writer = NdjsonWriter::open(bronze.join(format!("{kind}.ndjson")))?;
        let mut next = Some(format!("/{kind}?_page=0"));
        while let Some(path) = next.take() {
            progress.show(|| {
                format!(
                    "  bronze  {kind}: {} pages, {} resources, {} retries",
                    out.pages,
                    out.resources,
                    retries.load(Relaxed)
                )
            });
            let result = {
                let _span = fetch.span();
                // The run records retries, give-ups and HTTP errors by status itself.
                policy.retry_if(FetchError::classify.with_facts(), |_| match cache {
                    Some(cache) => cache.get_json(&client, &path),
                    None => client.get_json(&path),
                })
            };
            let (bundle, bytes) = match result {
                Ok(ok) => ok,
                Err(e) => {
                    run.dead_letters()
                        .push_failed(&json!({"request": path}), &e)?;
                    metrics.counter("bronze", "errors").add(1);
                    out.dead_letters += 1;
                    continue;
                }
            };
            let _span = parse.span();
            out.pages += 1;
            metrics
                .counter("bronze", "pages")
                .label("resource_type", kind)
                .add(1);
            metrics.counter("bronze", "bytes").add(bytes as u64);
            let entries = bundle["entry"].as_array().cloned().unwrap_or_default();
            for entry in &entries {
                writer.append(&entry["resource"])?;
            }
            let n = entries.len() as u64;
            out.resources += n;
            metrics
                .counter("bronze", "records")
                .label("resource_type", kind)
                .add(n);
            next = bundle["link"]
                .as_array()
                .and_then(|links| links.iter().find(|l| l["relation"] == "next"))
                .and_then(|l| l["url"].as_str())
                .map(str::to_owned);
        }
        writer.sync()?;
    }
    out.retries = retries.load(Relaxed);
    tracing::info!(
        resources = out.resources,
        pages = out.pages,
        retries = out.retries,
        "bronze done"
    );
    step.records_out(out.resources);
    Ok(out)
}

pub(crate) struct Flattened {
    pub(crate) rows: u64,
    pub(crate) rejected: u64,
    /// The shipped FHIR Bulk Data rules applied to every bronze record on its way through.
    pub(crate) quality: steadfast::validation::data::DataReport,
}

/// Silver: one flat row per resource; resources without an id are rejected and counted.
pub(crate) fn transform(run: &Run) -> anyhow::Result<Flattened> {
    let mut step = run.step("silver");
    step.kind(StepKind::Transform);
    let span = run.profiler().component("silver.flatten");
    let (bronze, silver) = (
        run.dir().data_dir(Some("bronze")),
        run.dir().data_dir(Some("silver")),
    );
    std::fs::create_dir_all(&silver)?;
    let rules = steadfast::validation::data::DataRules::fhir_bulk();
    let mut checker = steadfast::validation::data::RecordChecker::new(&rules, "bronze")?;
    let (mut rows_total, mut rejected) = (0, 0);
    let mut read_total = 0;
    for kind in TYPES {
        // Streamed: memory stays flat whatever the number of patients.
        let input = NdjsonReader::<Value>::open(bronze.join(format!("{kind}.ndjson")))?;
        let mut writer = NdjsonWriter::open(silver.join(format!("{kind}.ndjson")))?;
        let mut rows = 0;
        for r in input {
            let r = r?;
            read_total += 1;
            let _s = span.span();
            checker.check_value(&r);
            let Some(row) = flatten(kind, &r) else {
                rejected += 1;
                continue;
            };
            writer.append(&row)?;
            rows += 1;
        }
        writer.sync()?;
        run.metrics()
            .counter("silver", "records")
            .label("resource_type", kind)
            .add(rows);
        rows_total += rows;
    }
    // Recorded even at zero, so the error-rate alert has its numerator.
    run.metrics().counter("silver", "errors").add(rejected);
    step.records_in(read_total).records_out(rows_total);
    let quality = checker.finish();
    let path = run
        .dir()
        .validation_dir()
        .join(steadfast::run::files::DATA_QUALITY);
    std::fs::create_dir_all(run.dir().validation_dir())?;
    steadfast::run::atomic_write(&path, serde_json::to_vec_pretty(&quality)?)?;
    Ok(Flattened {
        rows: rows_total,
        rejected,
        quality,
    })
}

fn flatten(kind: &str, r: &Value) -> Option<Value> {
    let id = r["id"].as_str()?;
    let subject = || {
        r["subject"]["reference"]
            .as_str()
            .map(|s| s.trim_start_matches("Patient/").to_owned())
    };
    Some(match kind {
        "Patient" => json!({
            "id": id,
            "gender": r["gender"],
            "birth_year": r["birthDate"].as_str().and_then(|d| d.get(..4)),
        }),
        "Encounter" => {
            json!({"id": id, "patient": subject(), "class": r["class"]["code"], "start": r["period"]["start"]})
        }
        _ => json!({
            "id": id,
            "patient": subject(),
            "code": r["code"]["coding"][0]["code"],
            "value": r["valueQuantity"]["value"],
            "unit": r["valueQuantity"]["unit"],
        }),
    })
}

pub(crate) struct Aggregated {
    pub(crate) aggregates: u64,
}

/// Gold: patients by gender, encounters by class, observation count and mean by code —
/// aggregates only, no row of any patient.
pub(crate) fn aggregate(run: &Run) -> anyhow::Result<Aggregated> {
    let mut step = run.step("gold");
    step.kind(StepKind::Aggregate);
    let _span = run.profiler().span("gold.aggregate");
    let silver = run.dir().data_dir(Some("silver"));
    let gold = run.dir().data_dir(Some("gold"));
    std::fs::create_dir_all(&gold)?;
    let count_by = |kind: &str, field: &str| -> anyhow::Result<BTreeMap<String, u64>> {
        let rows = NdjsonReader::<Value>::open(silver.join(format!("{kind}.ndjson")))?;
        let mut m = BTreeMap::new();
        for r in rows {
            let r = r?;
            *m.entry(r[field].as_str().unwrap_or("unknown").to_owned())
                .or_insert(0) += 1;
        }
        Ok(m)
    };
    let genders = count_by("Patient", "gender")?;
    let classes = count_by("Encounter", "class")?;
    let mut by_code: BTreeMap<String, (u64, f64)> = BTreeMap::new();
    let mut rows_in = 0;
    for r in NdjsonReader::<Value>::open(silver.join("Observation.ndjson"))? {
        let r = r?;
        rows_in += 1;
        let e = by_code
            .entry(r["code"].as_str().unwrap_or("unknown").to_owned())
            .or_insert((0, 0.0));
        e.0 += 1;
        e.1 += r["value"].as_f64().unwrap_or(0.0);
    }
    let codes: BTreeMap<String, Value> = by_code
        .iter()
        .map(|(k, (n, sum))| (k.clone(), json!({"count": n, "mean": sum / *n as f64})))
        .collect();
    let aggregates = (genders.len() + classes.len() + codes.len()) as u64;
    let summary = json!({"patients_by_gender": genders, "encounters_by_class": classes, "observations_by_code": codes});
    atomic_write(
        gold.join("summary.json"),
        serde_json::to_vec_pretty(&summary)?,
    )?;
    run.metrics().counter("gold", "records").add(aggregates);
    step.records_in(rows_in).records_out(aggregates);
    Ok(Aggregated { aggregates })
}
