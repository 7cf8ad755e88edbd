//! A deterministic synthetic FHIR Bulk Data export — Patient, Encounter, Condition and
//! Observation with consistent references — with faults injected in exact numbers, for
//! tests, benchmarks and the demo. The same seed gives the same bytes.
//!
//! ```
//! use steadfast_validation::data::generate::{BulkSpec, Faults, generate_export};
//!
//! let dir = tempfile::tempdir()?;
//! let spec = BulkSpec { patients: 20, faults: Faults { duplicates: 2, ..Faults::default() }, ..BulkSpec::default() };
//! let export = generate_export(dir.path(), &spec)?;
//! assert_eq!(export.records["Patient"], 20);
//! assert!(dir.path().join("manifest.json").exists());
//! # Ok::<(), std::io::Error>(())
//! ```

use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::synthetic::{Rng, condition, encounter, observation, patient};

/// Faults to inject, all into the Observation file, each into a different record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Faults {
    /// Observations written twice (same id).
    pub duplicates: usize,
    /// Observations without `subject` (so `subject.reference` is missing).
    pub missing_fields: usize,
    /// Observations whose subject is a Patient not in the export.
    pub dangling_references: usize,
    /// Lines that are not JSON resources (cut records, trailing commas, an HTML error page).
    pub invalid_lines: usize,
    /// The file ends with half a record and no newline.
    pub torn_last_line: bool,
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkSpec {
    /// The seed: the same seed gives the same files.
    pub seed: u64,
    /// Patients.
    pub patients: usize,
    /// Encounters per patient.
    pub encounters_per_patient: usize,
    /// Conditions per patient.
    pub conditions_per_patient: usize,
    /// Observations per encounter.
    pub observations_per_encounter: usize,
    /// Write `.ndjson.gz` instead of `.ndjson`.
    pub gzip: bool,
    /// Faults to inject.
    pub faults: Faults,
}

impl Default for BulkSpec {
    fn default() -> Self {
        Self {
            seed: 42,
            patients: 100,
            encounters_per_patient: 2,
            conditions_per_patient: 1,
            observations_per_encounter: 3,
            gzip: false,
            faults: Faults::default(),
        }
    }
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// The data files, in manifest order.
    pub files: Vec<PathBuf>,
    /// The manifest (`manifest.json`), when an export was written.
    pub manifest: Option<PathBuf>,
    /// Resources written per type (a duplicate counts; invalid lines do not).
    pub records: BTreeMap<String, u64>,
    /// Lines written per file name (what the manifest's `count` says).
    pub lines: BTreeMap<String, u64>,
    /// Bytes written (uncompressed).
    pub bytes: u64,
}

fn invalid_line(rng: &mut Rng, kind: usize) -> String {
    match kind % 3 {
        0 => {
            let id = rng.uuid();
            let full = observation(rng, &id, Some("x"), "y");
            full[..full.len() / 2].to_owned()
        }
        1 => format!(
            r#"{{"resourceType":"Observation","id":"{}","status":"final",}}"#,
            rng.uuid()
        ),
        _ => "<html><body>502 Bad Gateway</body></html>".to_owned(),
    }
}

/// Distinct random positions in `0..n`, `count` of them, avoiding `taken`.
fn positions(
    rng: &mut Rng,
    n: usize,
    count: usize,
    taken: &mut BTreeSet<usize>,
) -> io::Result<BTreeSet<usize>> {
    if taken.len() + count > n {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{n} observations cannot hold {} faults; generate more patients",
                taken.len() + count
            ),
        ));
    }
    let mut out = BTreeSet::new();
    while out.len() < count {
        let p = usize::try_from(rng.below(n as u64)).unwrap_or(0);
        if taken.insert(p) {
            out.insert(p);
        }
    }
    Ok(out)
}

struct Sink {
    out: Box<dyn Write>,
    lines: u64,
    bytes: u64,
}

impl Sink {
    fn create(path: &Path, gzip: bool) -> io::Result<Self> {
        let file = io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
        let out: Box<dyn Write> = if gzip {
            Box::new(flate2::write::GzEncoder::new(
                file,
                flate2::Compression::fast(),
            ))
        } else {
            Box::new(file)
        };
        Ok(Self {
            out,
            lines: 0,
            bytes: 0,
        })
    }
    fn line(&mut self, line: &str) -> io::Result<()> {
        self.out.write_all(line.as_bytes())?;
        self.out.write_all(b"\n")?;
        self.lines += 1;
        self.bytes += line.len() as u64 + 1;
        Ok(())
    }
    fn finish(mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Writes an export into `dir`: `Patient.ndjson`, `Encounter.ndjson`, `Condition.ndjson`,
/// `Observation.ndjson` (`.ndjson.gz` when `gzip`) and `manifest.json`, whose `count` is
/// the number of lines each file holds.
///
/// # Errors
/// Writing fails, or the faults do not fit into the observations.
pub fn generate_export(dir: &Path, spec: &BulkSpec) -> io::Result<Generated> {
    std::fs::create_dir_all(dir)?;
    let mut rng = Rng::new(spec.seed);
    let ext = if spec.gzip { "ndjson.gz" } else { "ndjson" };
    let types = ["Patient", "Encounter", "Condition", "Observation"];
    let mut sinks = Vec::new();
    for t in types {
        sinks.push(Sink::create(&dir.join(format!("{t}.{ext}")), spec.gzip)?);
    }
    let mut records: BTreeMap<String, u64> = types.iter().map(|t| ((*t).to_owned(), 0)).collect();
    let n_obs = spec.patients * spec.encounters_per_patient * spec.observations_per_encounter;
    let f = spec.faults;
    let mut taken = BTreeSet::new();
    let dups = positions(&mut rng, n_obs, f.duplicates, &mut taken)?;
    let missing = positions(&mut rng, n_obs, f.missing_fields, &mut taken)?;
    let dangling = positions(&mut rng, n_obs, f.dangling_references, &mut taken)?;
    let invalid = positions(&mut rng, n_obs, f.invalid_lines, &mut taken)?;
    let mut obs = 0usize;
    for _ in 0..spec.patients {
        let pid = rng.uuid();
        sinks[0].line(&patient(&mut rng, &pid))?;
        let mut first_encounter = None;
        for _ in 0..spec.encounters_per_patient {
            let eid = rng.uuid();
            first_encounter.get_or_insert_with(|| eid.clone());
            sinks[1].line(&encounter(&mut rng, &eid, &pid))?;
            for _ in 0..spec.observations_per_encounter {
                let oid = rng.uuid();
                let stranger = rng.uuid();
                let subject = if missing.contains(&obs) {
                    None
                } else if dangling.contains(&obs) {
                    Some(stranger.as_str())
                } else {
                    Some(pid.as_str())
                };
                let line = observation(&mut rng, &oid, subject, &eid);
                sinks[3].line(&line)?;
                if dups.contains(&obs) {
                    sinks[3].line(&line)?;
                }
                if invalid.contains(&obs) {
                    let bad = invalid_line(&mut rng, obs);
                    sinks[3].line(&bad)?;
                }
                obs += 1;
            }
        }
        for _ in 0..spec.conditions_per_patient {
            let cid = rng.uuid();
            let eid = first_encounter.as_deref().unwrap_or_default();
            sinks[2].line(&condition(&mut rng, &cid, &pid, eid))?;
        }
    }
    for (i, t) in types.iter().enumerate() {
        let mut n = sinks[i].lines;
        if *t == "Observation" {
            n -= f.invalid_lines as u64;
        }
        records.insert((*t).to_owned(), n);
    }
    let mut lines = BTreeMap::new();
    let mut bytes = 0;
    let mut files = Vec::new();
    let mut output = String::new();
    let torn = f
        .torn_last_line
        .then(|| observation(&mut rng.clone(), "torn", Some("x"), "y"));
    for (i, (t, mut sink)) in types.iter().zip(sinks).enumerate() {
        if *t == "Observation"
            && let Some(full) = &torn
        {
            let half = &full[..full.len() / 2];
            sink.out.write_all(half.as_bytes())?;
            sink.lines += 1;
            sink.bytes += half.len() as u64;
        }
        let name = format!("{t}.{ext}");
        if i > 0 {
            output.push(',');
        }
        let _ = write!(
            output,
            r#"{{"type":"{t}","url":"{name}","count":{}}}"#,
            sink.lines
        );
        lines.insert(name.clone(), sink.lines);
        bytes += sink.bytes;
        files.push(dir.join(&name));
        sink.finish()?;
    }
    let manifest = dir.join("manifest.json");
    let text = format!(
        "{{\"transactionTime\":\"2026-01-15T08:00:00Z\",\"request\":\"https://ehr.example.org/fhir/$export\",\"requiresAccessToken\":false,\"output\":[{output}],\"error\":[]}}\n"
    );
    steadfast_core::atomic_write(&manifest, text).map_err(io::Error::other)?;
    Ok(Generated {
        files,
        manifest: Some(manifest),
        records,
        lines,
        bytes,
    })
}

/// Writes one NDJSON file of about `target_bytes` mixing all four types (each patient
/// followed by their encounters, observations and conditions), without faults: the input
/// of the throughput benchmark.
///
/// # Errors
/// Writing fails.
pub fn generate_mixed(path: &Path, seed: u64, target_bytes: u64) -> io::Result<Generated> {
    let mut rng = Rng::new(seed);
    let mut sink = Sink::create(path, false)?;
    let mut records: BTreeMap<String, u64> = BTreeMap::new();
    let mut count = |t: &str| *records.entry(t.to_owned()).or_default() += 1;
    while sink.bytes < target_bytes {
        let pid = rng.uuid();
        sink.line(&patient(&mut rng, &pid))?;
        count("Patient");
        let mut first_encounter = None;
        for _ in 0..2 {
            let eid = rng.uuid();
            first_encounter.get_or_insert_with(|| eid.clone());
            sink.line(&encounter(&mut rng, &eid, &pid))?;
            count("Encounter");
            for _ in 0..4 {
                let oid = rng.uuid();
                sink.line(&observation(&mut rng, &oid, Some(&pid), &eid))?;
                count("Observation");
            }
        }
        let cid = rng.uuid();
        let eid = first_encounter.unwrap_or_default();
        sink.line(&condition(&mut rng, &cid, &pid, &eid))?;
        count("Condition");
    }
    let (lines, bytes) = (sink.lines, sink.bytes);
    sink.finish()?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Generated {
        files: vec![path.to_path_buf()],
        manifest: None,
        records,
        lines: BTreeMap::from([(name, lines)]),
        bytes,
    })
}
