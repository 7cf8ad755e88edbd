//! The R4 conformance check against its ground truth and against `@medplum/core@4.5.2`'s
//! `validateResource` (node, `tests/medplum/validate.mjs`) on the same 20,000 generated
//! records, ≥ 30 % of them with one seeded fault (issue 25).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::Path;
use std::process::Command;

use steadfast_validation::conformance::{Class, Definitions, Issue};
use steadfast_validation::data::conformance_gen::{ConformanceSpec, Fault, Seeded, write_records};

const RECORDS: usize = 20_000;

/// Seeded faults Medplum does not check, left out of the agreement: it checks no
/// terminology binding, required or not (`Patient.gender` `robot` passes).
const MEDPLUM_UNCHECKED: &[Fault] = &[Fault::Binding];

fn generate(dir: &Path) -> (std::path::PathBuf, Vec<u8>, Seeded) {
    let spec = ConformanceSpec {
        seed: 25,
        records: RECORDS,
        faulted_percent: 35,
    };
    let mut bytes = Vec::new();
    let seeded = write_records(&mut bytes, &spec).unwrap();
    let path = dir.join("mixed.ndjson");
    let mut file = std::fs::File::create(&path).unwrap();
    file.write_all(&bytes).unwrap();
    file.sync_all().unwrap();
    (path, bytes, seeded)
}

/// Our issues per line, line 1 first.
fn issues(bytes: &[u8]) -> Vec<Vec<Issue>> {
    let r4 = Definitions::r4().unwrap();
    bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|line| r4.check(line).unwrap())
        .collect()
}

/// Our classes per line, line 1 first.
fn ours(bytes: &[u8]) -> Vec<Vec<Class>> {
    issues(bytes)
        .into_iter()
        .map(|l| l.iter().map(|i| i.class).collect())
        .collect()
}

#[test]
fn every_seeded_fault_is_found_with_its_class_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let (_, bytes, seeded) = generate(dir.path());
    assert!(
        seeded.faulted() * 100 >= RECORDS as u64 * 30,
        "{} faulted",
        seeded.faulted()
    );
    let all = issues(&bytes);
    let found: Vec<Vec<Class>> = all
        .iter()
        .map(|l| l.iter().map(|i| i.class).collect())
        .collect();
    assert_eq!(found.len(), RECORDS);
    let mut wrong = Vec::new();
    let mut counts: BTreeMap<Class, u64> = BTreeMap::new();
    for (n, classes) in found.iter().enumerate() {
        let want: Vec<Class> = seeded.fault(n + 1).map(Fault::class).into_iter().collect();
        for c in classes {
            *counts.entry(*c).or_default() += 1;
        }
        if *classes != want {
            wrong.push(format!(
                "line {}: {} seeded {want:?}, found {classes:?}",
                n + 1,
                seeded.types[n]
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} records differ from the truth:\n{}",
        wrong.len(),
        wrong[..wrong.len().min(20)].join("\n")
    );
    assert_eq!(counts, seeded.class_counts());
    // Placement varies: each fault in several resource types and at several depths.
    let mut placed: BTreeMap<Fault, (BTreeSet<&str>, BTreeSet<usize>)> = BTreeMap::new();
    for (n, line) in all.iter().enumerate() {
        if let (Some(fault), Some(issue)) = (seeded.fault(n + 1), line.first()) {
            let entry = placed.entry(fault).or_default();
            entry.0.insert(seeded.types[n]);
            entry.1.insert(issue.path.matches('.').count());
        }
    }
    for fault in Fault::ALL {
        assert!(
            seeded.counts.get(&fault).copied().unwrap_or(0) >= 900,
            "{fault:?}: {:?}",
            seeded.counts
        );
        let (types, depths) = &placed[&fault];
        println!("{fault:?}: {} types, depths {depths:?}", types.len());
        assert!(
            types.len() >= 5 && depths.len() >= 2,
            "{fault:?} in {types:?} at depths {depths:?}"
        );
    }
}

struct Verdict {
    ok: bool,
    first: String,
}

/// Medplum's verdict per line; `None` when node or the npm packages are missing (outside CI).
fn medplum(file: &Path) -> Option<Vec<Verdict>> {
    let node = steadfast_testkit::require_tool("node", "apt-get install nodejs (node >= 20.19)")?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/medplum");
    if !root.join("node_modules/@medplum/core").is_dir() {
        steadfast_testkit::skip(
            "@medplum/core is not installed (npm ci --prefix crates/validation/tests/medplum)",
        );
        return None;
    }
    let out = Command::new(node)
        .arg(root.join("validate.mjs"))
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verdicts = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .enumerate()
        .map(|(n, l)| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            assert_eq!(v["line"], n + 1);
            let first = v["issues"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| matches!(i["severity"].as_str(), Some("error" | "fatal")))
                .map(|i| pattern(i["message"].as_str().unwrap_or("")))
                .unwrap_or_default();
            Verdict {
                ok: v["ok"].as_bool().unwrap(),
                first,
            }
        })
        .collect();
    Some(verdicts)
}

/// A message without what varies from record to record: quoted names and numbers.
fn pattern(message: &str) -> String {
    let mut out = String::new();
    let mut quoted = false;
    for c in message.chars() {
        match c {
            '"' if !quoted => {
                quoted = true;
                out.push_str("\"…");
            }
            '"' => {
                quoted = false;
                out.push('"');
            }
            _ if quoted => {}
            '0'..='9' if out.ends_with('#') => {}
            '0'..='9' => out.push('#'),
            _ => out.push(c),
        }
    }
    out
}

#[test]
fn verdicts_agree_with_medplum_on_at_least_99_5_percent() {
    let dir = tempfile::tempdir().unwrap();
    let (path, bytes, seeded) = generate(dir.path());
    let Some(theirs) = medplum(&path) else { return };
    let found = ours(&bytes);
    assert_eq!(theirs.len(), found.len());
    let mut compared = 0u64;
    let mut agree = 0u64;
    let mut groups: BTreeMap<(bool, String, String), Vec<usize>> = BTreeMap::new();
    for (n, (classes, verdict)) in found.iter().zip(&theirs).enumerate() {
        let fault = seeded.fault(n + 1);
        let counted = !fault.is_some_and(|f| MEDPLUM_UNCHECKED.contains(&f));
        if classes.is_empty() == verdict.ok {
            agree += u64::from(counted);
        } else {
            let names: Vec<&str> = classes.iter().map(|c| c.rule()).collect();
            groups
                .entry((counted, names.join("+"), verdict.first.clone()))
                .or_default()
                .push(n + 1);
        }
        compared += u64::from(counted);
    }
    println!(
        "{:>6}  {:<8}  {:<28}  {:<48}  lines",
        "count", "compared", "ours", "medplum's first error"
    );
    for ((counted, ours, theirs), lines) in &groups {
        let shown: Vec<String> = lines.iter().take(3).map(ToString::to_string).collect();
        let ours = if ours.is_empty() { "(valid)" } else { ours };
        let theirs = if theirs.is_empty() { "(valid)" } else { theirs };
        println!(
            "{:>6}  {:<8}  {ours:<28}  {theirs:<48}  {}",
            lines.len(),
            counted,
            shown.join(", ")
        );
    }
    let share = agree as f64 / compared as f64;
    println!("agreement {agree}/{compared} = {:.3} %", share * 100.0);
    assert!(share >= 0.995, "agreement {:.3} % < 99.5 %", share * 100.0);
}
