//! Returns at the return location: which line a scanned unit belongs to,
//! and whether an inspection grades every received unit exactly once.

use std::collections::BTreeMap;

use domain::FieldError;
use domain::contracts::warehouse::{InspectionLineInput, ReturnGrade};

/// A line of an expected return as the floor counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnLine {
    pub line_no: i32,
    pub sku: String,
    pub gtin: Option<String>,
    pub expected: i64,
    pub received: i64,
}

/// The line a scan of `item` × `quantity` goes to: the first matching line
/// with room; else why not.
pub fn line_for(lines: &[ReturnLine], item: &str, quantity: i64) -> Result<i32, String> {
    let matching: Vec<&ReturnLine> = lines
        .iter()
        .filter(|l| super::item_matches(item, &l.sku, l.gtin.as_deref()) || item.trim() == l.sku)
        .collect();
    if matching.is_empty() {
        return Err(format!("'{}' is not an item of this return", item.trim()));
    }
    matching
        .iter()
        .find(|l| l.expected - l.received >= quantity)
        .map(|l| l.line_no)
        .ok_or_else(|| {
            let left: i64 = matching.iter().map(|l| l.expected - l.received).sum();
            format!(
                "only {left} more unit(s) of {} are expected back",
                matching[0].sku
            )
        })
}

/// A line's units by grade.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Graded {
    pub resellable: i64,
    pub refurbish: i64,
    pub scrap: i64,
}

impl Graded {
    pub fn total(&self) -> i64 {
        self.resellable + self.refurbish + self.scrap
    }
}

/// Each line's units by grade, by line number.
pub type Grades = BTreeMap<i32, Graded>;

/// Each line's units by grade, when the grades cover exactly the units
/// received.
pub fn grades(
    lines: &[ReturnLine],
    input: &[InspectionLineInput],
) -> Result<Grades, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut out = Grades::new();
    for (i, g) in input.iter().enumerate() {
        if !lines.iter().any(|l| l.line_no == g.line_no) {
            errors.push(FieldError::new(
                format!("grades[{i}].line_no"),
                format!("the return has no line {}", g.line_no),
            ));
            continue;
        }
        let e = out.entry(g.line_no).or_default();
        match g.grade {
            ReturnGrade::Resellable => e.resellable += g.quantity,
            ReturnGrade::Refurbish => e.refurbish += g.quantity,
            ReturnGrade::Scrap => e.scrap += g.quantity,
        }
    }
    for l in lines {
        let graded = out.get(&l.line_no).map_or(0, Graded::total);
        if graded != l.received {
            errors.push(FieldError::new(
                "grades",
                format!(
                    "line {} ({}): {} unit(s) received, {graded} graded",
                    l.line_no, l.sku, l.received
                ),
            ));
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines() -> Vec<ReturnLine> {
        vec![
            ReturnLine {
                line_no: 1,
                sku: "MUG-1".into(),
                gtin: None,
                expected: 2,
                received: 2,
            },
            ReturnLine {
                line_no: 2,
                sku: "TEA-1".into(),
                gtin: None,
                expected: 1,
                received: 0,
            },
        ]
    }

    #[test]
    fn scans_go_to_a_line_with_room() {
        let mut ls = lines();
        ls[0].received = 1;
        assert_eq!(line_for(&ls, "MUG-1", 1), Ok(1));
        assert!(
            line_for(&ls, "MUG-1", 2)
                .unwrap_err()
                .contains("only 1 more")
        );
        assert!(
            line_for(&ls, "LAMP-9", 1)
                .unwrap_err()
                .contains("not an item")
        );
    }

    #[test]
    fn every_received_unit_is_graded_once() {
        let g = |line_no, grade, quantity| InspectionLineInput {
            line_no,
            grade,
            quantity,
        };
        let ok = grades(
            &lines(),
            &[
                g(1, ReturnGrade::Resellable, 1),
                g(1, ReturnGrade::Scrap, 1),
            ],
        )
        .unwrap();
        assert_eq!(
            ok[&1],
            Graded {
                resellable: 1,
                refurbish: 0,
                scrap: 1
            }
        );
        let short = grades(&lines(), &[g(1, ReturnGrade::Resellable, 1)]).unwrap_err();
        assert_eq!(short[0].field, "grades");
        assert!(short[0].message.contains("2 unit(s) received, 1 graded"));
        let unknown = grades(
            &lines(),
            &[g(7, ReturnGrade::Scrap, 1), g(1, ReturnGrade::Scrap, 2)],
        )
        .unwrap_err();
        assert_eq!(unknown[0].field, "grades[0].line_no");
        let too_many = grades(
            &lines(),
            &[g(1, ReturnGrade::Scrap, 2), g(2, ReturnGrade::Scrap, 1)],
        )
        .unwrap_err();
        assert!(too_many[0].message.contains("line 2"));
    }
}
