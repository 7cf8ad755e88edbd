//! Synthetic FHIR resources (no real person's data) from the workspace's seeded generator —
//! the one FHIR generator of the workspace: the Bulk Data exports of
//! [`generate`](super::generate), and [`resource`], one resource by type and number for a
//! server that pages (the demo's mock EHR). Feature `synthetic`: test and demo support,
//! not part of the default API.

use std::fmt::Write as _;

/// The workspace's seeded generator ([`SplitMix64`](steadfast_core::SplitMix64)) with the
/// draws synthetic FHIR needs.
#[derive(Debug, Clone)]
pub(crate) struct Rng(steadfast_core::SplitMix64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(steadfast_core::SplitMix64::new(seed))
    }
    pub(crate) fn next(&mut self) -> u64 {
        self.0.next_u64()
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.0.below(n)
    }
    pub(crate) fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let picked: &&'a str = self.0.pick(items);
        picked
    }
    pub(crate) fn uuid(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            (b >> 48) | 0x8000,
            b & 0xffff_ffff_ffff
        )
    }
    pub(crate) fn date(&mut self, from_year: u64, years: u64) -> String {
        format!(
            "{}-{:02}-{:02}",
            from_year + self.below(years),
            1 + self.below(12),
            1 + self.below(28)
        )
    }
    pub(crate) fn datetime(&mut self) -> String {
        format!(
            "{}T{:02}:{:02}:00Z",
            self.date(2019, 7),
            self.below(24),
            self.below(60)
        )
    }
}

const FAMILY: &[&str] = &[
    "Smith", "Garcia", "Nguyen", "Okafor", "Müller", "Kowalski", "Haddad", "Tanaka",
];
const GIVEN: &[&str] = &[
    "Ana", "James", "Li", "Fatima", "Olga", "Noah", "Priya", "Kwame",
];
const GENDER: &[&str] = &["female", "male", "other", "unknown"];
const VITALS: &[(&str, &str, &str, &str)] = &[
    ("8867-4", "Heart rate", "beats/minute", "/min"),
    ("8310-5", "Body temperature", "Cel", "Cel"),
    ("29463-7", "Body weight", "kg", "kg"),
    ("8480-6", "Systolic blood pressure", "mm[Hg]", "mm[Hg]"),
    ("2339-0", "Glucose [Mass/volume] in Blood", "mg/dL", "mg/dL"),
];
const CONDITIONS: &[(&str, &str)] = &[
    ("44054006", "Diabetes mellitus type 2"),
    ("38341003", "Hypertensive disorder"),
    ("195967001", "Asthma"),
    ("55822004", "Hyperlipidemia"),
];

pub(crate) fn patient(rng: &mut Rng, id: &str) -> String {
    format!(
        r#"{{"resourceType":"Patient","id":"{id}","meta":{{"lastUpdated":"{}"}},"identifier":[{{"system":"http://hospital.example.org/mrn","value":"MRN{:08}"}}],"name":[{{"family":"{}","given":["{}"]}}],"gender":"{}","birthDate":"{}","address":[{{"city":"Springfield","state":"MA","postalCode":"0{:04}"}}]}}"#,
        rng.datetime(),
        rng.below(100_000_000),
        rng.pick(FAMILY),
        rng.pick(GIVEN),
        rng.pick(GENDER),
        rng.date(1935, 85),
        rng.below(10_000)
    )
}

pub(crate) fn encounter(rng: &mut Rng, id: &str, patient: &str) -> String {
    let start = rng.datetime();
    format!(
        r#"{{"resourceType":"Encounter","id":"{id}","status":"finished","class":{{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"}},"type":[{{"coding":[{{"system":"http://snomed.info/sct","code":"185349003","display":"Encounter for check up"}}]}}],"subject":{{"reference":"Patient/{patient}"}},"period":{{"start":"{start}","end":"{start}"}}}}"#
    )
}

pub(crate) fn condition(rng: &mut Rng, id: &str, patient: &str, encounter: &str) -> String {
    let (code, display) =
        CONDITIONS[usize::try_from(rng.below(CONDITIONS.len() as u64)).unwrap_or(0)];
    format!(
        r#"{{"resourceType":"Condition","id":"{id}","clinicalStatus":{{"coding":[{{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}}]}},"code":{{"coding":[{{"system":"http://snomed.info/sct","code":"{code}","display":"{display}"}}],"text":"{display}"}},"subject":{{"reference":"Patient/{patient}"}},"encounter":{{"reference":"Encounter/{encounter}"}},"onsetDateTime":"{}"}}"#,
        rng.datetime()
    )
}

/// An Observation; `subject` None leaves the subject out (the missing-field fault).
pub(crate) fn observation(
    rng: &mut Rng,
    id: &str,
    subject: Option<&str>,
    encounter: &str,
) -> String {
    let (code, display, unit, ucum) =
        VITALS[usize::try_from(rng.below(VITALS.len() as u64)).unwrap_or(0)];
    let value = 20 + rng.below(180);
    let tenth = rng.below(10);
    let mut s = format!(
        r#"{{"resourceType":"Observation","id":"{id}","meta":{{"lastUpdated":"{}"}},"status":"final","category":[{{"coding":[{{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs","display":"Vital Signs"}}]}}],"code":{{"coding":[{{"system":"http://loinc.org","code":"{code}","display":"{display}"}}],"text":"{display}"}},"#,
        rng.datetime()
    );
    if let Some(subject) = subject {
        let _ = write!(s, r#""subject":{{"reference":"Patient/{subject}"}},"#);
    }
    let _ = write!(
        s,
        r#""encounter":{{"reference":"Encounter/{encounter}"}},"effectiveDateTime":"{}","valueQuantity":{{"value":{value}.{tenth},"unit":"{unit}","system":"http://unitsofmeasure.org","code":"{ucum}"}}}}"#,
        rng.datetime()
    );
    s
}

/// Resource `index` of `resource_type` (`Patient`, `Encounter`, `Condition` or
/// `Observation`) as one line of JSON; the same for the same `(seed, resource_type,
/// index)`, so a server can answer any page in any order. Ids are `pat-N`, `enc-N`,
/// `cond-N`, `obs-N`; references stay inside the set: Patient `p` has Encounters `2p` and
/// `2p+1`, Condition `p` and Observations `3p` … `3p+2`. `None` for another type.
///
/// ```
/// use steadfast_validation::data::synthetic::resource;
///
/// let obs = resource(7, "Observation", 4).unwrap();
/// assert!(obs.contains(r#""id":"obs-4""#) && obs.contains(r#""reference":"Patient/pat-1""#));
/// assert_eq!(resource(7, "Observation", 4), Some(obs));
/// assert_eq!(resource(7, "Medication", 0), None);
/// ```
pub fn resource(seed: u64, resource_type: &str, index: u64) -> Option<String> {
    let kind = match resource_type {
        "Patient" => 1,
        "Encounter" => 2,
        "Condition" => 3,
        "Observation" => 4,
        _ => return None,
    };
    // One generator per resource, seeded from all three, so any index is random access.
    let mut rng = Rng::new(steadfast_core::SplitMix64::new(seed ^ (kind << 56) ^ index).next_u64());
    Some(match kind {
        1 => patient(&mut rng, &format!("pat-{index}")),
        2 => encounter(
            &mut rng,
            &format!("enc-{index}"),
            &format!("pat-{}", index / 2),
        ),
        3 => condition(
            &mut rng,
            &format!("cond-{index}"),
            &format!("pat-{index}"),
            &format!("enc-{}", index * 2),
        ),
        _ => {
            let patient = index / 3;
            observation(
                &mut rng,
                &format!("obs-{index}"),
                Some(&format!("pat-{patient}")),
                &format!("enc-{}", patient * 2 + index % 2),
            )
        }
    })
}
