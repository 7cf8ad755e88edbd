//! What to check: `.ndjson` and `.ndjson.gz` files, directories of them, and FHIR Bulk Data
//! export manifests (`output[]` with `type`, `url` as a relative path, optional `count`).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::io_error;
use crate::Error;

/// One file to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Source {
    pub(crate) path: PathBuf,
    /// The name reports use: the path as given or as the manifest resolved it.
    pub(crate) name: String,
    pub(crate) gzip: bool,
    pub(crate) size: u64,
    pub(crate) manifest_type: Option<String>,
    pub(crate) manifest_count: Option<u64>,
    /// Expected sha256 (lower-case hex) and where it came from.
    pub(crate) sha256: Option<(String, String)>,
}

#[derive(Deserialize)]
struct Manifest {
    output: Option<Vec<OutputEntry>>,
}

#[derive(Deserialize)]
struct OutputEntry {
    #[serde(rename = "type")]
    resource_type: Option<String>,
    url: Option<String>,
    count: Option<u64>,
    sha256: Option<String>,
}

fn is_data_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    [".ndjson", ".ndjson.gz", ".jsonl", ".jsonl.gz"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// Resolves the paths a user gave into files, in a stable order, each once.
pub(crate) fn resolve(inputs: &[PathBuf]) -> Result<Vec<Source>, Error> {
    let mut sources: Vec<Source> = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(|e| io_error("read", input, e))?;
        if meta.is_dir() {
            let manifest = input.join("manifest.json");
            if manifest.is_file() {
                sources.extend(from_manifest(&manifest)?);
                continue;
            }
            let mut files: Vec<PathBuf> = std::fs::read_dir(input)
                .map_err(|e| io_error("list", input, e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && is_data_file(p))
                .collect();
            files.sort();
            if files.is_empty() {
                return Err(Error::Input {
                    path: input.clone(),
                    message: "the directory holds no .ndjson, .ndjson.gz or manifest.json; pass a directory of a bulk export or the files themselves".to_owned(),
                });
            }
            for file in files {
                sources.push(file_source(
                    &file,
                    file.display().to_string(),
                    None,
                    None,
                    None,
                )?);
            }
        } else if input.extension().is_some_and(|e| e == "json") {
            sources.extend(from_manifest(input)?);
        } else {
            sources.push(file_source(
                input,
                input.display().to_string(),
                None,
                None,
                None,
            )?);
        }
    }
    let mut seen = std::collections::HashSet::new();
    sources
        .retain(|s| seen.insert(std::fs::canonicalize(&s.path).unwrap_or_else(|_| s.path.clone())));
    Ok(sources)
}

fn file_source(
    path: &Path,
    name: String,
    manifest_type: Option<String>,
    manifest_count: Option<u64>,
    sha256: Option<(String, String)>,
) -> Result<Source, Error> {
    let meta = std::fs::metadata(path).map_err(|e| io_error("read", path, e))?;
    let mut magic = [0u8; 2];
    let gzip = {
        use std::io::Read as _;
        let mut f = std::fs::File::open(path).map_err(|e| io_error("open", path, e))?;
        f.read(&mut magic).map_err(|e| io_error("read", path, e))? == 2 && magic == [0x1f, 0x8b]
    };
    let sidecar = PathBuf::from(format!("{}.sha256", path.display()));
    let sha256 = match sha256 {
        Some(s) => Some(s),
        None if sidecar.is_file() => {
            let text =
                std::fs::read_to_string(&sidecar).map_err(|e| io_error("read", &sidecar, e))?;
            let hex = text
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(Error::Input {
                    path: sidecar,
                    message: "expected a sha256 sidecar: 64 hex digits, then optionally the file name (the output of sha256sum)".to_owned(),
                });
            }
            Some((hex, sidecar.display().to_string()))
        }
        None => None,
    };
    Ok(Source {
        path: path.to_path_buf(),
        name,
        gzip,
        size: meta.len(),
        manifest_type,
        manifest_count,
        sha256,
    })
}

fn from_manifest(manifest: &Path) -> Result<Vec<Source>, Error> {
    let text = std::fs::read_to_string(manifest).map_err(|e| io_error("read", manifest, e))?;
    let parsed: Manifest = serde_json::from_str(&text).map_err(|e| {
        let full = e.to_string();
        let what = full
            .rfind(" at line ")
            .map_or(full.as_str(), |i| &full[..i]);
        let what = what
            .replace(
                "struct OutputEntry",
                "an object with \"type\", \"url\" and \"count\"",
            )
            .replace("struct Manifest", "a JSON object with an \"output\" array");
        Error::Input {
            path: manifest.to_path_buf(),
            message: format!(
                "line {} column {}: not a bulk data manifest: {what}",
                e.line(),
                e.column()
            ),
        }
    })?;
    let Some(output) = parsed.output else {
        return Err(Error::Input {
            path: manifest.to_path_buf(),
            message: "a bulk data manifest needs an \"output\" array of {\"type\", \"url\"} entries; pass .ndjson files directly otherwise".to_owned(),
        });
    };
    let base = manifest.parent().unwrap_or(Path::new("."));
    let mut sources = Vec::new();
    for (i, entry) in output.into_iter().enumerate() {
        let field = |key: &str| format!("output[{i}].{key}");
        let Some(url) = entry.url else {
            return Err(Error::Input {
                path: manifest.to_path_buf(),
                message: format!(
                    "{} is missing: each output entry names its file",
                    field("url")
                ),
            });
        };
        let relative = url.strip_prefix("file://").unwrap_or(&url);
        if relative.contains("://") {
            return Err(Error::Input {
                path: manifest.to_path_buf(),
                message: format!(
                    "{} is '{url}', a remote URL: download the export first and give the files as paths relative to the manifest",
                    field("url")
                ),
            });
        }
        let path = base.join(relative);
        if !path.is_file() {
            return Err(Error::Input {
                path: manifest.to_path_buf(),
                message: format!(
                    "{} names {}, which does not exist; the manifest's urls are resolved relative to its directory",
                    field("url"),
                    path.display()
                ),
            });
        }
        let sha = entry
            .sha256
            .map(|h| (h.to_ascii_lowercase(), field("sha256")));
        sources.push(file_source(
            &path,
            relative.to_owned(),
            entry.resource_type,
            entry.count,
            sha,
        )?);
    }
    Ok(sources)
}
