//! StructureDefinitions to the table's `T` and `E` lines: element paths, cardinality, type
//! codes (FHIRPath system types mapped back to FHIR ones), children, content references,
//! required bindings and fixed/pattern values.

use anyhow::{Context, bail, ensure};
use serde_json::Value;

/// The extension that names the FHIR type behind a FHIRPath system type.
const FHIR_TYPE_EXT: &str = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type";

/// Prefix of FHIRPath system type codes (`http://hl7.org/fhirpath/System.String`).
const SYSTEM_PREFIX: &str = "http://hl7.org/fhirpath/System.";

/// One resource or complex type.
#[derive(Debug)]
pub(super) struct TypeDef {
    /// `resource` or `complex`.
    pub(super) kind: &'static str,
    /// The StructureDefinition's `id` (`Patient`, `SimpleQuantity`).
    pub(super) name: String,
    pub(super) elements: Vec<Element>,
}

/// One snapshot element below the root.
#[derive(Debug, PartialEq)]
pub(super) struct Element {
    /// The path without the type name (`contact.name`).
    pub(super) path: String,
    pub(super) min: u64,
    /// An integer or `*`.
    pub(super) max: String,
    /// Comma-separated type codes, `@` (has children) or `#a.b` (content reference).
    pub(super) types: String,
    /// The value set url (without `|version`) of a required binding.
    pub(super) required: Option<String>,
    /// Compact JSON of `fixed[x]`.
    pub(super) fixed: Option<String>,
    /// Compact JSON of `pattern[x]`.
    pub(super) pattern: Option<String>,
}

/// Every resource and complex-type StructureDefinition of the given bundles, sorted by name.
pub(super) fn collect(bundles: &[&Value]) -> anyhow::Result<Vec<TypeDef>> {
    let mut types = Vec::new();
    for bundle in bundles {
        let entries = bundle["entry"]
            .as_array()
            .context("a bundle has no entry list")?;
        for entry in entries {
            let resource = &entry["resource"];
            if resource["resourceType"] != "StructureDefinition" {
                continue;
            }
            if let Some(t) = type_def(resource)? {
                types.push(t);
            }
        }
    }
    types.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some(w) = types.windows(2).find(|w| w[0].name == w[1].name) {
        bail!("two StructureDefinitions have the id {}", w[0].name);
    }
    Ok(types)
}

/// The type a StructureDefinition defines, or `None` for primitive and logical ones.
pub(super) fn type_def(sd: &Value) -> anyhow::Result<Option<TypeDef>> {
    let name = sd["id"]
        .as_str()
        .context("a StructureDefinition has no id")?;
    let kind = match sd["kind"].as_str() {
        Some("resource") => "resource",
        Some("complex-type") => "complex",
        _ => return Ok(None),
    };
    check_field(name, "type name")?;
    let snapshot = sd["snapshot"]["element"]
        .as_array()
        .with_context(|| format!("StructureDefinition {name} has no snapshot"))?;
    let (root, rest) = snapshot
        .split_first()
        .with_context(|| format!("StructureDefinition {name} has an empty snapshot"))?;
    let root_path = str_field(root, "path", name)?;
    let paths: Vec<&str> = rest
        .iter()
        .map(|e| str_field(e, "path", name))
        .collect::<anyhow::Result<_>>()?;
    let mut elements = Vec::with_capacity(rest.len());
    for (i, (el, path)) in rest.iter().zip(&paths).enumerate() {
        let relative = path
            .strip_prefix(root_path)
            .and_then(|p| p.strip_prefix('.'))
            .with_context(|| format!("{name}: element {path} is not below {root_path}"))?;
        ensure!(
            el.get("sliceName").is_none(),
            "{name}: element {path} is a slice; format v1 has no slices"
        );
        let prefix = format!("{path}.");
        let has_children = paths[i + 1..].iter().any(|p| p.starts_with(&prefix));
        let types = if has_children {
            "@".to_owned()
        } else if let Some(reference) = el["contentReference"].as_str() {
            content_reference(reference).with_context(|| format!("{name}: element {path}"))?
        } else {
            type_codes(el).with_context(|| format!("{name}: element {path}"))?
        };
        let min = el["min"]
            .as_u64()
            .with_context(|| format!("{name}: element {path} has no integer min"))?;
        let max = str_field(el, "max", name)?;
        ensure!(
            max == "*" || max.parse::<u64>().is_ok(),
            "{name}: element {path} has max {max:?}, neither an integer nor *"
        );
        check_field(relative, "element path")?;
        elements.push(Element {
            path: relative.to_owned(),
            min,
            max: max.to_owned(),
            types,
            required: required_binding(el).with_context(|| format!("{name}: element {path}"))?,
            fixed: choice_json(el, "fixed"),
            pattern: choice_json(el, "pattern"),
        });
    }
    Ok(Some(TypeDef {
        kind,
        name: name.to_owned(),
        elements,
    }))
}

/// `#Questionnaire.item` -> `#item`.
fn content_reference(reference: &str) -> anyhow::Result<String> {
    let relative = reference
        .strip_prefix('#')
        .and_then(|r| r.split_once('.'))
        .map(|(_, rest)| rest)
        .with_context(|| format!("content reference {reference:?} is not #Type.path"))?;
    check_field(relative, "content reference")?;
    Ok(format!("#{relative}"))
}

/// The element's type codes, comma-separated, system types mapped to FHIR types.
pub(super) fn type_codes(el: &Value) -> anyhow::Result<String> {
    let types = el["type"]
        .as_array()
        .filter(|t| !t.is_empty())
        .context("no type, no children and no content reference")?;
    let codes: Vec<String> = types.iter().map(type_code).collect::<anyhow::Result<_>>()?;
    Ok(codes.join(","))
}

/// One `type` entry's code: a FHIRPath system type becomes the FHIR type its
/// `structuredefinition-fhir-type` extension names, else the usual mapping.
pub(super) fn type_code(ty: &Value) -> anyhow::Result<String> {
    let code = ty["code"].as_str().context("a type has no code")?;
    let Some(system) = code.strip_prefix(SYSTEM_PREFIX) else {
        check_field(code, "type code")?;
        return Ok(code.to_owned());
    };
    let named = ty["extension"].as_array().and_then(|exts| {
        exts.iter()
            .find(|x| x["url"] == FHIR_TYPE_EXT)
            .and_then(|x| x["valueUrl"].as_str().or_else(|| x["valueUri"].as_str()))
    });
    let fhir = match (named, system) {
        (Some(named), _) => named,
        (None, "String") => "string",
        (None, "Boolean") => "boolean",
        (None, "Integer") => "integer",
        (None, "Decimal") => "decimal",
        (None, "Date") => "date",
        (None, "DateTime") => "dateTime",
        (None, "Time") => "time",
        (None, _) => bail!("type {code} has no FHIR type extension and no known mapping"),
    };
    check_field(fhir, "type code")?;
    Ok(fhir.to_owned())
}

/// The value set url (without `|version`) of a `required` binding.
fn required_binding(el: &Value) -> anyhow::Result<Option<String>> {
    let binding = &el["binding"];
    if binding["strength"] != "required" {
        return Ok(None);
    }
    let url = binding["valueSet"]
        .as_str()
        .context("a required binding has no value set")?;
    let url = url.split_once('|').map_or(url, |(u, _)| u);
    check_field(url, "value set url")?;
    Ok(Some(url.to_owned()))
}

/// Compact JSON of the element's `fixed[x]` or `pattern[x]` (`fixedCode`, `patternCoding`).
fn choice_json(el: &Value, prefix: &str) -> Option<String> {
    el.as_object()?.iter().find_map(|(key, value)| {
        let suffix = key.strip_prefix(prefix)?;
        suffix
            .starts_with(|c: char| c.is_ascii_uppercase())
            .then(|| value.to_string())
    })
}

fn str_field<'a>(el: &'a Value, key: &str, name: &str) -> anyhow::Result<&'a str> {
    el[key]
        .as_str()
        .with_context(|| format!("{name}: an element has no {key}"))
}

/// Refuses text that would break a TAB-separated line.
pub(super) fn check_field(text: &str, what: &str) -> anyhow::Result<()> {
    ensure!(
        !text.contains(['\t', '\n', '\r']),
        "a {what} contains a TAB or line break ({text:?}); the table cannot hold it"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn system_types_map_through_the_extension_or_by_name() {
        let with_ext = json!({"code": "http://hl7.org/fhirpath/System.String",
            "extension": [{"url": FHIR_TYPE_EXT, "valueUrl": "uri"}]});
        assert_eq!(type_code(&with_ext).unwrap(), "uri");
        let with_uri = json!({"code": "http://hl7.org/fhirpath/System.String",
            "extension": [{"url": FHIR_TYPE_EXT, "valueUri": "id"}]});
        assert_eq!(type_code(&with_uri).unwrap(), "id");
        for (system, fhir) in [
            ("String", "string"),
            ("Boolean", "boolean"),
            ("Integer", "integer"),
            ("Decimal", "decimal"),
            ("Date", "date"),
            ("DateTime", "dateTime"),
            ("Time", "time"),
        ] {
            let ty = json!({"code": format!("http://hl7.org/fhirpath/System.{system}")});
            assert_eq!(type_code(&ty).unwrap(), fhir);
        }
        assert_eq!(type_code(&json!({"code": "Quantity"})).unwrap(), "Quantity");
        let unknown = json!({"code": "http://hl7.org/fhirpath/System.Quantity"});
        assert!(type_code(&unknown).is_err());
        assert!(type_code(&json!({"code": "a\tb"})).is_err());
    }

    #[test]
    fn elements_carry_paths_children_references_and_bindings() {
        let sd = json!({"resourceType": "StructureDefinition", "id": "Q", "kind": "resource",
        "snapshot": {"element": [
            {"path": "Q", "min": 0, "max": "*"},
            {"path": "Q.id", "min": 0, "max": "1", "type": [{"code": "id"}]},
            {"path": "Q.status", "min": 1, "max": "1", "type": [{"code": "code"}],
             "binding": {"strength": "required", "valueSet": "http://x/vs|4.0.1"}},
            {"path": "Q.kind", "min": 0, "max": "1", "type": [{"code": "code"}],
             "binding": {"strength": "extensible", "valueSet": "http://x/other"}},
            {"path": "Q.item", "min": 0, "max": "*", "type": [{"code": "BackboneElement"}]},
            {"path": "Q.item.value[x]", "min": 0, "max": "1", "fixedString": "a\tb",
             "type": [{"code": "Quantity"}, {"code": "string"}]},
            {"path": "Q.item.item", "min": 0, "max": "*", "contentReference": "#Q.item"}
        ]}});
        let t = type_def(&sd).unwrap().unwrap();
        assert_eq!((t.kind, t.name.as_str()), ("resource", "Q"));
        let rows: Vec<(&str, &str, Option<&str>)> = t
            .elements
            .iter()
            .map(|e| (e.path.as_str(), e.types.as_str(), e.required.as_deref()))
            .collect();
        assert_eq!(
            rows,
            [
                ("id", "id", None),
                ("status", "code", Some("http://x/vs")),
                ("kind", "code", None),
                ("item", "@", None),
                ("item.value[x]", "Quantity,string", None),
                ("item.item", "#item", None),
            ]
        );
        assert_eq!(t.elements[4].fixed.as_deref(), Some(r#""a\tb""#));
        assert_eq!((t.elements[1].min, t.elements[1].max.as_str()), (1, "1"));
    }

    #[test]
    fn primitive_and_logical_definitions_are_left_out() {
        for kind in ["primitive-type", "logical"] {
            let sd = json!({"id": "x", "kind": kind, "snapshot": {"element": []}});
            assert!(type_def(&sd).unwrap().is_none());
        }
    }
}
