//! FHIR Bulk Data export manifests: `output[]` with `type`, `url` and optional `count` and
//! `sha256`. A manifest comes from a remote server, so it is untrusted: it is read bounded,
//! and each `url` must be a relative path that stays inside the manifest's directory —
//! absolute paths, `file:///…`, `..` out of it and links out of it are refused unless the
//! caller allows reading outside.

use std::path::{Component, Path};

use steadfast_core::{Links, read_regular_to_string};

use super::source::{Listing, Source, contained, file_source};
use crate::Error;

/// The most read of a manifest: a real one lists a few hundred files.
pub(crate) const MANIFEST_LIMIT: u64 = 64 << 20;

pub use steadfast_core::bulk_manifest::{BulkManifest, MANIFEST_FILE, ManifestEntry};

const HOW: &str = "the manifest's urls are read only inside its directory: give a path relative to the manifest, or pass --allow-outside to read it on purpose";

/// Whether `relative` climbs out of the directory it is joined to (`../x`, `a/../../x`).
fn escapes(relative: &Path) -> bool {
    let mut depth = 0usize;
    for part in relative.components() {
        match part {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return true,
            },
            Component::RootDir | Component::Prefix(_) => return true,
        }
    }
    false
}

/// Reads the manifest `shown` (opened at `open` with `links`) whose urls resolve in `base`.
pub(crate) fn read(
    shown: &Path,
    open: &Path,
    links: Links,
    base: &Path,
    allow_outside: bool,
) -> Result<Vec<Source>, Error> {
    let text = read_regular_to_string(open, links, MANIFEST_LIMIT)?;
    let input = |message: String| Error::Input {
        path: shown.to_path_buf(),
        message,
    };
    let parsed: BulkManifest = serde_json::from_str(&text).map_err(|e| {
        let full = e.to_string();
        let what = full
            .rfind(" at line ")
            .map_or(full.as_str(), |i| &full[..i]);
        let what = what
            .replace(
                "struct ManifestEntry",
                "an object with \"type\", \"url\" and \"count\"",
            )
            .replace(
                "struct BulkManifest",
                "a JSON object with an \"output\" array",
            );
        input(format!(
            "line {} column {}: not a bulk data manifest: {what}",
            e.line(),
            e.column()
        ))
    })?;
    let Some(output) = parsed.output else {
        return Err(input("a bulk data manifest needs an \"output\" array of {\"type\", \"url\"} entries; pass .ndjson files directly otherwise".to_owned()));
    };
    let canonical =
        std::fs::canonicalize(base).map_err(|e| crate::error::io_error("resolve", base, e))?;
    let mut sources = Vec::new();
    for (i, entry) in output.into_iter().enumerate() {
        let field = |key: &str| format!("output[{i}].{key}");
        let Some(url) = entry.url else {
            return Err(input(format!(
                "{} is missing: each output entry names its file",
                field("url")
            )));
        };
        let relative = url.strip_prefix("file://").unwrap_or(&url);
        if relative.contains("://") {
            return Err(input(format!(
                "{} is '{url}', a remote URL: download the export first and give the files as paths relative to the manifest",
                field("url")
            )));
        }
        let rel = Path::new(relative);
        if !allow_outside && (rel.has_root() || rel.is_absolute()) {
            return Err(input(format!(
                "{} is '{url}', an absolute path outside the manifest's directory {}; {HOW}",
                field("url"),
                base.display()
            )));
        }
        if !allow_outside && escapes(rel) {
            return Err(input(format!(
                "{} is '{url}', which leaves the manifest's directory {} through '..'; {HOW}",
                field("url"),
                base.display()
            )));
        }
        let path = base.join(rel);
        let target = contained(&path, &canonical, allow_outside, |target| {
            input(format!(
                "{} is '{url}', which leads through a symbolic link to {}, outside the manifest's directory {}; {HOW}",
                field("url"),
                target.display(),
                base.display()
            ))
        })?;
        let Some(target) = target else {
            return Err(input(format!(
                "{} names {}, which does not exist; the manifest's urls are resolved relative to its directory",
                field("url"),
                path.display()
            )));
        };
        let sha = entry
            .sha256
            .map(|h| (h.to_ascii_lowercase(), field("sha256")));
        sources.push(file_source(
            &target,
            Links::Refuse,
            &path,
            relative.to_owned(),
            Listing {
                resource_type: entry.resource_type,
                count: entry.count,
                sha256: sha,
            },
        )?);
    }
    Ok(sources)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    #[test]
    fn climbing_out_is_seen_without_touching_the_disk() {
        for (path, out) in [
            ("Patient.ndjson", false),
            ("a/../Patient.ndjson", false),
            ("./a/./b/../../x", false),
            ("../x", true),
            ("a/../../x", true),
            ("/etc/shadow", true),
        ] {
            assert_eq!(super::escapes(Path::new(path)), out, "{path}");
        }
    }
}
