//! The committed OpenAPI document matches the code (`make openapi` regenerates it).

#[test]
fn committed_openapi_document_is_current() {
    let path =
        std::path::PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"))
            .join("../../docs/openapi/inventory.json");
    let committed = std::fs::read_to_string(&path)
        .expect("docs/openapi/inventory.json exists (run make openapi)");
    let current = platform::openapi_json(&inventory::service());
    assert!(
        committed.trim_end() == current.trim_end(),
        "docs/openapi/inventory.json is stale: run `make openapi` and commit the result"
    );
}
