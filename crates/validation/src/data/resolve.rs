//! What can only be judged once every worker is done: references against the ids of the
//! whole dataset, record counts against the manifest, checksums.

use super::plan::{Op, Plan};
use super::source::Source;
use super::summary::FileSummary;
use super::tally::{Finding, Tally};

/// Counts every reference whose target is not in the dataset, locating the first sighting
/// of each distinct missing target.
pub(crate) fn references(plan: &Plan, tally: &mut Tally) {
    for ty in &plan.types {
        for check in &ty.checks {
            let Op::References { targets, refs } = &check.op else {
                continue;
            };
            let seen = std::mem::take(&mut tally.refs[*refs]);
            let rule = &mut tally.rules[check.rule];
            for (h, r) in seen {
                let found = targets
                    .iter()
                    .any(|&t| tally.sets[plan.types[t].id_set].shard(h).contains_key(&h));
                if found {
                    continue;
                }
                rule.violations += r.count;
                if plan.locations > 0 {
                    let message = if r.count == 1 {
                        "dangling reference: no such resource in the dataset".to_owned()
                    } else {
                        format!(
                            "dangling reference: no such resource in the dataset ({} records point to it)",
                            r.count
                        )
                    };
                    rule.findings.push(Finding {
                        loc: r.first,
                        column: None,
                        message,
                        value: r.text.map(Into::into),
                        first: None,
                        dup: None,
                    });
                    if rule.findings.len() > plan.locations * 4 {
                        rule.prune(plan.locations);
                    }
                }
            }
            rule.prune(plan.locations);
        }
    }
}

/// Judges a manifest or checksum rule of one file: (passed, observed, message).
pub(crate) fn source_rule(
    kind: &str,
    source: &Source,
    file: &FileSummary,
    digest: Option<&str>,
    violations: &mut u64,
) -> (bool, String, String) {
    if kind == "checksum" {
        let Some((expected, origin)) = &source.sha256 else {
            return (true, String::new(), String::new());
        };
        let got = digest.unwrap_or_default();
        let short = got.get(..12).unwrap_or(got).to_owned();
        return if got == expected {
            (true, short, format!("sha256 matches {origin}"))
        } else {
            *violations += 1;
            (
                false,
                short,
                format!(
                    "sha256 differs from {origin}: the file changed or is incomplete; fetch it again"
                ),
            )
        };
    }
    let mismatched = *violations;
    let mut problems = Vec::new();
    let mut observed = format!("{} records", file.records);
    if let Some(n) = source.manifest_count
        && n != file.records
    {
        *violations += n.abs_diff(file.records);
        problems.push(format!(
            "the manifest says {n} records, the file holds {}",
            file.records
        ));
    }
    if mismatched > 0 {
        let ty = source.manifest_type.as_deref().unwrap_or_default();
        observed.push_str(&format!(", {mismatched} not {ty}"));
        problems.push(format!(
            "{mismatched} records are not of the manifest's type {ty}"
        ));
    }
    if problems.is_empty() {
        (true, observed, "matches the manifest".to_owned())
    } else {
        (false, observed, problems.join("; "))
    }
}

/// Judges `records_checked`: records of the types the rules name (every record, when they
/// name none) must be more than none, or the check proved nothing.
pub(crate) fn records_checked(plan: &Plan, tally: &Tally) -> (bool, String, String) {
    let others: u64 = tally.other_types.values().sum();
    let checked = if plan.types.is_empty() {
        others
    } else {
        tally.types.iter().sum()
    };
    if checked > 0 {
        return (
            true,
            checked.to_string(),
            format!("{checked} records checked"),
        );
    }
    let message = if others == 0 {
        "no records: the inputs hold no FHIR resources (empty files, an empty manifest?), so nothing was checked".to_owned()
    } else {
        let mut names: Vec<&str> = tally.other_types.keys().map(String::as_str).collect();
        names.sort_unstable();
        let more = names.len().saturating_sub(5);
        names.truncate(5);
        let tail = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        let wanted: Vec<&str> = plan.types.iter().map(|t| t.name.as_str()).collect();
        format!(
            "no records of the types the rules check ({}): {others} records are of other types ({}{tail}); check the inputs or add rules for their types",
            wanted.join(", "),
            names.join(", ")
        )
    };
    (false, "0".to_owned(), message)
}
