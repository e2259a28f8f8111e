//! The committed OpenAPI document matches the code (`make openapi` regenerates it).

#[test]
fn committed_openapi_document_is_current() {
    let path =
        std::path::PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"))
            .join("../../docs/openapi/orders.json");
    let committed =
        std::fs::read_to_string(&path).expect("docs/openapi/orders.json exists (run make openapi)");
    let current = platform::openapi_json(&orders::service());
    assert!(
        committed.trim_end() == current.trim_end(),
        "docs/openapi/orders.json is stale: run `make openapi` and commit the result"
    );
}
