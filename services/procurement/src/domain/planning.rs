//! A replenishment run's decisions for one SKU × location, free of I/O:
//! which supplier to buy from and why, the lead time to plan with, the
//! demand over it from the SKU's forecast, and how many units to order.

use domain::Money;

use super::replenishment::{LeadTime, Need, Position, Rule, need, order_quantity, z_for};

/// What one supplier offers for the SKU.
#[derive(Debug, Clone, PartialEq)]
pub struct Offer {
    pub supplier_code: String,
    pub supplier_sku: String,
    pub unit_cost: Money,
    pub moq: i64,
    pub pack_size: i64,
    pub promised_days: u32,
    pub rank: i32,
    /// Lead times of past receipts from this supplier for the SKU, in days.
    pub receipts: Vec<f64>,
}

/// The SKU's daily demand forecast from today: expected units and the
/// interval at `level`, as the forecaster stored them.
#[derive(Debug, Clone, PartialEq)]
pub struct DemandForecast {
    pub point: Vec<f64>,
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
    pub level: f64,
}

impl DemandForecast {
    /// Mean daily demand and its standard deviation over the first `days`
    /// (at least one): the sd read back from the interval, whose half-width
    /// is z((1 + level) / 2) standard deviations.
    pub fn over(&self, days: f64) -> (f64, f64) {
        let n = (days.ceil() as usize).clamp(1, self.point.len().max(1));
        if self.point.is_empty() {
            return (0.0, 0.0);
        }
        let z = z_for((1.0 + self.level) / 2.0).max(1e-9);
        let mean = self.point[..n].iter().sum::<f64>() / n as f64;
        let variance = (0..n)
            .map(|i| ((self.upper[i] - self.lower[i]) / (2.0 * z)).powi(2))
            .sum::<f64>()
            / n as f64;
        (mean, variance.sqrt())
    }
}

/// One rule's decision: what to order from whom, and the figures behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    pub offer: Offer,
    pub lead: LeadTime,
    pub need: Need,
    /// Units to order: the need rounded up to the supplier's MOQ and packs.
    pub quantity: i64,
    pub supplier_reason: String,
}

/// Why a need could not be ordered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unsourced {
    /// No active supplier supplies the SKU.
    NoSupplier,
}

/// The offers in preference order: rank, then unit cost, then code.
pub fn rank_offers(mut offers: Vec<Offer>) -> Vec<Offer> {
    offers.sort_by(|a, b| {
        (a.rank, a.unit_cost.amount, &a.supplier_code).cmp(&(
            b.rank,
            b.unit_cost.amount,
            &b.supplier_code,
        ))
    });
    offers
}

/// Decides one SKU × location: None when the position is above the reorder
/// point. `share` is the part of the SKU's forecast demand this location
/// serves (1 when it is the only forecast-driven location).
pub fn propose(
    rule: Rule,
    position: Position,
    offers: &[Offer],
    forecast: Option<&DemandForecast>,
    share: f64,
) -> Result<Option<Proposal>, Unsourced> {
    let ranked = rank_offers(offers.to_vec());
    let Some(offer) = ranked.first().cloned() else {
        // Only a real need without a supplier is worth reporting.
        let n = need(position, rule, LeadTime::from_receipts(0, &[]), 0.0, 0.0);
        return if n.units > 0 {
            Err(Unsourced::NoSupplier)
        } else {
            Ok(None)
        };
    };
    let lead = LeadTime::from_receipts(offer.promised_days, &offer.receipts);
    let (mean, sd) = forecast
        .map(|f| f.over(lead.mean_days))
        .unwrap_or((0.0, 0.0));
    let n = need(position, rule, lead, mean * share, sd * share.sqrt());
    if n.units <= 0 {
        return Ok(None);
    }
    let quantity = order_quantity(n.units, offer.moq, offer.pack_size);
    let lead_text = if lead.learned {
        format!(
            "lead time {:.1} ± {:.1} days learned from {} receipts",
            lead.mean_days,
            lead.sd_days,
            offer.receipts.len()
        )
    } else {
        format!("lead time {} days as promised", offer.promised_days)
    };
    let choice = if ranked.len() == 1 {
        format!("{}: the only active supplier", offer.supplier_code)
    } else {
        format!(
            "{}: first of {} active suppliers by preferred rank (rank {}), then cost",
            offer.supplier_code,
            ranked.len(),
            offer.rank
        )
    };
    let supplier_reason = format!(
        "{choice}; {} {} a unit, MOQ {}, packs of {}, {}",
        offer.unit_cost.amount.normalize(),
        offer.unit_cost.currency,
        offer.moq,
        offer.pack_size,
        lead_text
    );
    Ok(Some(Proposal {
        offer,
        lead,
        need: n,
        quantity,
        supplier_reason,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(code: &str, rank: i32, cost: &str) -> Offer {
        Offer {
            supplier_code: code.into(),
            supplier_sku: format!("{code}-1"),
            unit_cost: Money::parse(cost, "EUR").unwrap(),
            moq: 48,
            pack_size: 12,
            promised_days: 7,
            rank,
            receipts: Vec::new(),
        }
    }

    fn flat(daily: f64, days: usize) -> DemandForecast {
        DemandForecast {
            point: vec![daily; days],
            lower: vec![daily; days],
            upper: vec![daily; days],
            level: 0.9,
        }
    }

    #[test]
    fn the_preferred_rank_wins_then_the_cheaper() {
        let ranked = rank_offers(vec![
            offer("B", 2, "1.00"),
            offer("C", 1, "3.00"),
            offer("A", 1, "2.00"),
        ]);
        let codes: Vec<&str> = ranked.iter().map(|o| o.supplier_code.as_str()).collect();
        assert_eq!(codes, ["A", "C", "B"]);
    }

    #[test]
    fn a_forecast_rule_orders_lead_time_demand_and_cover_in_whole_packs() {
        // 10 a day, no spread, 7 days' lead: reorder point 70, up to 70 + 140.
        let rule = Rule::Forecast {
            service_level: 0.95,
            cover_days: 14.0,
        };
        let low = Position {
            on_hand: 30,
            reserved: 5,
            backordered: 0,
            on_order: 12,
        };
        let p = propose(rule, low, &[offer("A", 1, "2")], Some(&flat(10.0, 90)), 1.0)
            .unwrap()
            .unwrap();
        assert_eq!(p.need.position, 37);
        assert_eq!(p.need.reorder_point, 70);
        assert_eq!(p.need.units, 210 - 37);
        assert_eq!(p.quantity, 180, "173 rounded up to packs of 12");
        assert!(
            p.supplier_reason.contains("lead time 7 days as promised"),
            "{}",
            p.supplier_reason
        );
        // Half the SKU's demand at this location: half the reorder point.
        let lower = Position {
            on_hand: 20,
            ..Position::default()
        };
        let half = propose(
            rule,
            lower,
            &[offer("A", 1, "2")],
            Some(&flat(10.0, 90)),
            0.5,
        )
        .unwrap()
        .unwrap();
        assert_eq!(half.need.reorder_point, 35);
        assert_eq!(half.need.order_up_to, 35 + 70);
        let high = Position {
            on_hand: 80,
            ..Position::default()
        };
        assert_eq!(
            propose(
                rule,
                high,
                &[offer("A", 1, "2")],
                Some(&flat(10.0, 90)),
                1.0
            ),
            Ok(None)
        );
    }

    #[test]
    fn learned_lead_times_replace_the_promise() {
        let rule = Rule::Forecast {
            service_level: 0.95,
            cover_days: 0.0,
        };
        let mut slow = offer("A", 1, "2");
        slow.receipts = vec![9.0, 10.0, 11.0];
        let p = propose(
            rule,
            Position::default(),
            &[slow],
            Some(&flat(10.0, 90)),
            1.0,
        )
        .unwrap()
        .unwrap();
        assert!(p.lead.learned);
        // 10 days of 10 a day, plus z(95 %) × √(100 × 1) = 16.45 for the spread.
        assert_eq!(p.need.reorder_point, 117);
        assert!(p.supplier_reason.contains("learned from 3 receipts"));
    }

    #[test]
    fn the_interval_gives_back_the_daily_spread() {
        let z = z_for(0.95);
        let f = DemandForecast {
            point: vec![10.0; 3],
            lower: vec![10.0 - 2.0 * z; 3],
            upper: vec![10.0 + 2.0 * z; 3],
            level: 0.9,
        };
        let (mean, sd) = f.over(3.0);
        assert!((mean - 10.0).abs() < 1e-9);
        assert!((sd - 2.0).abs() < 1e-9, "{sd}");
    }

    #[test]
    fn a_need_without_a_supplier_is_reported_not_dropped() {
        let rule = Rule::MinMax { min: 10, max: 50 };
        assert_eq!(
            propose(rule, Position::default(), &[], None, 1.0),
            Err(Unsourced::NoSupplier)
        );
        let fine = Position {
            on_hand: 20,
            ..Position::default()
        };
        assert_eq!(propose(rule, fine, &[], None, 1.0), Ok(None));
    }
}
