//! Writes a synthetic price-transparency in-network file of a given size with a few
//! injected faults, to try the `tic-in-network` rule set on (and to make benchmark input):
//!
//! ```sh
//! cargo run --release -p steadfast-validation --example generate_tic -- /tmp/rates.json 2GB
//! cargo run --release -p steadfast-validation --example generate_tic -- - 1GB > /dev/null
//! ```
//!
//! `-` writes to standard output (the generator's own speed, without the file's fsync).

use std::io::BufWriter;
use std::path::PathBuf;
use std::time::Instant;

use steadfast_core::ByteSize;
use steadfast_validation::document::tic::generate::{InNetworkSpec, TicFaults, write_in_network};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: generate_tic FILE [SIZE] [--pretty]";
    let path = PathBuf::from(args.next().ok_or(usage)?);
    let size: ByteSize = args.next().as_deref().unwrap_or("100MB").parse()?;
    let pretty = args.next().is_some_and(|a| a == "--pretty");
    let spec = InNetworkSpec {
        target_bytes: size.bytes(),
        pretty,
        provider_references: 2_000,
        npis_per_group: 50,
        faults: TicFaults {
            missing_required: 1,
            bad_enum: 1,
            wrong_type: 1,
            empty_array: 1,
            bad_date: 1,
            unresolved_group: 1,
            negative_rate: 1,
        },
        ..InNetworkSpec::default()
    };
    let started = Instant::now();
    let mut made = None;
    if path.as_os_str() == "-" {
        made = Some(write_in_network(
            BufWriter::with_capacity(1 << 20, std::io::stdout().lock()),
            &spec,
        )?);
    } else {
        steadfast_core::atomic_write_with(&path, |w| {
            made = Some(write_in_network(
                BufWriter::with_capacity(1 << 20, w),
                &spec,
            )?);
            Ok(())
        })?;
    }
    let made = made.ok_or("nothing written")?;
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{}: {} bytes, {} in-network items, {} faults, {:.0} MB/s",
        path.display(),
        made.bytes,
        made.counts.in_network,
        made.faults.len(),
        made.bytes as f64 / 1e6 / secs
    );
    for f in &made.faults {
        eprintln!("  {:?} at {}", f.kind, f.pointer);
    }
    Ok(())
}
