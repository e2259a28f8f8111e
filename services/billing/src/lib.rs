//! Billing: invoices, marketplace fees and settlements, payouts, a
//! double-entry ledger and margin (issue 14). Built in steps; so far the
//! reading of Amazon's V2 flat-file settlement report (`domain::settlement`),
//! pure and unit-tested, which the service's import will apply.

pub mod domain;
