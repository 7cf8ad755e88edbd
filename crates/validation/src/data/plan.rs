//! Rules compiled for the scan: one trie of the paths to capture, per resource type the
//! checks to run on a record, and the report's rules in order.

use super::path::FieldPath;
use super::rules::{DataRules, FieldCheck};
use super::scan::Paths;
use super::source::Source;
use crate::Severity;
use crate::conformance::{Class, Conformance, Definitions};

/// Slot of `resourceType` and of `id` in every plan.
pub(crate) const TYPE_SLOT: usize = 0;
pub(crate) const ID_SLOT: usize = 1;

/// A rule as the report shows it.
#[derive(Debug, Clone)]
pub(crate) struct RuleDef {
    pub(crate) name: String,
    pub(crate) check: &'static str,
    pub(crate) severity: Severity,
    pub(crate) field: Option<String>,
    pub(crate) expected: String,
    /// The resource type whose records the rule looks at (for "N of M records").
    pub(crate) resource: Option<usize>,
}

/// What a rule does to a captured field.
#[derive(Debug)]
pub(crate) enum Op {
    Required,
    /// Unique values, hashed into the worker's set `set`.
    Unique {
        set: usize,
    },
    Allowed(Vec<String>),
    Range {
        min: f64,
        max: f64,
    },
    Pattern(regex::Regex),
    /// References that must resolve to one of `targets` (type indexes); distinct
    /// references are collected in the worker's reference map `refs`.
    References {
        targets: Vec<usize>,
        refs: usize,
    },
}

#[derive(Debug)]
pub(crate) struct Check {
    pub(crate) rule: usize,
    pub(crate) slot: u16,
    pub(crate) op: Op,
}

#[derive(Debug)]
pub(crate) struct TypePlan {
    pub(crate) name: String,
    /// The set holding this type's `Type/id` hashes (for references and `unique = id`).
    pub(crate) id_set: usize,
    pub(crate) checks: Vec<Check>,
}

/// Dataset-wide rules per source.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SourceRules {
    pub(crate) manifest: Option<usize>,
    pub(crate) checksum: Option<usize>,
}

#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) paths: Paths,
    pub(crate) types: Vec<TypePlan>,
    pub(crate) rules: Vec<RuleDef>,
    /// For each unique set, the rule its duplicates are reported to (none: ids collected
    /// only to resolve references).
    pub(crate) set_rules: Vec<Option<usize>>,
    /// For each reference map, its rule.
    pub(crate) ref_rules: Vec<usize>,
    pub(crate) sources: Vec<SourceRules>,
    pub(crate) locations: usize,
    pub(crate) show_values: bool,
    pub(crate) max_invalid_lines: u64,
    pub(crate) max_line_bytes: usize,
    /// The `records_checked` rule (files at rest only): fails when no record was checked.
    pub(crate) records_rule: Option<usize>,
    /// The `inputs` rule and its problems (a dangling link), when there are any.
    pub(crate) inputs_rule: Option<usize>,
    pub(crate) input_problems: Vec<String>,
    /// FHIR conformance: the definitions and, per [`Class::ALL`], its rule.
    pub(crate) conformance: Option<(&'static Definitions, [usize; Class::ALL.len()])>,
}

/// The rule every plan starts with.
pub(crate) const INVALID_LINES: usize = 0;

impl Plan {
    /// Compiles `rules` (already checked by the loader) for `sources`. `gates` (files at
    /// rest) adds the `records_checked` rule and, for its problems, the `inputs` rule.
    pub(crate) fn new(
        rules: &DataRules,
        sources: &[Source],
        show_values: bool,
        gates: Option<&[String]>,
    ) -> Result<Self, String> {
        let mut plan = Self {
            paths: Paths::new(),
            types: Vec::new(),
            rules: vec![RuleDef {
                name: "invalid_lines".to_owned(),
                check: "invalid_lines",
                severity: rules.invalid_lines_severity,
                field: None,
                expected: format!("<= {}", rules.max_invalid_lines),
                resource: None,
            }],
            set_rules: Vec::new(),
            ref_rules: Vec::new(),
            sources: Vec::new(),
            locations: rules.locations,
            show_values,
            max_invalid_lines: rules.max_invalid_lines,
            max_line_bytes: usize::try_from(rules.max_line_bytes.bytes()).unwrap_or(usize::MAX),
            records_rule: None,
            inputs_rule: None,
            input_problems: Vec::new(),
            conformance: None,
        };
        if let Some(problems) = gates {
            plan.records_rule = Some(plan.rule(
                "records_checked".to_owned(),
                "records_checked",
                Severity::Fail,
                None,
                ">= 1".to_owned(),
                None,
            ));
            if !problems.is_empty() {
                plan.inputs_rule = Some(plan.rule(
                    "inputs".to_owned(),
                    "inputs",
                    Severity::Fail,
                    None,
                    "every data file readable".to_owned(),
                    None,
                ));
                plan.input_problems = problems.to_vec();
            }
        }
        let parse = |text: &str| text.parse::<FieldPath>().map_err(|e| e.to_string());
        plan.paths.slot(&parse("resourceType")?);
        plan.paths.slot(&parse("id")?);
        for source in sources {
            let mut r = SourceRules::default();
            if source.manifest_count.is_some() || source.manifest_type.is_some() {
                let mut expected = Vec::new();
                if let Some(n) = source.manifest_count {
                    expected.push(format!("{n} records"));
                }
                if let Some(t) = &source.manifest_type {
                    expected.push(format!("only {t}"));
                }
                r.manifest = Some(plan.rule(
                    format!("manifest:{}", source.name),
                    "manifest",
                    rules.manifest_severity,
                    None,
                    expected.join(", "),
                    None,
                ));
            }
            if rules.verify_checksums && source.sha256.is_some() {
                r.checksum = Some(plan.rule(
                    format!("checksum:{}", source.name),
                    "checksum",
                    rules.checksum_severity,
                    None,
                    "sha256 as given".to_owned(),
                    None,
                ));
            }
            plan.sources.push(r);
        }
        for name in rules.resources.keys() {
            plan.type_index(name);
        }
        for (name, res) in &rules.resources {
            let ty = plan.type_index(name);
            for field in &res.required {
                let slot = plan.paths.slot(&parse(field)?);
                let rule = plan.rule(
                    format!("{name}.required:{field}"),
                    "required",
                    res.severity,
                    Some(field),
                    "present".to_owned(),
                    Some(ty),
                );
                plan.types[ty].checks.push(Check {
                    rule,
                    slot,
                    op: Op::Required,
                });
            }
            for field in &res.unique {
                let slot = plan.paths.slot(&parse(field)?);
                let rule = plan.rule(
                    format!("{name}.unique:{field}"),
                    "unique",
                    res.severity,
                    Some(field),
                    "unique".to_owned(),
                    Some(ty),
                );
                let set = if usize::from(slot) == ID_SLOT {
                    plan.types[ty].id_set
                } else {
                    plan.set_rules.push(None);
                    plan.set_rules.len() - 1
                };
                plan.set_rules[set] = Some(rule);
                plan.types[ty].checks.push(Check {
                    rule,
                    slot,
                    op: Op::Unique { set },
                });
            }
            for check in &res.checks {
                plan.field_check(name, ty, res.severity, check)?;
            }
        }
        if let Some(Conformance::R4) = rules.conformance {
            let defs = Definitions::r4().map_err(ToString::to_string)?;
            let ids = Class::ALL.map(|class| {
                let name = class.rule().to_owned();
                plan.rule(
                    name,
                    "conformance",
                    rules.conformance_severity,
                    None,
                    class.expected().to_owned(),
                    None,
                )
            });
            plan.conformance = Some((defs, ids));
        }
        Ok(plan)
    }

    fn field_check(
        &mut self,
        name: &str,
        ty: usize,
        severity: Severity,
        check: &FieldCheck,
    ) -> Result<(), String> {
        let field = &check.field;
        let slot = self
            .paths
            .slot(&field.parse::<FieldPath>().map_err(|e| e.to_string())?);
        let (kind, expected, op) = if !check.allowed.is_empty() {
            let expected = format!("one of {}", check.allowed.join(", "));
            ("allowed", expected, Op::Allowed(check.allowed.clone()))
        } else if let Some(pattern) = &check.pattern {
            let anchored =
                regex::Regex::new(&format!("^(?:{pattern})$")).map_err(|e| e.to_string())?;
            (
                "pattern",
                format!("matches {pattern}"),
                Op::Pattern(anchored),
            )
        } else if !check.references.is_empty() {
            let targets = check
                .references
                .iter()
                .map(|t| self.type_index(t))
                .collect();
            self.ref_rules.push(self.rules.len());
            let op = Op::References {
                targets,
                refs: self.ref_rules.len() - 1,
            };
            (
                "references",
                format!("resolves to {}", check.references.join(" or ")),
                op,
            )
        } else {
            let (min, max) = (
                check.min.unwrap_or(f64::NEG_INFINITY),
                check.max.unwrap_or(f64::INFINITY),
            );
            let expected = match (check.min, check.max) {
                (Some(a), Some(b)) => format!("{a} ..= {b}"),
                (Some(a), None) => format!(">= {a}"),
                (None, Some(b)) => format!("<= {b}"),
                (None, None) => String::new(),
            };
            ("range", expected, Op::Range { min, max })
        };
        let rule = self.rule(
            check
                .name
                .clone()
                .unwrap_or_else(|| format!("{name}.{kind}:{field}")),
            kind,
            check.severity.unwrap_or(severity),
            Some(field),
            expected,
            Some(ty),
        );
        self.types[ty].checks.push(Check { rule, slot, op });
        Ok(())
    }

    fn rule(
        &mut self,
        name: String,
        check: &'static str,
        severity: Severity,
        field: Option<&String>,
        expected: String,
        resource: Option<usize>,
    ) -> usize {
        self.rules.push(RuleDef {
            name,
            check,
            severity,
            field: field.cloned(),
            expected,
            resource,
        });
        self.rules.len() - 1
    }

    fn type_index(&mut self, name: &str) -> usize {
        if let Some(i) = self.types.iter().position(|t| t.name == name) {
            return i;
        }
        self.set_rules.push(None);
        self.types.push(TypePlan {
            name: name.to_owned(),
            id_set: self.set_rules.len() - 1,
            checks: Vec::new(),
        });
        self.types.len() - 1
    }

    /// The type whose `resourceType` is `name`.
    #[inline]
    pub(crate) fn find_type(&self, name: &[u8]) -> Option<usize> {
        self.types.iter().position(|t| t.name.as_bytes() == name)
    }
}
