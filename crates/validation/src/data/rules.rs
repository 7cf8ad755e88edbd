//! The data-quality rules file: per resource type, required fields, unique fields and field
//! checks (allowed values, numeric ranges, patterns, references), plus the dataset-wide
//! rules (malformed lines, manifest counts, checksums). Loaded through
//! `steadfast_core::config`, so every mistake is reported at file:line:col.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use steadfast_core::ByteSize;
use steadfast_core::config::{Config, ConfigError, Effective, Loader, Problems};

use super::path::FieldPath;
use crate::Severity;
use crate::conformance::Conformance;

/// A whole rules file (`configs/rules/fhir-bulk.toml` is the shipped example).
///
/// ```
/// use steadfast_core::config::Loader;
/// use steadfast_validation::data::DataRules;
///
/// let rules = DataRules::load(&Loader::new().toml_str("rules.toml", r#"
///     [resources.Patient]
///     required = ["gender", "birthDate"]
///
///     [[resources.Patient.checks]]
///     field = "gender"
///     allowed = ["male", "female", "other", "unknown"]
/// "#))?;
/// assert_eq!(rules.value().resources["Patient"].unique, ["id"]);
/// # Ok::<(), steadfast_core::config::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DataRules {
    /// How many locations (file:line) each rule keeps for its report, the first in file
    /// order.
    pub locations: usize,
    /// Malformed lines (not JSON, not an object, no `resourceType`) tolerated before the
    /// `invalid_lines` rule breaks. They are always counted and located, never fatal.
    pub max_invalid_lines: u64,
    /// Severity of the `invalid_lines` rule.
    pub invalid_lines_severity: Severity,
    /// Severity of a file whose record count differs from its bulk manifest `count`, or
    /// that holds resources of another type than the manifest says.
    pub manifest_severity: Severity,
    /// Verify sha256 checksums given by the manifest (`sha256` in an `output` entry) or a
    /// `<file>.sha256` sidecar.
    pub verify_checksums: bool,
    /// Severity of a checksum mismatch.
    pub checksum_severity: Severity,
    /// Worker threads (0: one per available core).
    pub threads: usize,
    /// The longest line read (`"64MiB"`, at most 1 GiB). A longer line is an invalid line
    /// (located, with its length) and the file goes on with the next one; it is skipped
    /// without being held, so each worker's buffer stays at most this large — for plain
    /// and gzip files alike, whatever they decompress to.
    pub max_line_bytes: ByteSize,
    /// FHIR base conformance of every record (`"r4"`): unknown elements, types,
    /// cardinality, primitive formats, fixed/pattern values and required bindings, each a
    /// `fhir.*` rule. Off when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conformance: Option<Conformance>,
    /// Severity of the `fhir.*` conformance rules.
    pub conformance_severity: Severity,
    /// Rules per resource type, keyed by `resourceType`.
    pub resources: BTreeMap<String, ResourceRules>,
}

impl Default for DataRules {
    fn default() -> Self {
        Self {
            locations: 10,
            max_invalid_lines: 0,
            invalid_lines_severity: Severity::Fail,
            manifest_severity: Severity::Fail,
            verify_checksums: true,
            checksum_severity: Severity::Fail,
            threads: 0,
            max_line_bytes: Self::DEFAULT_MAX_LINE_BYTES,
            conformance: None,
            conformance_severity: Severity::Fail,
            resources: BTreeMap::new(),
        }
    }
}

/// The rules of one resource type (`[resources.Observation]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResourceRules {
    /// Fields every resource must have, by path (`subject.reference`,
    /// `code.coding[0].system`). Absent, `null`, `""`, `[]` and `{}` all count as missing.
    pub required: Vec<String>,
    /// Fields whose value must be unique among the resources of this type (default `id`).
    pub unique: Vec<String>,
    /// Severity of the `required` and `unique` rules.
    pub severity: Severity,
    /// Checks of single fields.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<FieldCheck>,
}

impl Default for ResourceRules {
    fn default() -> Self {
        Self {
            required: Vec::new(),
            unique: vec!["id".to_owned()],
            severity: Severity::Fail,
            checks: Vec::new(),
        }
    }
}

/// One check of a field (`[[resources.Observation.checks]]`). A field that is absent is not
/// checked here — `required` says whether it may be.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FieldCheck {
    /// The rule's name in reports (default `<Type>.<kind>:<field>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The field's path.
    pub field: String,
    /// The value must be one of these strings (a FHIR value set's codes).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed: Vec<String>,
    /// The value must be a number at least this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// The value must be a number at most this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// The value must be a string matching this regular expression as a whole.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// The value is a reference (`Patient/123`, or a URL ending so) that must resolve to a
    /// resource of one of these types present in the dataset.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// Severity (default: the resource's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
}

impl DataRules {
    /// The shipped rules for a FHIR Bulk Data export of Patient, Encounter, Condition and
    /// Observation (`configs/rules/fhir-bulk.toml`), used when no rules file is given.
    pub const FHIR_BULK: &'static str = include_str!("../../rules/fhir-bulk.toml");

    /// The default [`max_line_bytes`](Self::max_line_bytes): 64 MiB, far above any real
    /// FHIR resource.
    ///
    /// ```
    /// use steadfast_validation::data::DataRules;
    /// assert_eq!(DataRules::default().max_line_bytes, DataRules::DEFAULT_MAX_LINE_BYTES);
    /// assert_eq!(DataRules::DEFAULT_MAX_LINE_BYTES.bytes(), 64 << 20);
    /// ```
    pub const DEFAULT_MAX_LINE_BYTES: ByteSize = ByteSize::mib(64);

    /// The most [`max_line_bytes`](Self::max_line_bytes) may be: 1 GiB.
    pub const MAX_LINE_BYTES_LIMIT: ByteSize = ByteSize::gib(1);

    /// Loads a rules file (and any other layers) through `loader`. The file is the section
    /// `[data]` itself, or holds one; `STEADFAST_DATA__<KEY>` variables and `--set` apply.
    ///
    /// # Errors
    /// [`ConfigError`] listing every problem, each at file:line:col.
    pub fn load(loader: &Loader) -> Result<Effective<Self>, ConfigError> {
        loader.load_section("data")
    }

    /// The shipped [`FHIR_BULK`](Self::FHIR_BULK) rules.
    ///
    /// ```
    /// use steadfast_validation::data::DataRules;
    /// let rules = DataRules::fhir_bulk();
    /// assert!(rules.resources["Observation"].required.contains(&"subject.reference".to_owned()));
    /// ```
    pub fn fhir_bulk() -> Self {
        Loader::new()
            .toml_str("fhir-bulk.toml", Self::FHIR_BULK)
            .env_vars::<_, String, String>([])
            .load_section("data")
            .map(Effective::into_value)
            .unwrap_or_default()
    }
}

impl Config for DataRules {
    fn check(&self, problems: &mut Problems) {
        if self.locations > 10_000 {
            problems.error(
                "locations",
                format!(
                    "{} locations per rule is more than a report can show; use at most 10000",
                    self.locations
                ),
            );
        }
        let max_line = self.max_line_bytes;
        if max_line.bytes() == 0 || max_line > Self::MAX_LINE_BYTES_LIMIT {
            problems.error(
                "max_line_bytes",
                format!(
                    "max_line_bytes {max_line} is out of range; use 1B to {} (default {})",
                    Self::MAX_LINE_BYTES_LIMIT,
                    Self::DEFAULT_MAX_LINE_BYTES
                ),
            );
        }
        for (ty, rules) in &self.resources {
            problems.nested(&format!("resources.{ty}"), |p| check_resource(ty, rules, p));
        }
    }
}

fn check_path(p: &mut Problems, key: &str, path: &str) {
    if let Err(e) = path.parse::<FieldPath>() {
        p.error(key, e.to_string());
    }
}

fn check_resource(ty: &str, rules: &ResourceRules, p: &mut Problems) {
    if !ty.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        || !ty.chars().all(|c| c.is_ascii_alphanumeric())
    {
        p.error(
            "",
            format!("'{ty}' is not a FHIR resource type; use its resourceType, like Observation"),
        );
    }
    for (i, path) in rules.required.iter().enumerate() {
        check_path(p, &format!("required[{i}]"), path);
    }
    for (i, path) in rules.unique.iter().enumerate() {
        check_path(p, &format!("unique[{i}]"), path);
    }
    for (i, check) in rules.checks.iter().enumerate() {
        p.nested(&format!("checks[{i}]"), |p| check_field(check, p));
    }
}

fn check_field(check: &FieldCheck, p: &mut Problems) {
    if check.field.is_empty() {
        p.error(
            "field",
            "every check needs field = \"<path>\", like \"status\"",
        );
    } else {
        check_path(p, "field", &check.field);
    }
    let kinds = usize::from(!check.allowed.is_empty())
        + usize::from(check.min.is_some() || check.max.is_some())
        + usize::from(check.pattern.is_some())
        + usize::from(!check.references.is_empty());
    if kinds == 0 {
        p.error(
            "field",
            "a check needs one of 'allowed', 'min'/'max', 'pattern' or 'references'",
        );
    } else if kinds > 1 {
        p.error(
            "field",
            "a check does one thing: split 'allowed', 'min'/'max', 'pattern' and 'references' into separate checks",
        );
    }
    if let (Some(min), Some(max)) = (check.min, check.max)
        && min > max
    {
        p.error("min", format!("min {min} is above max {max}; swap them"));
    }
    if let Some(pattern) = &check.pattern
        && let Err(e) = regex::Regex::new(pattern)
    {
        let first = e.to_string();
        let reason = first
            .lines()
            .last()
            .unwrap_or_default()
            .trim()
            .trim_start_matches("error: ")
            .to_owned();
        p.error(
            "pattern",
            format!("not a valid regular expression: {reason}"),
        );
    }
    for (i, ty) in check.references.iter().enumerate() {
        if !ty.chars().next().is_some_and(|c| c.is_ascii_uppercase()) {
            p.error(
                &format!("references[{i}]"),
                format!("'{ty}' is not a resource type; use one like \"Patient\""),
            );
        }
    }
}
