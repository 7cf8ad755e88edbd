//! The server's manifest (Bulk Data IG v2: `transactionTime`, `request`,
//! `requiresAccessToken`, `output`, `error`, `deleted`) and the plan made from it: one local
//! file name per listed file, safe in a path (`Patient.ndjson`, `Patient.2.ndjson`,
//! `error.OperationOutcome.ndjson`), and the URL it comes from, joined under the server.

use std::collections::HashMap;

use serde::Deserialize;
use steadfast_http::reqwest::Url;

use crate::error::FhirError;
use crate::location::{Base, resource_type_name};

/// The server's completion manifest.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ServerManifest {
    pub(crate) transaction_time: String,
    pub(crate) request: String,
    #[serde(default)]
    pub(crate) requires_access_token: bool,
    pub(crate) output: Vec<ServerFile>,
    #[serde(default)]
    pub(crate) error: Vec<ServerFile>,
    #[serde(default)]
    pub(crate) deleted: Vec<ServerFile>,
}

/// One file the server lists.
#[derive(Debug, Deserialize)]
pub(crate) struct ServerFile {
    #[serde(rename = "type")]
    pub(crate) resource_type: String,
    pub(crate) url: String,
    pub(crate) count: Option<u64>,
}

/// Which list of the manifest a file is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Output,
    Error,
    Deleted,
}

/// One file to have locally.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    pub(crate) kind: Kind,
    pub(crate) resource_type: String,
    /// The local file name.
    pub(crate) name: String,
    pub(crate) url: Url,
    pub(crate) count: Option<u64>,
}

/// Parses the manifest's bytes.
pub(crate) fn parse(body: &[u8]) -> Result<ServerManifest, FhirError> {
    serde_json::from_slice(body).map_err(|e| FhirError::BulkProtocol {
        step: "manifest",
        // Only where and what kind: serde's message may quote the server's values.
        problem: format!(
            "not a Bulk Data manifest ({} at line {}, column {}): expected an object with `transactionTime` and `request` strings and an `output` list of `{{type, url, count?}}`",
            match e.classify() {
                serde_json::error::Category::Io => "unreadable",
                serde_json::error::Category::Syntax => "not JSON",
                serde_json::error::Category::Data => "wrong shape",
                serde_json::error::Category::Eof => "cut short",
            },
            e.line(),
            e.column(),
        ),
    })
}

/// The local files of `manifest`, in its order (output, then error, then deleted).
pub(crate) fn plan(
    manifest: &ServerManifest,
    base: &Base,
    gzip: bool,
) -> Result<Vec<Planned>, FhirError> {
    let ext = if gzip { "ndjson.gz" } else { "ndjson" };
    let mut seen: HashMap<String, u32> = HashMap::new();
    let lists = [
        (Kind::Output, &manifest.output, ""),
        (Kind::Error, &manifest.error, "error."),
        (Kind::Deleted, &manifest.deleted, "deleted."),
    ];
    let https = base.url().scheme() == "https";
    let mut planned = Vec::new();
    for (kind, files, prefix) in lists {
        for (i, file) in files.iter().enumerate() {
            let bad = |problem: String| FhirError::BulkProtocol {
                step: "manifest",
                problem,
            };
            let t = resource_type_name(&file.resource_type).ok_or_else(|| {
                bad(format!(
                    "entry {i} of its files has a type that is not a FHIR type name"
                ))
            })?;
            // An absolute URL may be elsewhere (object storage); a relative one is the
            // server's. Only `http(s)`.
            let url = base
                .url()
                .join(&file.url)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .ok_or_else(|| bad(format!("the url of {t} file {i} is not an http(s) URL")))?;
            // Files hold patient data: never in clear text from a server reached over TLS.
            if https && url.scheme() != "https" {
                return Err(bad(format!(
                    "the url of {t} file {i} is plain http under an https server; not fetched"
                )));
            }
            let stem = format!("{prefix}{t}");
            // Keyed lower-case: `Patient` and `PATIENT` must not share a file name on a
            // case-insensitive file system.
            let n = seen.entry(stem.to_ascii_lowercase()).or_default();
            *n += 1;
            let name = if *n == 1 {
                format!("{stem}.{ext}")
            } else {
                format!("{stem}.{n}.{ext}")
            };
            planned.push(Planned {
                kind,
                resource_type: t.to_owned(),
                name,
                url,
                count: file.count,
            });
        }
    }
    Ok(planned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_per_type_and_safe() {
        let body = br#"{"transactionTime":"2026-12-02T10:00:00Z","request":"x","requiresAccessToken":true,
            "output":[{"type":"Patient","url":"files/1"},{"type":"Patient","url":"https://store.example/2?sig=s","count":3}],
            "error":[{"type":"OperationOutcome","url":"files/e"}]}"#;
        let m = parse(body).unwrap();
        let base = Base::parse("http://127.0.0.1:9/fhir").unwrap();
        let p = plan(&m, &base, false).unwrap();
        let names: Vec<_> = p.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Patient.ndjson",
                "Patient.2.ndjson",
                "error.OperationOutcome.ndjson"
            ]
        );
        assert_eq!(p[0].url.as_str(), "http://127.0.0.1:9/fhir/files/1");
        assert_eq!(p[1].count, Some(3));
        let evil =
            br#"{"transactionTime":"t","request":"x","output":[{"type":"../../etc","url":"f"}]}"#;
        assert!(plan(&parse(evil).unwrap(), &base, false).is_err());
        assert!(parse(b"{\"output\":3}").is_err());
    }

    #[test]
    fn an_https_server_gets_no_plain_http_files() {
        let body = br#"{"transactionTime":"t","request":"x",
            "output":[{"type":"Patient","url":"http://store.example/1"}]}"#;
        let m = parse(body).unwrap();
        let secure = Base::parse("https://fhir.example/r4").unwrap();
        let err = plan(&m, &secure, false).unwrap_err().to_string();
        assert!(err.contains("plain http"), "{err}");
        let plain = Base::parse("http://127.0.0.1:9/fhir").unwrap();
        assert!(plan(&m, &plain, false).is_ok());
        let tls = br#"{"transactionTime":"t","request":"x",
            "output":[{"type":"Patient","url":"https://store.example/1?sig=s"},{"type":"Patient","url":"files/2"}]}"#;
        assert_eq!(plan(&parse(tls).unwrap(), &secure, false).unwrap().len(), 2);
    }

    #[test]
    fn types_differing_in_case_get_distinct_names() {
        let body = br#"{"transactionTime":"t","request":"x",
            "output":[{"type":"Patient","url":"a"},{"type":"PATIENT","url":"b"},{"type":"PAtient","url":"c"}]}"#;
        let base = Base::parse("http://127.0.0.1:9/fhir").unwrap();
        let names: Vec<_> = plan(&parse(body).unwrap(), &base, true)
            .unwrap()
            .into_iter()
            .map(|f| f.name.to_ascii_lowercase())
            .collect();
        assert_eq!(
            names,
            [
                "patient.ndjson.gz",
                "patient.2.ndjson.gz",
                "patient.3.ndjson.gz"
            ]
        );
    }

    #[test]
    fn a_bad_manifest_is_described_without_its_values() {
        let body = br#"{"transactionTime":"t","request":"x","output":"Ada Jones 12345"}"#;
        let err = parse(body).unwrap_err().to_string();
        assert!(!err.contains("Ada") && !err.contains("12345"), "{err}");
        assert!(
            err.contains("line 1") && err.contains("wrong shape"),
            "{err}"
        );
        let err = parse(b"{\"transactionTime\": Ada").unwrap_err().to_string();
        assert!(!err.contains("Ada") && err.contains("not JSON"), "{err}");
    }
}
