//! Procurement: demand history, forecasts, reorder rules, purchase orders and
//! the receipts that refill stock (issue 13). Built in steps; so far the
//! forecasting rules (`domain::forecast`), pure and unit-tested, which the
//! service's background job will run over each SKU's demand history.

pub mod domain;
