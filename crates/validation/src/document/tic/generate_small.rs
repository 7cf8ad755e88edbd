//! The small synthetic price-transparency documents: allowed amounts and a table of
//! contents, valid against their 2.1.0 schemas. Feature `synthetic`.

use std::io::{self, Write};

use steadfast_core::SplitMix64;

use super::counts::TicCounts;
use super::emit::Emitter;
use super::generate::header;
use super::generate_spec::GeneratedDocument;

/// Writes an allowed-amounts file with `items` out-of-network items (each with one or two
/// allowed amounts, each with a payment to one or two providers) to `out`.
///
/// ```
/// use steadfast_validation::document::tic::generate::write_allowed_amounts;
/// let mut out = Vec::new();
/// let made = write_allowed_amounts(&mut out, 7, 3, false)?;
/// assert_eq!(made.counts.out_of_network, 3);
/// let doc: serde_json::Value = serde_json::from_slice(&out)?;
/// assert_eq!(doc["out_of_network"].as_array().map(Vec::len), Some(3));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// What `out` returns.
pub fn write_allowed_amounts<W: Write>(
    out: W,
    seed: u64,
    items: u64,
    pretty: bool,
) -> io::Result<GeneratedDocument> {
    let mut rng = SplitMix64::new(seed);
    let mut e = Emitter::new(out, pretty);
    let mut counts = TicCounts::default();
    e.open(b'{');
    header(&mut e, "allowed-amounts");
    e.key("out_of_network");
    e.open(b'[');
    for i in 0..items {
        counts.out_of_network += 1;
        e.open(b'{');
        for (k, v) in [
            ("name", "Office visit"),
            ("billing_code_type", "CPT"),
            ("billing_code_type_version", "2026"),
        ] {
            e.key(k);
            e.str(v);
        }
        e.key("billing_code");
        e.str(&format!("{:05}", 99_000 + i % 1000));
        e.key("description");
        e.str("Synthetic out-of-network service");
        e.key("allowed_amounts");
        e.open(b'[');
        for a in 0..=rng.below(2) {
            counts.allowed_amounts += 1;
            e.open(b'{');
            e.key("tin");
            e.open(b'{');
            e.key("type");
            e.str("ein");
            e.key("value");
            e.str(&format!("{:02}-{:07}", 10 + a, rng.below(10_000_000)));
            e.close(b'}')?;
            e.key("billing_class");
            e.str("professional");
            e.key("service_code");
            e.open(b'[');
            e.str("11");
            e.close(b']')?;
            e.key("payments");
            e.open(b'[');
            counts.payments += 1;
            e.open(b'{');
            e.key("allowed_amount");
            e.cents(false, 1_000 + rng.below(100_000));
            e.key("providers");
            e.open(b'[');
            for p in 0..=rng.below(2) {
                e.open(b'{');
                e.key("billed_charge");
                e.cents(false, 200_000 + rng.below(100_000));
                e.key("npi");
                e.open(b'[');
                counts.npis += 1;
                e.uint(1_500_000_000 + i * 10 + p);
                e.close(b']')?;
                e.close(b'}')?;
            }
            e.close(b']')?;
            e.close(b'}')?;
            e.close(b']')?;
            e.close(b'}')?;
        }
        e.close(b']')?;
        e.close(b'}')?;
    }
    e.close(b']')?;
    e.close(b'}')?;
    let (_, bytes) = e.finish()?;
    Ok(GeneratedDocument {
        bytes,
        counts,
        faults: Vec::new(),
    })
}

/// Writes a table of contents with `structures` reporting structures (each one plan, and
/// an in-network file and an allowed-amount file under `https://example.org/`) to `out`.
///
/// ```
/// use steadfast_validation::document::tic::generate::write_table_of_contents;
/// let mut out = Vec::new();
/// let made = write_table_of_contents(&mut out, 2, true)?;
/// assert_eq!(made.counts.reporting_structure, 2);
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
/// What `out` returns.
pub fn write_table_of_contents<W: Write>(
    out: W,
    structures: u64,
    pretty: bool,
) -> io::Result<GeneratedDocument> {
    let mut e = Emitter::new(out, pretty);
    let mut counts = TicCounts::default();
    e.open(b'{');
    header(&mut e, "table-of-contents");
    e.key("reporting_structure");
    e.open(b'[');
    for s in 0..structures {
        counts.reporting_structure += 1;
        e.open(b'{');
        e.key("reporting_plans");
        e.open(b'[');
        e.open(b'{');
        let plan_id = format!("{:05}VA{:07}", 10_000 + s, s);
        for (k, v) in [
            ("plan_name", "Synthetic PPO"),
            ("plan_id_type", "hios"),
            ("plan_id", plan_id.as_str()),
            ("plan_market_type", "group"),
            ("issuer_name", "Synthetic Insurance Co"),
        ] {
            e.key(k);
            e.str(v);
        }
        e.close(b'}')?;
        e.close(b']')?;
        e.key("in_network_files");
        e.open(b'[');
        file(
            &mut e,
            "in-network file",
            &format!("https://example.org/mrf/{s}/in-network.json.gz"),
        )?;
        e.close(b']')?;
        e.key("allowed_amount_file");
        file(
            &mut e,
            "allowed amounts file",
            &format!("https://example.org/mrf/{s}/allowed-amounts.json"),
        )?;
        e.close(b'}')?;
    }
    e.close(b']')?;
    e.close(b'}')?;
    let (_, bytes) = e.finish()?;
    Ok(GeneratedDocument {
        bytes,
        counts,
        faults: Vec::new(),
    })
}

fn file<W: Write>(e: &mut Emitter<W>, description: &str, location: &str) -> io::Result<()> {
    e.open(b'{');
    e.key("description");
    e.str(description);
    e.key("location");
    e.str(location);
    e.close(b'}')
}
