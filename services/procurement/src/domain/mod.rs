//! Procurement rules, free of I/O: demand series and history files,
//! forecasts, suppliers' terms, when and how much to reorder, and landed
//! costs.

pub mod demand;
pub mod forecast;
pub mod history_csv;
pub mod landed_cost;
pub mod planning;
pub mod purchase_orders;
pub mod replenishment;
pub mod suppliers;
