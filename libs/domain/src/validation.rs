//! Field-level validation errors that name the offending field, so an API can
//! answer bad input with a problem+json listing exactly what to fix.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One invalid field: a JSON-pointer-like path (`variants[0].barcode`) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
    /// For an uploaded file: the 1-based line of the problem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// For an uploaded file: the 1-based column (absent when the problem is
    /// the line as a whole).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u64>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
            line: None,
            column: None,
        }
    }

    /// A problem at a place in an uploaded file (`column` 0: the whole line).
    pub fn in_file(
        field: impl Into<String>,
        line: u64,
        column: u64,
        message: impl Into<String>,
    ) -> Self {
        Self {
            line: Some(line),
            column: (column > 0).then_some(column),
            ..Self::new(field, message)
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Why text with U+0000 is refused: PostgreSQL's text cannot hold it, and no
/// real name, address or code contains it.
pub const NUL_MESSAGE: &str = "must not contain the NUL character (U+0000)";

/// Collects every field error of a request instead of stopping at the first,
/// so a caller can fix all of them in one round trip.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    /// Runs a parse and records its error under `field`; returns the value if valid.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: impl Into<String>,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(err) => {
                self.push(field, err.to_string());
                None
            }
        }
    }

    /// Records an error for a required text field that is empty or only whitespace.
    pub fn require_text(&mut self, field: &str, value: &str, max_len: usize) {
        if value.contains('\0') {
            self.push(field, NUL_MESSAGE);
        } else if value.trim().is_empty() {
            self.push(field, "must not be empty");
        } else if value.chars().count() > max_len {
            self.push(field, format!("must be at most {max_len} characters"));
        }
    }

    /// Records an error when text holds U+0000 (files, events and other input
    /// that did not come through the HTTP extractors, which refuse it already).
    pub fn no_nul(&mut self, field: &str, value: &str) {
        if value.contains('\0') {
            self.push(field, NUL_MESSAGE);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn finish(self) -> Result<(), Vec<FieldError>> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }
}
