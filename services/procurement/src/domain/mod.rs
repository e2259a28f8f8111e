//! Procurement rules, free of I/O: demand-history files, forecasts, when and
//! how much to reorder, and landed costs.

pub mod forecast;
pub mod history_csv;
pub mod landed_cost;
pub mod replenishment;
