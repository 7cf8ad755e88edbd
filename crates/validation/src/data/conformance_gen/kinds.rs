//! The resource types of the mix: each one's builder, weight, the min 1 elements it always
//! writes and the codes under required bindings, with a code outside each value set.

use serde_json::Value;

use super::super::synthetic::Rng;
use super::resources;

/// A resource type's builder, its weight in the mix, the JSON pointers of min-1 elements it
/// always writes, and codes under required bindings with a code outside each value set.
pub(super) struct Kind {
    pub(super) name: &'static str,
    pub(super) build: fn(&mut Rng, &str) -> Value,
    pub(super) weight: u64,
    pub(super) required: &'static [&'static str],
    pub(super) bound: &'static [(&'static str, &'static str)],
}

pub(super) const KINDS: &[Kind] = &[
    Kind {
        name: "Patient",
        build: resources::patient,
        weight: 12,
        required: &["/communication/0/language"],
        bound: &[
            ("/gender", "robot"),
            ("/telecom/0/system", "telegram"),
            ("/address/0/use", "holiday"),
            ("/name/0/use", "formal"),
            ("/identifier/0/use", "primary"),
        ],
    },
    Kind {
        name: "Encounter",
        build: resources::encounter,
        weight: 12,
        required: &["/status", "/class"],
        bound: &[("/status", "completed")],
    },
    Kind {
        name: "Condition",
        build: resources::condition,
        weight: 10,
        required: &["/subject"],
        bound: &[
            ("/clinicalStatus/coding/0/code", "current"),
            ("/verificationStatus/coding/0/code", "likely"),
        ],
    },
    Kind {
        name: "Observation",
        build: resources::observation,
        weight: 30,
        required: &["/status", "/code", "/component/0/code", "/component/1/code"],
        bound: &[("/status", "finished")],
    },
    Kind {
        name: "MedicationRequest",
        build: resources::medication_request,
        weight: 10,
        required: &["/status", "/intent", "/subject"],
        bound: &[("/status", "finished"), ("/intent", "prescription")],
    },
    Kind {
        name: "Procedure",
        build: resources::procedure,
        weight: 8,
        required: &["/status", "/subject", "/performer/0/actor"],
        bound: &[("/status", "done")],
    },
    Kind {
        name: "AllergyIntolerance",
        build: resources::allergy,
        weight: 6,
        required: &["/patient", "/reaction/0/manifestation"],
        bound: &[
            ("/criticality", "severe"),
            ("/type", "sensitivity"),
            ("/category/0", "drug"),
            ("/reaction/0/severity", "extreme"),
        ],
    },
    Kind {
        name: "Immunization",
        build: resources::immunization,
        weight: 6,
        required: &["/status", "/vaccineCode", "/patient", "/performer/0/actor"],
        bound: &[("/status", "given")],
    },
    Kind {
        name: "DiagnosticReport",
        build: resources::report,
        weight: 6,
        required: &["/status", "/code"],
        bound: &[("/status", "done")],
    },
];
