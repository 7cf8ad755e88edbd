//! Checks on a whole complex value once the walk has passed it: the required binding of a
//! `Coding` or `CodeableConcept` (a coding matches when its system and code are in the
//! value set) and `fixed`/`pattern` values. These are rare, so they parse what they need.

use serde_json::Value;

use super::defs::{Member, ValueSet};

fn coding_matches(coding: &Value, set: &ValueSet) -> Option<bool> {
    let system = coding.get("system")?.as_str()?;
    let code = coding.get("code")?.as_str()?;
    Some(set.pairs.contains(&(system.into(), code.into())))
}

/// Whether a `Coding` or `CodeableConcept` fails its required binding: it has codings
/// with a system and a code, and none is in the set. (Codings without a system cannot be
/// judged and are left alone, as a terminology server would warn, not fail.)
pub(crate) fn binding_fails(span: &[u8], set: &ValueSet) -> bool {
    let Ok(value) = serde_json::from_slice::<Value>(span) else {
        return false;
    };
    let judged: Vec<bool> = match value.get("coding") {
        Some(Value::Array(codings)) => codings
            .iter()
            .filter_map(|c| coding_matches(c, set))
            .collect(),
        _ => coding_matches(&value, set).into_iter().collect(),
    };
    !judged.is_empty() && !judged.iter().any(|m| *m)
}

/// Whether `instance` holds everything `pattern` says (objects: every member, arrays:
/// every item matched by some item, other values: equal).
fn contains(instance: &Value, pattern: &Value) -> bool {
    match (instance, pattern) {
        (Value::Object(i), Value::Object(p)) => p
            .iter()
            .all(|(k, pv)| i.get(k).is_some_and(|iv| contains(iv, pv))),
        (Value::Array(i), Value::Array(p)) => {
            p.iter().all(|pv| i.iter().any(|iv| contains(iv, pv)))
        }
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => instance == pattern,
    }
}

/// The `fixed`/`pattern` problem of a value, if any.
pub(crate) fn fixed_or_pattern(span: &[u8], mem: &Member) -> Option<&'static str> {
    if mem.fixed.is_none() && mem.pattern.is_none() {
        return None;
    }
    let value = serde_json::from_slice::<Value>(span).ok()?;
    if let Some(fixed) = &mem.fixed
        && !(contains(&value, fixed) && contains(fixed, &value))
    {
        return Some("not the fixed value the definition requires");
    }
    if let Some(pattern) = &mem.pattern
        && !contains(&value, pattern)
    {
        return Some("does not match the pattern the definition requires");
    }
    None
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn set() -> ValueSet {
        let mut vs = ValueSet::default();
        vs.pairs.insert(("http://s".into(), "a".into()));
        vs.codes.insert("a".into());
        vs
    }

    #[test]
    fn a_coding_matches_by_system_and_code() {
        let vs = set();
        assert!(!binding_fails(br#"{"system":"http://s","code":"a"}"#, &vs));
        assert!(binding_fails(br#"{"system":"http://s","code":"b"}"#, &vs));
        assert!(binding_fails(br#"{"system":"http://t","code":"a"}"#, &vs));
        assert!(
            !binding_fails(br#"{"code":"b"}"#, &vs),
            "no system: not judged"
        );
        assert!(!binding_fails(
            br#"{"coding":[{"system":"http://x","code":"1"},{"system":"http://s","code":"a"}]}"#,
            &vs
        ));
        assert!(binding_fails(
            br#"{"coding":[{"system":"http://x","code":"1"}],"text":"t"}"#,
            &vs
        ));
        assert!(!binding_fails(br#"{"text":"only text"}"#, &vs));
    }

    #[test]
    fn patterns_are_contained_and_fixed_values_equal() {
        let p = json!({"coding":[{"system":"http://loinc.org","code":"1-8"}]});
        let i = json!({"coding":[{"system":"http://x","code":"2"},{"system":"http://loinc.org","code":"1-8","display":"d"}],"text":"t"});
        assert!(contains(&i, &p));
        assert!(!contains(&p, &i));
        assert!(contains(&json!(1.0), &json!(1)));
    }
}
