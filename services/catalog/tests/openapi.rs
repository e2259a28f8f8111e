//! The committed OpenAPI document is what the code serves. Regenerate it with
//! `make openapi` when a contract changes, so the change shows in review.

#[test]
fn committed_openapi_matches_the_code() {
    let generated = platform::openapi_json(&catalog::service());
    // Read at run time: a test binary may be reused from a shared target dir by
    // another checkout, and must check this checkout's file.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo test");
    let path = format!("{manifest_dir}/../../docs/openapi/catalog.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed.trim_end() == generated.trim_end(),
        "docs/openapi/catalog.json is out of date: run `make openapi` and commit it"
    );
}
