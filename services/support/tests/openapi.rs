//! The committed OpenAPI document is what the code serves. Regenerate it with
//! `make openapi` when a contract changes, so the change shows in review.

#[test]
fn committed_openapi_matches_the_code() {
    platform::testing::assert_committed_openapi(&support::service());
}
