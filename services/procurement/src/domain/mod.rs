//! Procurement rules, free of I/O: forecasts, when and how much to reorder,
//! and landed costs.

pub mod forecast;
pub mod landed_cost;
pub mod replenishment;
