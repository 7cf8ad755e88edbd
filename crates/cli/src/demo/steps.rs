//! The demo's three steps: extract (bronze: a bulk export and a paged search), flatten
//! (silver), aggregate (gold).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use serde_json::{Value, json};
use steadfast::Run;
use steadfast::retry::{AdaptiveRateLimiter, Classify, ErrorFacts, Facts};
use steadfast::run::bulk_manifest::{BulkManifest, MANIFEST_FILE};
use steadfast::run::{NdjsonReader, NdjsonWriter, StepKind, atomic_write};

use super::cache::DemoCache;
use super::client::{Client, FetchError};
use super::export::{self, EXPORT_TYPES, Exported};
use super::series::{self, BRONZE, GOLD, SILVER};
use super::server::MockFhir;

/// The types silver flattens: those exported, and the one searched.
const TYPES: [&str; 4] = ["Patient", "Encounter", "Condition", "Observation"];

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
    /// The bulk export of [`export::EXPORT_TYPES`].
    pub(crate) export: Exported,
    /// Conditions read by search.
    pub(crate) resources: u64,
    pub(crate) pages: u64,
    /// Retries of the search's pages.
    pub(crate) retries: u64,
    pub(crate) dead_letters: u64,
}

/// The type read by a paged search (through the cache when there is one), and the
/// page size it asks for (`_count`, as servers that cap their pages send them).
const SEARCHED: &str = "Condition";
const SEARCH_COUNT: usize = 10;

/// Bronze: a bulk export of Patient, Encounter and Observation (files and manifest in
/// `data/bronze/`), then every page of a Condition search — both with the run's retry
/// policy (breaker and budget shared) and one adaptive rate limiter; dead letters for
/// pages that fail for good; the search through `cache` when there is one (the limiter
/// then paces only the mock server's GETs).
pub(crate) fn extract(
    run: &Run,
    server: &MockFhir,
    cache: Option<&DemoCache>,
) -> anyhow::Result<Extracted> {
    let mut step = run.step(BRONZE);
    step.kind(StepKind::Extract);
    let limiter = AdaptiveRateLimiter::new(500.0, 20.0, 2000.0);
    let bronze = run.dir().data_dir(Some(BRONZE));
    std::fs::create_dir_all(&bronze)?;
    let exported = export::export(run, server.addr, &bronze, limiter.clone())?;
    export::record_mock(run, &server.bulk.faults);

    let retries = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&retries);
    let policy = run.retry().on_retry(move |event| {
        counted.fetch_add(1, Relaxed);
        tracing::warn!(attempt = event.attempt, delay_ms = u64::try_from(event.delay.as_millis()).unwrap_or(u64::MAX), error = %event.error, "retrying a page");
    });
    let client = Client::new(server.addr, Duration::from_secs(5), limiter)?;
    let metrics = run.metrics();
    let fetch = run.profiler().component("bronze.fetch_page");
    let parse = run.profiler().component("bronze.parse");
    let mut out = Extracted {
        export: exported,
        resources: 0,
        pages: 0,
        retries: 0,
        dead_letters: 0,
    };
    let mut progress = crate::progress::Progress::new();
    let kind = SEARCHED;
    let mut writer = NdjsonWriter::open(bronze.join(format!("{kind}.ndjson")))?;
    let mut next = Some(format!("/{kind}?_page=0&_count={SEARCH_COUNT}"));
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
                metrics.counter(BRONZE, series::ERRORS).add(1);
                out.dead_letters += 1;
                continue;
            }
        };
        let _span = parse.span();
        out.pages += 1;
        metrics
            .counter(BRONZE, series::PAGES)
            .label(series::RESOURCE_TYPE, kind)
            .add(1);
        metrics.counter(BRONZE, series::BYTES).add(bytes as u64);
        let entries = bundle["entry"].as_array().cloned().unwrap_or_default();
        for entry in &entries {
            writer.append(&entry["resource"])?;
        }
        let n = entries.len() as u64;
        out.resources += n;
        metrics
            .counter(BRONZE, series::RECORDS)
            .label(series::RESOURCE_TYPE, kind)
            .add(n);
        next = bundle["link"]
            .as_array()
            .and_then(|links| links.iter().find(|l| l["relation"] == "next"))
            .and_then(|l| l["url"].as_str())
            .map(str::to_owned);
    }
    writer.sync()?;
    progress.done();
    out.retries = retries.load(Relaxed);
    tracing::info!(
        exported = out.export.resources,
        searched = out.resources,
        pages = out.pages,
        retries = out.retries,
        "bronze done"
    );
    step.records_out(out.export.resources + out.resources);
    Ok(out)
}

pub(crate) struct Flattened {
    pub(crate) rows: u64,
    pub(crate) rejected: u64,
    /// The shipped FHIR Bulk Data rules applied to every bronze record on its way through.
    pub(crate) quality: steadfast::validation::data::DataReport,
}

/// Silver: one flat row per resource, one file per type; resources without an id are
/// rejected and counted. The exported types are read from the files bronze's
/// `manifest.json` lists — every one, split files (`Patient.2.ndjson`) too; one listed and
/// missing is an error — and the searched type from its file.
///
/// An export that failed wrote no manifest and recorded no bronze records; its types are
/// skipped here too (empty silver files, so that gold still runs), not read from whatever
/// files completed: bronze and silver counts agree, and the run fails on bronze's error
/// and on the validation's count of the missing types.
pub(crate) fn transform(run: &Run, exported: &Exported) -> anyhow::Result<Flattened> {
    let mut step = run.step(SILVER);
    step.kind(StepKind::Transform);
    let span = run.profiler().component("silver.flatten");
    let (bronze, silver) = (
        run.dir().data_dir(Some(BRONZE)),
        run.dir().data_dir(Some(SILVER)),
    );
    std::fs::create_dir_all(&silver)?;
    let mut inputs = if exported.failed.is_none() {
        exported_files(&bronze)?
    } else {
        BTreeMap::new()
    };
    inputs.insert(SEARCHED, vec![bronze.join(format!("{SEARCHED}.ndjson"))]);
    let rules = steadfast::validation::data::DataRules::fhir_bulk();
    let mut checker = steadfast::validation::data::RecordChecker::new(&rules, BRONZE)?;
    let (mut rows_total, mut rejected) = (0, 0);
    let mut read_total = 0;
    for kind in TYPES {
        // Streamed: memory stays flat whatever the number of patients.
        let mut writer = NdjsonWriter::open(silver.join(format!("{kind}.ndjson")))?;
        let mut rows = 0;
        for file in inputs.get(kind).into_iter().flatten() {
            for r in NdjsonReader::<Value>::open(file)? {
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
        }
        writer.sync()?;
        run.metrics()
            .counter(SILVER, series::RECORDS)
            .label(series::RESOURCE_TYPE, kind)
            .add(rows);
        rows_total += rows;
    }
    // Recorded even at zero, so the error-rate alert has its numerator.
    run.metrics().counter(SILVER, series::ERRORS).add(rejected);
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

/// The data files bronze's `manifest.json` lists, by type, in its order: each a plain
/// file name in `bronze` that exists, of a type the export asked for.
fn exported_files(bronze: &Path) -> anyhow::Result<BTreeMap<&'static str, Vec<PathBuf>>> {
    let path = bronze.join(MANIFEST_FILE);
    let text =
        std::fs::read(&path).map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
    let manifest: BulkManifest = serde_json::from_slice(&text)
        .map_err(|e| anyhow::anyhow!("{} is not a bulk manifest: {e}", path.display()))?;
    let mut files: BTreeMap<&'static str, Vec<PathBuf>> = BTreeMap::new();
    for entry in manifest.output.unwrap_or_default() {
        let (Some(kind), Some(name)) = (entry.resource_type, entry.url) else {
            anyhow::bail!(
                "{}: an output entry without its type or file",
                path.display()
            );
        };
        let Some(kind) = EXPORT_TYPES.into_iter().find(|k| *k == kind) else {
            anyhow::bail!(
                "{}: lists type {kind:?}, which the export did not ask for",
                path.display()
            );
        };
        // The export names its files itself (`Patient.ndjson`, `Patient.2.ndjson`); a
        // name with a directory in it is not one of them.
        let file = bronze.join(&name);
        if Path::new(&name).file_name() != Some(name.as_ref()) || !file.is_file() {
            anyhow::bail!(
                "{}: lists {name:?}, which is not a file in {}",
                path.display(),
                bronze.display()
            );
        }
        files.entry(kind).or_default().push(file);
    }
    Ok(files)
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
        "Condition" => {
            json!({"id": id, "patient": subject(), "code": r["code"]["coding"][0]["code"], "onset": r["onsetDateTime"]})
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

/// Gold: patients by gender, encounters by class, conditions by code, observation count
/// and mean by code —
/// aggregates only, no row of any patient.
pub(crate) fn aggregate(run: &Run) -> anyhow::Result<Aggregated> {
    let mut step = run.step(GOLD);
    step.kind(StepKind::Aggregate);
    let _span = run.profiler().span("gold.aggregate");
    let silver = run.dir().data_dir(Some(SILVER));
    let gold = run.dir().data_dir(Some(GOLD));
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
    let conditions = count_by("Condition", "code")?;
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
    let aggregates = (genders.len() + classes.len() + conditions.len() + codes.len()) as u64;
    let summary = json!({"patients_by_gender": genders, "encounters_by_class": classes, "conditions_by_code": conditions, "observations_by_code": codes});
    atomic_write(
        gold.join("summary.json"),
        serde_json::to_vec_pretty(&summary)?,
    )?;
    run.metrics().counter(GOLD, series::RECORDS).add(aggregates);
    step.records_in(rows_in).records_out(aggregates);
    Ok(Aggregated { aggregates })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silver_reads_every_file_the_manifest_lists_and_fails_on_a_missing_one() {
        let dir = tempfile::tempdir().unwrap();
        let manifest = serde_json::json!({"output": [
            {"type": "Patient", "url": "Patient.ndjson"},
            {"type": "Observation", "url": "Observation.ndjson"},
            {"type": "Patient", "url": "Patient.2.ndjson"},
        ]});
        atomic_write(dir.path().join(MANIFEST_FILE), manifest.to_string()).unwrap();
        for f in ["Patient.ndjson", "Patient.2.ndjson", "Observation.ndjson"] {
            atomic_write(dir.path().join(f), "").unwrap();
        }
        let files = exported_files(dir.path()).unwrap();
        let names = |kind| -> Vec<_> {
            files[kind]
                .iter()
                .map(|p: &PathBuf| p.file_name().unwrap().to_owned())
                .collect()
        };
        assert_eq!(names("Patient"), ["Patient.ndjson", "Patient.2.ndjson"]);
        assert_eq!(names("Observation"), ["Observation.ndjson"]);
        std::fs::remove_file(dir.path().join("Patient.2.ndjson")).unwrap();
        let err = exported_files(dir.path()).unwrap_err().to_string();
        assert!(err.contains("\"Patient.2.ndjson\""), "{err}");
        std::fs::remove_file(dir.path().join(MANIFEST_FILE)).unwrap();
        assert!(exported_files(dir.path()).is_err());
    }
}
