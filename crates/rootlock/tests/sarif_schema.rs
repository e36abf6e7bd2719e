//! SARIF output validates against the OASIS SARIF 2.1.0 schema
//! (`testdata/sarif/sarif-schema-2.1.0.json`), on the real corpus and on
//! input errors.

mod common;

use common::{run, run_stdin, testdata};

fn validator() -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(testdata().join("sarif/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    jsonschema::draft7::new(&schema).expect("schema compiles")
}

fn assert_valid(v: &jsonschema::Validator, doc: &serde_json::Value) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF: {errors:#?}");
}

#[test]
fn sarif_for_the_real_corpus_is_valid() {
    let out = run(&[
        "scan",
        "--format",
        "sarif",
        testdata().join("real").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["runs"][0]["results"].as_array().unwrap().len() > 300);
    let v = validator();
    assert_valid(&v, &doc);
    // The validator really checks: a bad level is refused.
    let mut broken = doc.clone();
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!v.is_valid(&broken));
}

#[test]
fn sarif_with_input_errors_is_valid() {
    let out = run_stdin(&["scan", "--format", "sarif", "-"], b"kind: Pod\nspec: [\n");
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["runs"][0]["invocations"][0]["executionSuccessful"],
        false
    );
    assert_valid(&validator(), &doc);
}
