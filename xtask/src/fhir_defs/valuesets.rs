//! Which value sets can be enumerated from `valuesets.json`, and their codes by system:
//! `compose.include` of concept lists, whole complete code systems and imported value sets;
//! a filter, an exclude, or a missing or incomplete code system makes one not enumerable.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::{Context, bail};
use serde_json::Value;

use super::table::check_field;

/// A value set's codes: system -> sorted, distinct codes.
pub(super) type Expansion = BTreeMap<String, BTreeSet<String>>;

/// The ValueSets and CodeSystems of one bundle, by url.
pub(super) struct Terminology<'a> {
    value_sets: HashMap<&'a str, &'a Value>,
    code_systems: HashMap<&'a str, &'a Value>,
}

impl<'a> Terminology<'a> {
    /// Indexes the bundle's ValueSets and CodeSystems; a url given twice is an error.
    pub(super) fn new(bundle: &'a Value) -> anyhow::Result<Self> {
        let mut value_sets = HashMap::new();
        let mut code_systems = HashMap::new();
        let entries = bundle["entry"]
            .as_array()
            .context("valuesets.json has no entry list")?;
        for entry in entries {
            let resource = &entry["resource"];
            let map = match resource["resourceType"].as_str() {
                Some("ValueSet") => &mut value_sets,
                Some("CodeSystem") => &mut code_systems,
                _ => continue,
            };
            let Some(url) = resource["url"].as_str() else {
                continue;
            };
            if map.insert(url, resource).is_some() {
                bail!("valuesets.json holds {url} twice");
            }
        }
        Ok(Self {
            value_sets,
            code_systems,
        })
    }

    /// The codes of the value set `url` (without `|version`), or why it cannot be
    /// enumerated. Errors only for text the table cannot hold (a TAB or line break).
    pub(super) fn expand(&self, url: &str) -> anyhow::Result<Result<Expansion, String>> {
        let mut out = Expansion::new();
        let mut stack = Vec::new();
        Ok(match self.expand_into(url, &mut out, &mut stack)? {
            Err(why) => Err(why),
            Ok(()) if out.values().all(BTreeSet::is_empty) => Err("expands to no codes".into()),
            Ok(()) => Ok(out),
        })
    }

    fn expand_into(
        &self,
        url: &'a str,
        out: &mut Expansion,
        stack: &mut Vec<&'a str>,
    ) -> anyhow::Result<Result<(), String>> {
        if stack.contains(&url) {
            return Ok(Err(format!("import cycle through {url}")));
        }
        let Some(vs) = self.value_sets.get(url) else {
            return Ok(Err("value set not in valuesets.json".into()));
        };
        let compose = &vs["compose"];
        if compose.is_null() {
            return Ok(Err("value set has no compose".into()));
        }
        if compose["exclude"].as_array().is_some_and(|e| !e.is_empty()) {
            return Ok(Err("exclude".into()));
        }
        let Some(includes) = compose["include"].as_array() else {
            return Ok(Err("value set has no compose.include".into()));
        };
        stack.push(url);
        for include in includes {
            if let Err(why) = self.include(include, out, stack)? {
                return Ok(Err(why));
            }
        }
        stack.pop();
        Ok(Ok(()))
    }

    fn include(
        &self,
        include: &'a Value,
        out: &mut Expansion,
        stack: &mut Vec<&'a str>,
    ) -> anyhow::Result<Result<(), String>> {
        if include["filter"].as_array().is_some_and(|f| !f.is_empty()) {
            return Ok(Err("filter".into()));
        }
        let imports = include["valueSet"]
            .as_array()
            .map_or(&[][..], Vec::as_slice);
        let system = include["system"].as_str();
        match (system, imports.is_empty()) {
            (Some(_), false) => {
                return Ok(Err(
                    "include of a system within value sets (intersection)".into()
                ));
            }
            (None, true) => return Ok(Err("include with neither system nor valueSet".into())),
            (None, false) => {
                for import in imports {
                    let import = import
                        .as_str()
                        .context("a valueSet import is not a string")?;
                    let import = import.split_once('|').map_or(import, |(u, _)| u);
                    if let Err(why) = self.expand_into(import, out, stack)? {
                        return Ok(Err(format!("imports {import}: {why}")));
                    }
                }
                return Ok(Ok(()));
            }
            (Some(_), true) => {}
        }
        let system = system.unwrap_or_default();
        check_field(system, "code system url")?;
        let codes = out.entry(system.to_owned()).or_default();
        if let Some(concepts) = include["concept"].as_array() {
            for concept in concepts {
                add_code(concept, system, codes)?;
            }
            return Ok(Ok(()));
        }
        match self.code_systems.get(system) {
            Some(cs) if cs["content"] == "complete" => {
                add_all(&cs["concept"], system, codes)?;
                Ok(Ok(()))
            }
            _ => Ok(Err(format!("code system {system} not enumerable"))),
        }
    }
}

/// Every concept of a code system's `concept` list, nested ones included.
fn add_all(concepts: &Value, system: &str, codes: &mut BTreeSet<String>) -> anyhow::Result<()> {
    for concept in concepts.as_array().map_or(&[][..], Vec::as_slice) {
        add_code(concept, system, codes)?;
        add_all(&concept["concept"], system, codes)?;
    }
    Ok(())
}

fn add_code(concept: &Value, system: &str, codes: &mut BTreeSet<String>) -> anyhow::Result<()> {
    let code = concept["code"]
        .as_str()
        .with_context(|| format!("a concept of {system} has no code"))?;
    check_field(code, "code")?;
    codes.insert(code.to_owned());
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn bundle(resources: Value) -> Value {
        let entries: Vec<Value> = resources
            .as_array()
            .unwrap()
            .iter()
            .map(|r| json!({"resource": r}))
            .collect();
        json!({"resourceType": "Bundle", "entry": entries})
    }

    fn codes(e: &Expansion) -> Vec<(&str, Vec<&str>)> {
        e.iter()
            .map(|(s, c)| (s.as_str(), c.iter().map(String::as_str).collect()))
            .collect()
    }

    fn vs(url: &str, include: Value) -> Value {
        json!({"resourceType": "ValueSet", "url": url, "compose": {"include": include}})
    }

    #[test]
    fn concept_lists_whole_code_systems_and_imports_are_enumerable() {
        let b = bundle(json!([
            vs("http://x/list", json!([{"system": "http://s/a",
                "concept": [{"code": "b"}, {"code": "a"}, {"code": "b"}]}])),
            vs("http://x/whole", json!([{"system": "http://s/cs"}])),
            {"resourceType": "CodeSystem", "url": "http://s/cs", "content": "complete",
             "concept": [{"code": "top", "concept": [{"code": "child",
                 "concept": [{"code": "grandchild"}]}]}, {"code": "other"}]},
            vs("http://x/both", json!([{"valueSet": ["http://x/list|1.0", "http://x/whole"]}])),
        ]));
        let t = Terminology::new(&b).unwrap();
        let list = t.expand("http://x/list").unwrap().unwrap();
        assert_eq!(codes(&list), [("http://s/a", vec!["a", "b"])]);
        let whole = t.expand("http://x/whole").unwrap().unwrap();
        assert_eq!(
            codes(&whole),
            [("http://s/cs", vec!["child", "grandchild", "other", "top"])]
        );
        let both = t.expand("http://x/both").unwrap().unwrap();
        assert_eq!(
            codes(&both),
            [
                ("http://s/a", vec!["a", "b"]),
                ("http://s/cs", vec!["child", "grandchild", "other", "top"])
            ]
        );
    }

    #[test]
    fn filters_excludes_and_missing_or_incomplete_systems_are_skipped_with_a_reason() {
        let b = bundle(json!([
            vs("http://x/filter", json!([{"system": "http://s/cs",
                "filter": [{"property": "concept", "op": "is-a", "value": "top"}]}])),
            {"resourceType": "ValueSet", "url": "http://x/exclude", "compose": {
                "include": [{"system": "http://s/cs"}],
                "exclude": [{"system": "http://s/cs", "concept": [{"code": "top"}]}]}},
            vs("http://x/fragment", json!([{"system": "http://s/frag"}])),
            {"resourceType": "CodeSystem", "url": "http://s/frag", "content": "fragment",
             "concept": [{"code": "a"}]},
            vs("http://x/lang", json!([{"system": "urn:ietf:bcp:13"}])),
            vs("http://x/imports-filter", json!([{"valueSet": ["http://x/filter"]}])),
            vs("http://x/cycle", json!([{"valueSet": ["http://x/cycle"]}])),
        ]));
        let t = Terminology::new(&b).unwrap();
        let why = |url: &str| t.expand(url).unwrap().unwrap_err();
        assert_eq!(why("http://x/filter"), "filter");
        assert_eq!(why("http://x/exclude"), "exclude");
        assert_eq!(
            why("http://x/fragment"),
            "code system http://s/frag not enumerable"
        );
        assert_eq!(
            why("http://x/lang"),
            "code system urn:ietf:bcp:13 not enumerable"
        );
        assert_eq!(
            why("http://x/imports-filter"),
            "imports http://x/filter: filter"
        );
        assert_eq!(why("http://x/missing"), "value set not in valuesets.json");
        assert!(why("http://x/cycle").contains("import cycle"));
    }

    #[test]
    fn a_code_with_a_tab_refuses_to_generate() {
        let b = bundle(json!([vs(
            "http://x/bad",
            json!([{"system": "http://s/a", "concept": [{"code": "a\tb"}]}])
        )]));
        let t = Terminology::new(&b).unwrap();
        assert!(t.expand("http://x/bad").is_err());
    }
}
