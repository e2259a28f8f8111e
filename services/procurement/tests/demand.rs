//! Demand history: projected from orders' events (net of cancellations,
//! stock-outs flagged) and imported from CSV (validated whole, idempotent).

mod common;

use chrono::{TimeZone, Utc};
use common::*;
use platform::testing::{fields, problem};
use reqwest::StatusCode;
use serde_json::Value;

fn day<'a>(view: &'a Value, date: &str) -> &'a Value {
    view["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["date"] == date)
        .unwrap_or_else(|| panic!("no {date} in {view}"))
}

#[tokio::test]
async fn orders_become_daily_demand_net_of_cancellations() {
    let app = app().await;
    seed_skus(&app, &["DEM-A", "DEM-B"]).await;
    let nov20 = Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap();
    let nov21 = Utc.with_ymd_and_hms(2026, 11, 21, 23, 59, 0).unwrap();
    let first = place(&app, "web", nov20, &[("DEM-A", 3), ("DEM-B", 1)]).await;
    place(&app, "web", nov20, &[("DEM-A", 2)]).await;
    place(&app, "amazon-de", nov20, &[("DEM-A", 5)]).await;
    place(&app, "web", nov21, &[("DEM-A", 1)]).await;
    let range = "from=2026-11-19&to=2026-11-21";
    let all = demand(&app, "DEM-A", range).await;
    assert_eq!(day(&all, "2026-11-19")["quantity"], 0);
    assert_eq!(day(&all, "2026-11-20")["quantity"], 10);
    assert_eq!(day(&all, "2026-11-21")["quantity"], 1);
    assert_eq!(all["total"], 11);
    let web = demand(&app, "DEM-A", &format!("{range}&channel=web")).await;
    assert_eq!(day(&web, "2026-11-20")["quantity"], 5);

    // A cancellation takes back exactly what its order added, once, however
    // often it is delivered.
    cancel(&app, &first).await;
    cancel(&app, &first).await;
    let all = demand(&app, "DEM-A", range).await;
    assert_eq!(day(&all, "2026-11-20")["quantity"], 7);
    let b = demand(&app, "DEM-B", range).await;
    assert_eq!(day(&b, "2026-11-20")["quantity"], 0);
}

#[tokio::test]
async fn a_shortfall_flags_the_day_as_a_stock_out() {
    let app = app().await;
    seed_skus(&app, &["OUT-A"]).await;
    let at = Utc.with_ymd_and_hms(2026, 11, 22, 15, 0, 0).unwrap();
    place(&app, "web", at, &[("OUT-A", 4)]).await;
    reservation_failed(&app, "OUT-A", 4, at).await;
    let view = demand(&app, "OUT-A", "from=2026-11-21&to=2026-11-23").await;
    assert_eq!(day(&view, "2026-11-22")["stock_out"], true);
    assert_eq!(day(&view, "2026-11-22")["quantity"], 4);
    assert_eq!(day(&view, "2026-11-21")["stock_out"], false);
}

#[tokio::test]
async fn an_import_replaces_the_days_in_the_file_and_repeats_harmlessly() {
    let app = app().await;
    seed_skus(&app, &["IMP-A", "IMP-B"]).await;
    // Quoted fields, CRLF line ends, a BOM and columns in another order, as
    // spreadsheet exports write them.
    let csv = "\u{feff}date,quantity,sku,channel\r\n\
               2026-10-01,4,IMP-A,web\r\n\
               2026-10-02,\"6\",IMP-A,web\r\n\
               2026-10-01,1,imp-b,amazon-de\r\n";
    let summary = import_ok(&app, csv).await;
    assert_eq!(summary["rows"], 3);
    assert_eq!(summary["days_written"], 3);
    assert_eq!(summary["skus"], 2);
    assert_eq!(summary["first_date"], "2026-10-01");
    let range = "from=2026-10-01&to=2026-10-02";
    let before = demand(&app, "IMP-A", range).await;
    assert_eq!(before["total"], 10);
    assert_eq!(demand(&app, "IMP-B", range).await["total"], 1);

    import_ok(&app, csv).await;
    assert_eq!(demand(&app, "IMP-A", range).await, before);

    // A corrected figure replaces the day; the other day is untouched.
    import_ok(&app, "sku,channel,date,quantity\nIMP-A,web,2026-10-02,9\n").await;
    let after = demand(&app, "IMP-A", range).await;
    assert_eq!(day(&after, "2026-10-01")["quantity"], 4);
    assert_eq!(day(&after, "2026-10-02")["quantity"], 9);
}

#[tokio::test]
async fn a_bad_row_names_its_line_and_column_and_nothing_is_applied() {
    let app = app().await;
    seed_skus(&app, &["BAD-A"]).await;
    import_ok(&app, "sku,channel,date,quantity\nBAD-A,web,2026-10-01,4\n").await;
    let range = "from=2026-10-01&to=2026-10-03";
    let before = demand(&app, "BAD-A", range).await;

    let csv = "sku,channel,date,quantity\n\
               BAD-A,web,2026-10-01,40\n\
               BAD-A,web,2026-10-02,-1\n\
               BAD-A,web,2026-13-01,2\n";
    let body = problem(import(&app, csv).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{body}");
    assert_eq!(errors[0]["field"], "quantity");
    assert_eq!(errors[0]["line"], 3);
    assert_eq!(errors[0]["column"], 4);
    assert_eq!(errors[1]["field"], "date");
    assert_eq!(errors[1]["line"], 4);
    assert_eq!(errors[1]["column"], 3);
    assert_eq!(demand(&app, "BAD-A", range).await, before);

    // A SKU the catalog does not know is a bad row too.
    let body = problem(
        import(
            &app,
            "sku,channel,date,quantity\nBAD-A,web,2026-10-01,40\nNOPE-1,web,2026-10-01,1\n",
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(fields(&body), ["sku"]);
    assert_eq!(body["errors"][0]["line"], 3);
    assert_eq!(body["errors"][0]["column"], 1);
    assert_eq!(demand(&app, "BAD-A", range).await, before);
}

#[tokio::test]
async fn an_import_must_be_csv_from_a_buyer() {
    let app = app().await;
    let res = app
        .client
        .post(app.url("/v1/demand-history"))
        .bearer_auth(buyer())
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    let res = app
        .client
        .post(app.url("/v1/demand-history"))
        .bearer_auth(ops())
        .header("content-type", "text/csv")
        .body("sku,channel,date,quantity\n")
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn a_demand_range_is_checked() {
    let app = app().await;
    let (status, body) = app
        .get_json("/v1/demand/A-1?from=2026-10-05&to=2026-10-01", &buyer())
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&body), ["from"]);
    let (status, body) = app
        .get_json("/v1/demand/A-1?channel=Not%20A%20Channel", &buyer())
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&body), ["channel"]);
}
