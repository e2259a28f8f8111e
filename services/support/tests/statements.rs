//! One store style: raw SQL, every statement of the service and the platform
//! prepared against the migrated database (docs/architecture.md, "Store").

#[tokio::test]
async fn every_statement_prepares_against_the_migrated_schema() {
    let app = platform::testing::TestApp::spawn(&support::service()).await;
    platform::testing::statements::assert_all_prepare(&app).await;
}
