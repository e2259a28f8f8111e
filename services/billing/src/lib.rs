//! Billing: invoices, marketplace fees and settlements, payouts, a
//! double-entry ledger and margin (issue 14). Built in steps; so far the
//! reading of Amazon's V2 flat-file settlement report (`domain::settlement`)
//! and sales tax with an explicit rounding rule (`domain::tax`), pure and
//! unit-tested, which the service will apply.

pub mod domain;
