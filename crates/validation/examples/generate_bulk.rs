//! Writes a synthetic FHIR Bulk Data export with injected faults, to try the checks on:
//!
//! ```sh
//! cargo run -p steadfast-validation --example generate_bulk -- /tmp/export 1000
//! steadfast validate-data /tmp/export
//! ```

use std::path::PathBuf;

use steadfast_validation::data::generate::{BulkSpec, Faults, generate_export};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().ok_or("usage: generate_bulk DIR [PATIENTS]")?);
    let patients = args.next().map_or(Ok(1000), |n| n.parse())?;
    let faults = Faults {
        duplicates: 3,
        missing_fields: 2,
        dangling_references: 4,
        invalid_lines: 1,
        torn_last_line: true,
    };
    let export = generate_export(
        &dir,
        &BulkSpec {
            patients,
            faults,
            ..BulkSpec::default()
        },
    )?;
    println!(
        "wrote {} files ({} bytes) into {}; faults: {faults:?}",
        export.files.len(),
        export.bytes,
        dir.display()
    );
    Ok(())
}
