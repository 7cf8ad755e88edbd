//! Seeding one fault into a valid resource: the places a fault can go are collected from
//! the whole tree (the resource, contained resources, elements at any depth) and one is
//! picked by the seeded generator, so faults land in varying types and depths.

use serde_json::{Map, Value};

use super::super::synthetic::Rng;
use super::fault::Fault;
use super::kinds::Kind;

/// Where a value sits: its JSON pointer, the member name it is under, and whether it is an
/// item of that member's array.
#[derive(Clone)]
struct Site {
    ptr: String,
    key: String,
    item: bool,
}

fn sites(value: &Value, ptr: &str, key: &str, item: bool, out: &mut Vec<Site>) {
    out.push(Site {
        ptr: ptr.to_owned(),
        key: key.to_owned(),
        item,
    });
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                sites(v, &format!("{ptr}/{k}"), k, false, out);
            }
        }
        Value::Array(items) => {
            for (n, v) in items.iter().enumerate() {
                sites(v, &format!("{ptr}/{n}"), key, true, out);
            }
        }
        _ => {}
    }
}

fn is_extension(site: &Site, value: &Value) -> bool {
    site.item && site.key.ends_with("xtension") && value.get("url").is_some()
}

fn parent(ptr: &str) -> &str {
    ptr.rsplit_once('/').map_or("", |(p, _)| p)
}

const UNKNOWN: &[&str] = &["legacyId", "sourceSystem", "internalNote", "recordFlag"];

/// Seeds `fault` into `resource`; false when the resource has no place for it.
pub(super) fn seed(rng: &mut Rng, resource: &mut Value, kind: &Kind, fault: Fault) -> bool {
    let mut all = Vec::new();
    sites(resource, "", "", false, &mut all);
    let chosen = |rng: &mut Rng, found: Vec<Site>| -> Option<Site> {
        let n = found.len() as u64;
        (n > 0)
            .then(|| {
                found
                    .into_iter()
                    .nth(usize::try_from(rng.below(n)).unwrap_or(0))
            })
            .flatten()
    };
    match fault {
        Fault::UnknownElement => {
            let objects = all
                .into_iter()
                .filter(|s| at(&s.ptr, resource).is_object())
                .collect();
            let Some(site) = chosen(rng, objects) else {
                return false;
            };
            let name = rng.pick(UNKNOWN);
            insert(resource, &site.ptr, name, Value::String("x".into()))
        }
        Fault::PrimitiveType => {
            let leaves = all
                .into_iter()
                .filter(|s| {
                    s.key != "resourceType"
                        && !matches!(at(&s.ptr, resource), Value::Object(_) | Value::Array(_))
                })
                .collect();
            let Some(site) = chosen(rng, leaves) else {
                return false;
            };
            let wrong = match at(&site.ptr, resource) {
                Value::String(_) if rng.below(2) == 0 => Value::Bool(true),
                Value::String(_) => Value::from(7),
                Value::Bool(_) => Value::String("yes".into()),
                other => Value::String(other.to_string()),
            };
            replace(resource, &site.ptr, wrong)
        }
        Fault::AboveMax => {
            let singles = all
                .into_iter()
                .filter(|s| {
                    !s.item
                        && !s.ptr.is_empty()
                        && s.key != "resourceType"
                        && !s.key.starts_with('_')
                        && !at(&s.ptr, resource).is_array()
                        && resource
                            .pointer(&format!("{}/_{}", parent(&s.ptr), s.key))
                            .is_none()
                })
                .collect();
            let Some(site) = chosen(rng, singles) else {
                return false;
            };
            let value = at(&site.ptr, resource).clone();
            replace(
                resource,
                &site.ptr,
                Value::Array(vec![value.clone(), value]),
            )
        }
        Fault::MissingRequired => {
            let present: Vec<&str> = kind
                .required
                .iter()
                .copied()
                .filter(|p| resource.pointer(p).is_some())
                .collect();
            let Some(ptr) =
                present.get(usize::try_from(rng.below(present.len().max(1) as u64)).unwrap_or(0))
            else {
                return false;
            };
            remove(resource, ptr)
        }
        Fault::DateFormat => {
            let dates = all
                .into_iter()
                .filter(|s| at(&s.ptr, resource).as_str().is_some_and(looks_like_date))
                .collect();
            let Some(site) = chosen(rng, dates) else {
                return false;
            };
            let old = at(&site.ptr, resource)
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let bad = match old.split_once('T') {
                Some((_, time)) => format!("2024-13-45T{time}"),
                None => "2024-13-45".to_owned(),
            };
            replace(resource, &site.ptr, Value::String(bad))
        }
        Fault::Binding => {
            let present: Vec<_> = kind
                .bound
                .iter()
                .filter(|(p, _)| resource.pointer(p).is_some())
                .collect();
            let Some((ptr, bad)) =
                present.get(usize::try_from(rng.below(present.len().max(1) as u64)).unwrap_or(0))
            else {
                return false;
            };
            replace(resource, ptr, Value::String((*bad).to_owned()))
        }
        Fault::ExtensionUrl => {
            let extensions: Vec<Site> = all
                .iter()
                .filter(|s| is_extension(s, at(&s.ptr, resource)))
                .cloned()
                .collect();
            if !extensions.is_empty() && rng.below(2) == 0 {
                let Some(site) = chosen(rng, extensions) else {
                    return false;
                };
                return remove(resource, &format!("{}/url", site.ptr));
            }
            let hosts = all
                .into_iter()
                .filter(|s| {
                    let v = at(&s.ptr, resource);
                    v.is_object() && !is_extension(s, v) && !s.key.ends_with("xtension")
                })
                .collect();
            let Some(site) = chosen(rng, hosts) else {
                return false;
            };
            let ext = serde_json::json!({"valueString": "no url"});
            match resource.pointer_mut(&format!("{}/extension", site.ptr)) {
                Some(Value::Array(items)) => {
                    items.push(ext);
                    true
                }
                _ => insert(resource, &site.ptr, "extension", Value::Array(vec![ext])),
            }
        }
    }
}

fn at<'a>(ptr: &str, resource: &'a Value) -> &'a Value {
    static NULL: Value = Value::Null;
    resource.pointer(ptr).unwrap_or(&NULL)
}

fn looks_like_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[7] == b'-'
}

fn insert(resource: &mut Value, ptr: &str, key: &str, value: Value) -> bool {
    match resource.pointer_mut(ptr).and_then(Value::as_object_mut) {
        Some(map) => {
            map.insert(key.to_owned(), value);
            true
        }
        None => false,
    }
}

fn replace(resource: &mut Value, ptr: &str, value: Value) -> bool {
    match resource.pointer_mut(ptr) {
        Some(slot) => {
            *slot = value;
            true
        }
        None => false,
    }
}

fn remove(resource: &mut Value, ptr: &str) -> bool {
    let (up, key) = ptr.rsplit_once('/').unwrap_or(("", ptr));
    resource
        .pointer_mut(up)
        .and_then(Value::as_object_mut)
        .and_then(|m: &mut Map<String, Value>| m.remove(key))
        .is_some()
}
