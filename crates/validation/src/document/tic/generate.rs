//! Deterministic synthetic price-transparency files — in-network rates of any size (KB to
//! GB, streamed), allowed amounts and tables of contents — with faults injected in exact,
//! returned numbers, for tests, benchmarks and the agreement test with Python's
//! `jsonschema`. The same spec gives the same bytes. Feature `synthetic`.
//!
//! Each in-network fault is put into its own in-network item and makes exactly one schema
//! violation (Draft 7, formats checked) or, for an unresolved provider group id, exactly
//! one `tic.provider_group_id` violation; a negative rate makes one schema violation
//! (`exclusiveMinimum`) and one `tic.negotiated_rate`. Nothing else in a generated file
//! is a violation while "today" is before 2027-01-01.
//!
//! ```
//! use steadfast_validation::document::tic::generate::{InNetworkSpec, TicFaults, write_in_network};
//!
//! let spec = InNetworkSpec {
//!     target_bytes: 64 * 1024,
//!     faults: TicFaults { negative_rate: 2, unresolved_group: 1, ..TicFaults::default() },
//!     ..InNetworkSpec::default()
//! };
//! let mut out = Vec::new();
//! let made = write_in_network(&mut out, &spec)?;
//! assert!(made.bytes >= 64 * 1024 && made.bytes == out.len() as u64);
//! assert_eq!(made.faults.len(), 3);
//! let doc: serde_json::Value = serde_json::from_slice(&out)?;
//! assert_eq!(doc["in_network"].as_array().map(Vec::len), Some(made.counts.in_network as usize));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::{self, Write};

use steadfast_core::SplitMix64;

use super::counts::TicCounts;
use super::emit::Emitter;
pub use super::generate_small::{write_allowed_amounts, write_table_of_contents};
pub use super::generate_spec::{
    GeneratedDocument, InNetworkSpec, InjectedFault, TicFault, TicFaults,
};

const NAMES: [&str; 6] = [
    "Office visit",
    "Knee replacement",
    "Colonoscopy",
    "MRI of the brain",
    "Physical therapy",
    "Emergency department visit",
];
const TYPES: [&str; 5] = [
    "negotiated",
    "derived",
    "fee schedule",
    "percentage",
    "per diem",
];
const SERVICE_CODES: [&str; 8] = ["11", "12", "19", "21", "22", "23", "81", "99"];
const MODIFIERS: [&str; 5] = ["25", "26", "50", "59", "TC"];

/// Writes an in-network rates file (schema 2.1.0) to `out`.
///
/// # Errors
/// What `out` returns.
pub fn write_in_network<W: Write>(out: W, spec: &InNetworkSpec) -> io::Result<GeneratedDocument> {
    let mut rng = SplitMix64::new(spec.seed);
    let mut e = Emitter::new(out, spec.pretty);
    let mut counts = TicCounts::default();
    e.open(b'{');
    header(&mut e, "in-network");
    let refs = spec.provider_references.max(1);
    e.key("provider_references");
    e.open(b'[');
    for id in 1..=refs {
        reference(&mut e, &mut rng, spec, id, &mut counts)?;
    }
    e.close(b']')?;
    e.key("in_network");
    e.open(b'[');
    let faults = spec.faults.list();
    // Spread the faults over the items the target size should hold. An item averages
    // (n+1)/2 rates of (m+1)/2 prices: about 60 bytes a rate and 170 a price compact,
    // twice that pretty.
    let est_item = (250
        + (spec.rates_per_item.max(1) + 1) * (60 + (spec.prices_per_rate.max(1) + 1) * 85) / 2)
        * if spec.pretty { 2 } else { 1 };
    let est_items = spec.target_bytes.saturating_sub(e.bytes()) / est_item;
    let stride = (est_items / (faults.len() as u64 + 1)).max(1);
    let mut injected = Vec::with_capacity(faults.len());
    let mut i = 0u64;
    while e.bytes() < spec.target_bytes || (injected.len() < faults.len()) {
        let fault = (i % stride == stride - 1 || stride == 1)
            .then(|| faults.get(injected.len()).copied())
            .flatten();
        let f = item(&mut e, &mut rng, spec, i, fault, &mut counts)?;
        injected.extend(f);
        i += 1;
    }
    e.close(b']')?;
    e.close(b'}')?;
    let (_, bytes) = e.finish()?;
    Ok(GeneratedDocument {
        bytes,
        counts,
        faults: injected,
    })
}

pub(crate) fn header<W: Write>(e: &mut Emitter<W>, what: &str) {
    e.key("reporting_entity_name");
    e.str("Synthetic Health Plan");
    e.key("reporting_entity_type");
    e.str("health insurance issuer");
    if what != "table-of-contents" {
        for (k, v) in [
            ("plan_name", "Synthetic PPO"),
            ("plan_id_type", "hios"),
            ("plan_id", "12345VA0010001"),
            ("plan_market_type", "individual"),
            ("issuer_name", "Synthetic Insurance Co"),
        ] {
            e.key(k);
            e.str(v);
        }
    }
    e.key("last_updated_on");
    e.str("2026-11-01");
    e.key("version");
    e.str("2.1.0");
}

fn reference<W: Write>(
    e: &mut Emitter<W>,
    rng: &mut SplitMix64,
    spec: &InNetworkSpec,
    id: u64,
    counts: &mut TicCounts,
) -> io::Result<()> {
    counts.provider_references += 1;
    e.open(b'{');
    e.key("provider_group_id");
    e.uint(id);
    e.key("network_name");
    e.open(b'[');
    e.str(if id.is_multiple_of(3) {
        "Synthetic Select"
    } else {
        "Synthetic Choice"
    });
    e.close(b']')?;
    e.key("provider_groups");
    e.open(b'[');
    let groups = spec.groups_per_reference.max(1);
    for g in 0..groups {
        counts.provider_groups += 1;
        e.open(b'{');
        e.key("npi");
        e.open(b'[');
        let base = 1_000_000_000 + ((id - 1) * groups + g) * spec.npis_per_group.max(1);
        for k in 0..spec.npis_per_group.max(1) {
            counts.npis += 1;
            e.uint(base + k);
        }
        e.close(b']')?;
        e.key("tin");
        e.open(b'{');
        e.key("type");
        e.str("ein");
        e.key("value");
        let ein = rng.below(100_000_000) + 10_000_000;
        let ein = format!("{:02}-{:07}", ein / 10_000_000 % 100, ein % 10_000_000);
        e.str(&ein);
        e.key("business_name");
        e.str("Synthetic Medical Group");
        e.close(b'}')?;
        e.close(b'}')?;
    }
    e.close(b']')?;
    e.close(b'}')
}

/// The item's billing code type and code, unique per item index.
fn code(i: u64) -> (&'static str, String) {
    let j = i / 5;
    match i % 5 {
        0 | 1 if j * 2 + i % 5 < 90_000 => ("CPT", format!("{:05}", 10_000 + j * 2 + i % 5)),
        2 if j < 220_000 => (
            "HCPCS",
            format!(
                "{}{:04}",
                char::from(b'A' + u8::try_from(j / 10_000).unwrap_or(0)),
                j % 10_000
            ),
        ),
        3 if j < 1000 => ("MS-DRG", format!("{j:03}")),
        _ => ("NDC", format!("{:011}", 50_000_000_000 + i)),
    }
}

fn item<W: Write>(
    e: &mut Emitter<W>,
    rng: &mut SplitMix64,
    spec: &InNetworkSpec,
    i: u64,
    fault: Option<TicFault>,
    counts: &mut TicCounts,
) -> io::Result<Option<InjectedFault>> {
    counts.in_network += 1;
    let (ty, billing_code) = code(i);
    e.open(b'{');
    e.key("negotiation_arrangement");
    e.str("ffs");
    e.key("name");
    e.str(rng.pick::<&str>(&NAMES));
    e.key("billing_code_type");
    e.str(ty);
    e.key("billing_code_type_version");
    e.str("2026");
    e.key("billing_code");
    e.str(&billing_code);
    let mut pointer = None;
    if fault == Some(TicFault::MissingRequired) {
        pointer = Some(format!("/in_network/{i}"));
    } else {
        e.key("description");
        e.str("Synthetic service description");
    }
    e.key("negotiated_rates");
    e.open(b'[');
    let rates = 1 + rng.below(spec.rates_per_item.max(1));
    for r in 0..rates {
        counts.negotiated_rates += 1;
        let fault = if r == 0 { fault } else { None };
        e.open(b'{');
        e.key("provider_references");
        e.open(b'[');
        let refs = spec.provider_references.max(1);
        let n = (1 + rng.below(4)).min(refs);
        let start = rng.below(refs);
        for k in 0..n {
            e.uint(1 + (start + k) % refs);
        }
        if fault == Some(TicFault::UnresolvedGroup) {
            e.uint(refs + 1_000 + i);
            pointer = Some(format!(
                "/in_network/{i}/negotiated_rates/0/provider_references/{n}"
            ));
        }
        e.close(b']')?;
        e.key("negotiated_prices");
        e.open(b'[');
        let prices = 1 + rng.below(spec.prices_per_rate.max(1));
        for p in 0..prices {
            counts.negotiated_prices += 1;
            let fault = if p == 0 { fault } else { None };
            let at = || format!("/in_network/{i}/negotiated_rates/{r}/negotiated_prices/{p}");
            if let Some(ptr) = price(e, rng, p, prices, fault, at)? {
                pointer = Some(ptr);
            }
        }
        e.close(b']')?;
        e.close(b'}')?;
    }
    e.close(b']')?;
    e.close(b'}')?;
    Ok(fault
        .zip(pointer)
        .map(|(kind, pointer)| InjectedFault { kind, pointer }))
}

fn price<W: Write>(
    e: &mut Emitter<W>,
    rng: &mut SplitMix64,
    p: u64,
    prices: u64,
    fault: Option<TicFault>,
    at: impl Fn() -> String,
) -> io::Result<Option<String>> {
    use TicFault::*;
    let mut pointer = None;
    let professional = rng.below(2) == 0;
    let ty = *rng.pick(&TYPES);
    e.open(b'{');
    e.key("negotiated_type");
    e.str(ty);
    e.key("negotiated_rate");
    // Distinct per price of one rate (uniqueItems): the cents are p modulo the count.
    let cents = if ty == "percentage" {
        100 + rng.below(90) * 100
    } else {
        1_000 + rng.below(500_000)
    };
    let cents = cents - cents % prices + p + prices;
    match fault {
        Some(WrongType) => {
            e.str("12.34");
            pointer = Some(format!("{}/negotiated_rate", at()));
        }
        Some(NegativeRate) => {
            e.cents(true, cents);
            pointer = Some(format!("{}/negotiated_rate", at()));
        }
        _ => e.cents(false, cents),
    }
    e.key("expiration_date");
    if fault == Some(BadDate) {
        e.str("2031/01/01");
        pointer = Some(format!("{}/expiration_date", at()));
    } else if rng.below(4) == 0 {
        e.str("9999-12-31");
    } else {
        e.date(2027 + rng.below(4), 1 + rng.below(12), 1 + rng.below(28));
    }
    e.key("billing_class");
    e.str(if professional {
        "professional"
    } else {
        "institutional"
    });
    e.key("setting");
    if fault == Some(BadEnum) {
        e.str("home");
        pointer = Some(format!("{}/setting", at()));
    } else {
        e.str(rng.pick::<&str>(&["inpatient", "outpatient", "both"]));
    }
    if professional {
        e.key("service_code");
        e.open(b'[');
        let first = rng.below(SERVICE_CODES.len() as u64);
        for k in 0..=rng.below(3) {
            e.str(
                SERVICE_CODES
                    [usize::try_from((first + k) % SERVICE_CODES.len() as u64).unwrap_or(0)],
            );
        }
        e.close(b']')?;
    }
    if fault == Some(EmptyArray) {
        e.key("billing_code_modifier");
        e.open(b'[');
        e.close(b']')?;
        pointer = Some(format!("{}/billing_code_modifier", at()));
    } else if rng.below(5) == 0 {
        e.key("billing_code_modifier");
        e.open(b'[');
        e.str(rng.pick::<&str>(&MODIFIERS));
        e.close(b']')?;
    }
    e.close(b'}')?;
    Ok(pointer)
}
