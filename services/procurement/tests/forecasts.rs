//! Forecasts computed by the background job from imported history: the
//! method per demand class, intervals, backtest figures, per-channel
//! forecasts, and settings that recompute them.

mod common;

use chrono::Utc;
use common::*;
use platform::testing::fields;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn f64s(v: &Value, key: &str) -> Vec<f64> {
    v["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d[key].as_f64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_weekly_pattern_is_forecast_with_seasonal_smoothing_and_intervals() {
    let app = app().await;
    seed_skus(&app, &["FC-WEEK"]).await;
    // 20 a day on weekdays, 50 on Saturdays, 5 on Sundays, for 26 weeks,
    // with a deterministic ±2 of noise (a noiseless series leaves the naive
    // baseline no error to scale by).
    let level = |weekday: u32| match weekday {
        5 => 50,
        6 => 5,
        _ => 20,
    };
    let noisy = |i: i64, weekday: u32| level(weekday) + (i * 7919) % 5 - 2;
    import_ok(&app, &history_csv("FC-WEEK", "web", 182, noisy)).await;
    let f = forecast_when(&app, "/v1/forecasts/FC-WEEK", |_| true).await;
    assert_eq!(f["class"], "smooth", "{f}");
    assert_eq!(f["method"], "seasonal_ets");
    assert!(f["reason"].as_str().unwrap().contains("ADI"));
    assert_eq!(f["history_days"], 182);
    assert_eq!(f["channels"], json!(["web"]));
    let days = f["days"].as_array().unwrap();
    assert_eq!(days.len(), 90);
    assert_eq!(days[0]["date"], Utc::now().date_naive().to_string());
    let (point, lower, upper) = (f64s(&f, "point"), f64s(&f, "lower"), f64s(&f, "upper"));
    for i in 0..days.len() {
        assert!(lower[i] <= point[i] && point[i] <= upper[i], "day {i}");
    }
    // The weekly shape carries into the forecast: each forecast day is near
    // its weekday's level.
    for (i, d) in days.iter().enumerate().take(14) {
        let date: chrono::NaiveDate = d["date"].as_str().unwrap().parse().unwrap();
        use chrono::Datelike;
        let want = level(date.weekday().num_days_from_monday()) as f64;
        assert!(
            (point[i] - want).abs() < 3.0,
            "day {i}: {} vs {want}",
            point[i]
        );
    }
    // Smoothing beats repeating last week (MASE below 1), without bias.
    let backtest = &f["backtest"];
    assert_eq!(backtest["folds"], 4);
    assert!(backtest["mase"].as_f64().unwrap() < 1.0, "{backtest}");
    assert!(backtest["bias"].as_f64().unwrap().abs() < 1.0, "{backtest}");
}

#[tokio::test]
async fn intermittent_demand_gets_an_intermittent_method_per_channel_too() {
    let app = app().await;
    seed_skus(&app, &["FC-SPARSE"]).await;
    // Every fifth day 3 units on the web; every seventh day 1 unit on amazon.
    let mut csv = history_csv(
        "FC-SPARSE",
        "web",
        200,
        |i, _| if i % 5 == 0 { 3 } else { 0 },
    );
    csv.push_str(
        history_csv("FC-SPARSE", "amazon-de", 200, |i, _| i64::from(i % 7 == 0))
            .trim_start_matches("sku,channel,date,quantity\n"),
    );
    import_ok(&app, &csv).await;
    let total = forecast_when(&app, "/v1/forecasts/FC-SPARSE", |_| true).await;
    assert_eq!(total["channels"], json!(["amazon-de", "web"]));
    let web = forecast_when(&app, "/v1/forecasts/FC-SPARSE?channel=web", |_| true).await;
    assert_eq!(web["channel_id"], "web");
    assert_eq!(web["class"], "intermittent", "{web}");
    let method = web["method"].as_str().unwrap();
    assert!(method == "croston_sba" || method == "tsb", "{method}");
    // 3 units every 5 days: 0.6 a day.
    let rate = web["total"].as_f64().unwrap() / 90.0;
    assert!((rate - 0.6).abs() < 0.15, "rate {rate}");
    let (status, _) = app
        .get_json("/v1/forecasts/FC-SPARSE?channel=tiktok", &buyer())
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn new_settings_recompute_every_forecast() {
    let app = app().await;
    seed_skus(&app, &["FC-SET"]).await;
    import_ok(&app, &history_csv("FC-SET", "web", 60, |_, _| 10)).await;
    forecast_when(&app, "/v1/forecasts/FC-SET", |_| true).await;

    let res = app
        .client
        .put(app.url("/v1/forecast-settings"))
        .bearer_auth(buyer())
        .json(&json!({"horizon_days": 3, "interval_level": 1.5, "max_history_days": 28}))
        .send()
        .await
        .unwrap();
    let body = platform::testing::problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(fields(&body), ["horizon_days", "interval_level"]);

    let res = app
        .client
        .put(app.url("/v1/forecast-settings"))
        .bearer_auth(buyer())
        .json(&json!({"horizon_days": 30, "interval_level": 0.8, "max_history_days": 28}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let f = forecast_when(&app, "/v1/forecasts/FC-SET", |f| {
        f["days"].as_array().unwrap().len() == 30
    })
    .await;
    assert_eq!(f["level"], 0.8);
    assert_eq!(f["history_days"], 28);
}

#[tokio::test]
async fn no_forecast_without_history() {
    let app = app().await;
    let (status, body) = app.get_json("/v1/forecasts/NONE-1", &buyer()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("no demand history")
    );
}
