//! Valid FHIR R4 resources of nine types for [`super`]: required elements present, codings
//! with system and code, references, extensions with `url`, sometimes a `_birthDate`-style
//! primitive extension or a `contained` resource.

use serde_json::{Value, json};

use super::super::synthetic::Rng;

const SCT: &str = "http://snomed.info/sct";
const LOINC: &str = "http://loinc.org";
const UCUM: &str = "http://unitsofmeasure.org";
const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
const THO: &str = "http://terminology.hl7.org/CodeSystem/";
const FAMILY: &[&str] = &["Smith", "Garcia", "Nguyen", "Okafor", "Müller", "Haddad"];
const GIVEN: &[&str] = &["Ana", "James", "Li", "Fatima", "Olga", "Kwame"];

fn coding(system: &str, code: &str, display: &str) -> Value {
    json!({"system": system, "code": code, "display": display})
}

fn concept(system: &str, code: &str, display: &str) -> Value {
    json!({"coding": [coding(system, code, display)], "text": display})
}

fn one<T: Copy>(rng: &mut Rng, items: &[T]) -> T {
    items[usize::try_from(rng.below(items.len() as u64)).unwrap_or(0)]
}

fn reference(rng: &mut Rng, ty: &str) -> Value {
    json!({"reference": format!("{ty}/{}", rng.uuid())})
}

pub(super) fn patient(rng: &mut Rng, id: &str) -> Value {
    let birth = rng.date(1935, 85);
    let mut p = json!({
        "resourceType": "Patient", "id": id, "meta": {"lastUpdated": rng.datetime()},
        "identifier": [{"use": "usual", "system": "http://hospital.example.org/mrn",
            "value": format!("MRN{:08}", rng.below(100_000_000))}],
        "active": rng.below(5) > 0,
        "name": [{"use": "official", "family": rng.pick(FAMILY), "given": [rng.pick(GIVEN), rng.pick(GIVEN)]}],
        "telecom": [{"system": "phone", "value": format!("555-01{:02}", rng.below(100)),
            "use": rng.pick(&["home", "work", "mobile"])}],
        "gender": rng.pick(&["female", "male", "other", "unknown"]), "birthDate": birth,
        "address": [{"use": "home", "line": [format!("{} Main St", 1 + rng.below(900))],
            "city": "Springfield", "state": "MA", "postalCode": format!("0{:04}", rng.below(10_000))}],
        "communication": [{"language": concept("urn:ietf:bcp:47", "en", "English"), "preferred": true}],
    });
    if rng.below(3) == 0 {
        p["_birthDate"] = json!({"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/patient-birthTime",
            "valueDateTime": format!("{birth}T{:02}:15:00Z", rng.below(24))}]});
    }
    if rng.below(2) == 0 {
        p["extension"] = json!([{"url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race",
            "extension": [
                {"url": "ombCategory", "valueCoding": coding("urn:oid:2.16.840.1.113883.6.238", "2106-3", "White")},
                {"url": "text", "valueString": "White"}]}]);
    }
    p
}

pub(super) fn encounter(rng: &mut Rng, id: &str) -> Value {
    let (class, display) = one(
        rng,
        &[
            ("AMB", "ambulatory"),
            ("IMP", "inpatient encounter"),
            ("EMER", "emergency"),
        ],
    );
    let start = rng.datetime();
    let mut e = json!({
        "resourceType": "Encounter", "id": id, "status": rng.pick(&["finished", "in-progress", "arrived"]),
        "class": coding(&format!("{THO}v3-ActCode"), class, display),
        "type": [concept(SCT, "185349003", "Encounter for check up")],
        "subject": reference(rng, "Patient"),
        "participant": [{"individual": reference(rng, "Practitioner")}],
        "period": {"start": start},
        "serviceProvider": reference(rng, "Organization"),
    });
    if rng.below(2) == 0 {
        e["reasonCode"] = json!([concept(SCT, "38341003", "Hypertensive disorder")]);
    }
    e
}

pub(super) fn condition(rng: &mut Rng, id: &str) -> Value {
    let (code, display) = one(
        rng,
        &[
            ("44054006", "Diabetes mellitus type 2"),
            ("195967001", "Asthma"),
            ("55822004", "Hyperlipidemia"),
        ],
    );
    let mut c = json!({
        "resourceType": "Condition", "id": id,
        "clinicalStatus": concept(&format!("{THO}condition-clinical"), "active", "Active"),
        "verificationStatus": concept(&format!("{THO}condition-ver-status"), "confirmed", "Confirmed"),
        "category": [concept(&format!("{THO}condition-category"), "problem-list-item", "Problem List Item")],
        "code": concept(SCT, code, display), "subject": reference(rng, "Patient"),
        "encounter": reference(rng, "Encounter"), "onsetDateTime": rng.datetime(), "recordedDate": rng.date(2019, 7),
    });
    if rng.below(3) == 0 {
        c["extension"] = json!([{"url": "http://hl7.org/fhir/StructureDefinition/condition-assertedDate",
            "valueDateTime": rng.datetime()}]);
    }
    c
}

fn quantity(value: f64, unit: &str, code: &str) -> Value {
    json!({"value": value, "unit": unit, "system": UCUM, "code": code})
}

pub(super) fn observation(rng: &mut Rng, id: &str) -> Value {
    let mut o = json!({
        "resourceType": "Observation", "id": id, "status": rng.pick(&["final", "amended", "preliminary"]),
        "subject": reference(rng, "Patient"), "encounter": reference(rng, "Encounter"),
        "effectiveDateTime": rng.datetime(), "issued": rng.datetime(),
    });
    let tenth =
        |rng: &mut Rng, from: u64, span: u64| (from * 10 + rng.below(span * 10)) as f64 / 10.0;
    match rng.below(3) {
        0 => {
            let (code, display, unit) = one(
                rng,
                &[
                    ("8867-4", "Heart rate", "/min"),
                    ("8310-5", "Body temperature", "Cel"),
                    ("29463-7", "Body weight", "kg"),
                    ("2339-0", "Glucose [Mass/volume] in Blood", "mg/dL"),
                ],
            );
            o["category"] = json!([concept(
                &format!("{THO}observation-category"),
                "vital-signs",
                "Vital Signs"
            )]);
            o["code"] = concept(LOINC, code, display);
            o["valueQuantity"] = quantity(tenth(rng, 30, 120), unit, unit);
            if rng.below(3) == 0 {
                o["interpretation"] = json!([concept(
                    &format!("{THO}v3-ObservationInterpretation"),
                    "N",
                    "Normal"
                )]);
            }
        }
        1 => {
            let (code, display) = one(
                rng,
                &[
                    ("449868002", "Smokes tobacco daily"),
                    ("8517006", "Ex-smoker"),
                    ("266919005", "Never smoked tobacco"),
                ],
            );
            o["category"] = json!([concept(
                &format!("{THO}observation-category"),
                "social-history",
                "Social History"
            )]);
            o["code"] = concept(LOINC, "72166-2", "Tobacco smoking status");
            o["valueCodeableConcept"] = concept(SCT, code, display);
        }
        _ => {
            o["category"] = json!([concept(
                &format!("{THO}observation-category"),
                "vital-signs",
                "Vital Signs"
            )]);
            o["code"] = concept(
                LOINC,
                "85354-9",
                "Blood pressure panel with all children optional",
            );
            o["component"] = json!([
                {"code": concept(LOINC, "8480-6", "Systolic blood pressure"),
                    "valueQuantity": quantity(tenth(rng, 95, 60), "mmHg", "mm[Hg]")},
                {"code": concept(LOINC, "8462-4", "Diastolic blood pressure"),
                    "valueQuantity": quantity(tenth(rng, 55, 40), "mmHg", "mm[Hg]")},
            ]);
        }
    }
    if rng.below(8) == 0 {
        o["note"] = json!([{"text": "Measured at rest."}]);
    }
    o
}

pub(super) fn medication_request(rng: &mut Rng, id: &str) -> Value {
    let (code, display) = one(
        rng,
        &[
            ("197361", "Amlodipine 5 MG Oral Tablet"),
            ("860975", "Metformin 500 MG Oral Tablet"),
            ("314076", "Lisinopril 10 MG Oral Tablet"),
        ],
    );
    let mut m = json!({
        "resourceType": "MedicationRequest", "id": id, "status": rng.pick(&["active", "completed", "stopped"]),
        "intent": "order", "subject": reference(rng, "Patient"), "encounter": reference(rng, "Encounter"),
        "authoredOn": rng.datetime(), "requester": reference(rng, "Practitioner"),
        "dosageInstruction": [{"sequence": 1, "text": "1 tablet by mouth daily",
            "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
            "route": concept(SCT, "26643006", "Oral route"),
            "doseAndRate": [{"type": concept(&format!("{THO}dose-rate-type"), "ordered", "Ordered"),
                "doseQuantity": {"value": 1, "unit": "tablet", "system": format!("{THO}v3-orderableDrugForm"), "code": "TAB"}}]}],
    });
    if rng.below(3) == 0 {
        m["contained"] = json!([{"resourceType": "Medication", "id": "med1", "code": concept(RXNORM, code, display),
            "form": concept(SCT, "385055001", "Tablet")}]);
        m["medicationReference"] = json!({"reference": "#med1", "display": display});
    } else {
        m["medicationCodeableConcept"] = concept(RXNORM, code, display);
    }
    m
}

pub(super) fn procedure(rng: &mut Rng, id: &str) -> Value {
    let (code, display) = one(
        rng,
        &[
            ("80146002", "Appendectomy"),
            ("73761001", "Colonoscopy"),
            ("387713003", "Surgical procedure"),
        ],
    );
    let mut p = json!({
        "resourceType": "Procedure", "id": id, "status": "completed", "code": concept(SCT, code, display),
        "subject": reference(rng, "Patient"), "encounter": reference(rng, "Encounter"),
        "performer": [{"function": concept(SCT, "304292004", "Surgeon"), "actor": reference(rng, "Practitioner")}],
    });
    if rng.below(2) == 0 {
        p["performedDateTime"] = json!(rng.datetime());
    } else {
        p["performedPeriod"] = json!({"start": rng.datetime(), "end": rng.datetime()});
    }
    p
}

pub(super) fn allergy(rng: &mut Rng, id: &str) -> Value {
    let (code, display, category) = one(
        rng,
        &[
            ("7980", "Penicillin G", "medication"),
            ("2670", "Codeine", "medication"),
        ],
    );
    let (food, food_display) = one(rng, &[("256349002", "Peanut"), ("102263004", "Eggs")]);
    let food_first = rng.below(2) == 0;
    let allergen = if food_first {
        concept(SCT, food, food_display)
    } else {
        concept(RXNORM, code, display)
    };
    json!({
        "resourceType": "AllergyIntolerance", "id": id,
        "clinicalStatus": concept(&format!("{THO}allergyintolerance-clinical"), "active", "Active"),
        "verificationStatus": concept(&format!("{THO}allergyintolerance-verification"), "confirmed", "Confirmed"),
        "type": "allergy", "category": [if food_first { "food" } else { category }],
        "criticality": rng.pick(&["low", "high", "unable-to-assess"]), "code": allergen,
        "patient": reference(rng, "Patient"), "recordedDate": rng.datetime(),
        "reaction": [{"manifestation": [concept(SCT, "271807003", "Eruption of skin")],
            "severity": rng.pick(&["mild", "moderate", "severe"])}],
    })
}

pub(super) fn immunization(rng: &mut Rng, id: &str) -> Value {
    let (code, display) = one(
        rng,
        &[
            ("140", "Influenza, seasonal, injectable, preservative free"),
            ("208", "COVID-19, mRNA, LNP-S, PF, 30 mcg/0.3 mL dose"),
        ],
    );
    json!({
        "resourceType": "Immunization", "id": id, "status": "completed",
        "vaccineCode": concept("http://hl7.org/fhir/sid/cvx", code, display),
        "patient": reference(rng, "Patient"), "occurrenceDateTime": rng.datetime(), "primarySource": true,
        "lotNumber": format!("LOT{:05}", rng.below(100_000)),
        "site": concept(&format!("{THO}v3-ActSite"), "LA", "left arm"),
        "route": concept(&format!("{THO}v3-RouteOfAdministration"), "IM", "Injection, intramuscular"),
        "doseQuantity": quantity(0.5, "mL", "mL"),
        "performer": [{"function": concept(&format!("{THO}v2-0443"), "AP", "Administering Provider"),
            "actor": reference(rng, "Practitioner")}],
    })
}

pub(super) fn report(rng: &mut Rng, id: &str) -> Value {
    let (code, display) = one(
        rng,
        &[
            (
                "24323-8",
                "Comprehensive metabolic 2000 panel - Serum or Plasma",
            ),
            ("58410-2", "CBC panel - Blood by Automated count"),
        ],
    );
    let mut r = json!({
        "resourceType": "DiagnosticReport", "id": id, "status": rng.pick(&["final", "preliminary", "amended"]),
        "category": [concept(&format!("{THO}v2-0074"), "LAB", "Laboratory")],
        "code": concept(LOINC, code, display), "subject": reference(rng, "Patient"),
        "effectiveDateTime": rng.datetime(), "issued": rng.datetime(),
        "result": [reference(rng, "Observation"), reference(rng, "Observation")],
    });
    if rng.below(2) == 0 {
        r["conclusion"] = json!("Within normal limits.");
    }
    r
}
