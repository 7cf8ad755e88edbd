//! The shape a billing code must have for its `billing_code_type`, per the code sets the CMS
//! guide lists (schemas/in-network-rates/README.md, "Additional notes concerning
//! billing_code_type"). Only shapes are judged, never whether a code exists. `CSTM-00`
//! ("all codes of this type", the guide's custom billing code) fits every type.

/// A `billing_code_type` whose codes have a known shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CodeType {
    /// Current Procedural Terminology: five digits (Category I), or four digits and `F`
    /// (Category II), `T` (Category III) or `U` (proprietary laboratory analyses).
    Cpt,
    /// HCPCS: Level II is a letter and four digits; Level I is CPT.
    Hcpcs,
    /// National Drug Code in the 11-digit (5-4-2) billing form, with or without hyphens.
    Ndc,
    /// Medicare Severity DRG: three digits.
    MsDrg,
    /// ICD: ICD-10-CM (letter, digit, letter or digit, then up to four more, a dot allowed
    /// after the third), ICD-10-PCS (seven letters or digits without `I` and `O`), or ICD-9
    /// (diagnoses: three digits, `V` and two, `E` and three, each with decimals; procedures:
    /// two digits and one or two decimals).
    Icd,
    /// Revenue code: four digits (`0XXX` for most).
    Rc,
    /// Current Dental Terminology: `D` and four digits.
    Cdt,
    /// Ambulatory Payment Classification: four digits.
    Apc,
    /// Health Insurance Prospective Payment System: five letters or digits.
    Hipps,
}

impl CodeType {
    /// The type for a `billing_code_type` value; `None` for types whose codes are not
    /// judged (the other DRG families, `LOCAL`, `EAPG`, `CSTM-ALL`, unknown values).
    pub(crate) fn of(raw: &[u8]) -> Option<Self> {
        Some(match raw {
            b"CPT" => Self::Cpt,
            b"HCPCS" => Self::Hcpcs,
            b"NDC" => Self::Ndc,
            b"MS-DRG" => Self::MsDrg,
            b"ICD" => Self::Icd,
            b"RC" => Self::Rc,
            b"CDT" => Self::Cdt,
            b"APC" => Self::Apc,
            b"HIPPS" => Self::Hipps,
            _ => return None,
        })
    }

    /// What a code of this type looks like, for a finding's message.
    pub(crate) fn expected(self) -> &'static str {
        match self {
            Self::Cpt => "a CPT code: 5 digits, or 4 digits and F, T or U",
            Self::Hcpcs => "a HCPCS code: a letter and 4 digits, or a CPT code",
            Self::Ndc => "an 11-digit NDC (5-4-2, hyphens allowed)",
            Self::MsDrg => "an MS-DRG: 3 digits",
            Self::Icd => "an ICD-10-CM, ICD-10-PCS or ICD-9 code",
            Self::Rc => "a revenue code: 4 digits",
            Self::Cdt => "a CDT code: D and 4 digits",
            Self::Apc => "an APC: 4 digits",
            Self::Hipps => "a HIPPS code: 5 letters or digits",
        }
    }

    /// Whether `code` (the string's bytes as written) has this type's shape.
    pub(crate) fn fits(self, code: &[u8]) -> bool {
        if code == b"CSTM-00" {
            return true;
        }
        match self {
            Self::Cpt => cpt(code),
            Self::Hcpcs => cpt(code) || (code.len() == 5 && upper(code[0]) && digits(&code[1..])),
            Self::Ndc => ndc(code),
            Self::MsDrg => code.len() == 3 && digits(code),
            Self::Icd => icd10_cm(code) || icd10_pcs(code) || icd9(code),
            Self::Rc | Self::Apc => code.len() == 4 && digits(code),
            Self::Cdt => code.len() == 5 && code[0] == b'D' && digits(&code[1..]),
            Self::Hipps => code.len() == 5 && code.iter().all(|&b| upper(b) || b.is_ascii_digit()),
        }
    }
}

fn digits(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(u8::is_ascii_digit)
}

fn upper(b: u8) -> bool {
    b.is_ascii_uppercase()
}

fn cpt(c: &[u8]) -> bool {
    c.len() == 5 && digits(&c[..4]) && matches!(c[4], b'0'..=b'9' | b'F' | b'T' | b'U')
}

fn ndc(c: &[u8]) -> bool {
    match c.len() {
        11 => digits(c),
        13 => {
            c[5] == b'-'
                && c[10] == b'-'
                && digits(&c[..5])
                && digits(&c[6..10])
                && digits(&c[11..])
        }
        _ => false,
    }
}

fn icd10_cm(c: &[u8]) -> bool {
    if c.len() < 3 || !upper(c[0]) || !c[1].is_ascii_digit() || !alnum(c[2]) {
        return false;
    }
    let rest = c[3..].strip_prefix(b".").unwrap_or(&c[3..]);
    if rest.len() > 4 || (rest.is_empty() && c.len() > 3) {
        return false;
    }
    rest.iter().all(|&b| alnum(b))
}

fn icd10_pcs(c: &[u8]) -> bool {
    c.len() == 7 && c.iter().all(|&b| alnum(b) && b != b'I' && b != b'O')
}

fn icd9(c: &[u8]) -> bool {
    let (head, tail) = match c.iter().position(|&b| b == b'.') {
        Some(i) => (&c[..i], Some(&c[i + 1..])),
        None => (c, None),
    };
    let decimals = |max: usize| tail.is_none_or(|t| !t.is_empty() && t.len() <= max && digits(t));
    match head {
        [b'V', rest @ ..] => rest.len() == 2 && digits(rest) && decimals(2),
        [b'E', rest @ ..] => rest.len() == 3 && digits(rest) && decimals(1),
        // Diagnoses (3 digits) and procedures (2 digits), dotted; undotted diagnoses of up
        // to 5 digits.
        _ if tail.is_some() => digits(head) && matches!(head.len(), 2 | 3) && decimals(2),
        _ => digits(head) && (3..=5).contains(&head.len()),
    }
}

fn alnum(b: u8) -> bool {
    upper(b) || b.is_ascii_digit()
}

#[cfg(test)]
mod tests {
    use super::CodeType::{self, *};

    fn ok(t: CodeType, codes: &[&str]) {
        for c in codes {
            assert!(t.fits(c.as_bytes()), "{t:?} should accept {c}");
        }
    }
    fn bad(t: CodeType, codes: &[&str]) {
        for c in codes {
            assert!(!t.fits(c.as_bytes()), "{t:?} should refuse {c}");
        }
    }

    #[test]
    fn shapes_per_code_set() {
        ok(Cpt, &["27447", "0001F", "0042T", "0001U", "CSTM-00"]);
        bad(
            Cpt,
            &["2744", "274470", "J1234", "0001X", "27447 ", "27a47"],
        );
        ok(Hcpcs, &["J1234", "A0425", "27447", "0001F"]);
        bad(Hcpcs, &["J123", "j1234", "JJ234"]);
        ok(Ndc, &["00002143380", "00002-1433-80"]);
        bad(
            Ndc,
            &["0002143380", "0002-1433-80", "00002-143380", "0000214338a"],
        );
        ok(MsDrg, &["470", "001"]);
        bad(MsDrg, &["47", "4700", "47A"]);
        ok(
            Icd,
            &[
                "E11", "E119", "E11.9", "S72.001A", "0SRD0JZ", "250.00", "V45", "E880.9", "81.54",
                "25000",
            ],
        );
        bad(
            Icd,
            &["E1", "e11.9", "E11.", "S72.001AB", "0SRD0JI", "81.", "1"],
        );
        ok(Rc, &["0450", "1000"]);
        bad(Rc, &["450", "04500"]);
        ok(Cdt, &["D0120"]);
        bad(Cdt, &["0120", "d0120", "D012"]);
        ok(Apc, &["5012"]);
        bad(Apc, &["501", "05012"]);
        ok(Hipps, &["1AA11", "HAAA1"]);
        bad(Hipps, &["1AA1", "1aa11"]);
    }

    #[test]
    fn only_listed_types_are_judged() {
        for t in ["APR-DRG", "LOCAL", "EAPG", "CSTM-ALL", "cpt", "XYZ"] {
            assert_eq!(CodeType::of(t.as_bytes()), None, "{t}");
        }
        assert_eq!(CodeType::of(b"MS-DRG"), Some(MsDrg));
    }
}
