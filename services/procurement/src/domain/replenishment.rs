//! When and how much to reorder a SKU at a location.
//!
//! Inventory position = on hand − reserved − backordered + on order. A rule
//! reorders when the position falls to its reorder point: for a min/max rule
//! the min (ordering up to the max), for a forecast-driven one the demand
//! forecast over the supplier's lead time plus safety stock, with
//! safety stock = z(service level) × √(LT × σd² + d² × σLT²) (demand and
//! lead time both uncertain; days and units per day). The lead time's mean
//! and spread are learned from actual receipts, and the supplier's promise
//! stands in until there are enough of them. Quantities are whole units.

/// Receipts needed before the learned lead time replaces the promised one.
pub const MIN_RECEIPTS: usize = 3;

/// What a SKU × location stands at, in units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    pub on_hand: i64,
    pub reserved: i64,
    pub backordered: i64,
    pub on_order: i64,
}

impl Position {
    /// What is free to serve future demand, counting what is on its way.
    pub fn inventory_position(&self) -> i64 {
        self.on_hand - self.reserved - self.backordered + self.on_order
    }
}

/// A supplier's lead time in days: mean and standard deviation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LeadTime {
    pub mean_days: f64,
    pub sd_days: f64,
    /// Learned from receipts (else the supplier's promise, with no spread).
    pub learned: bool,
}

impl LeadTime {
    /// From the lead times of actual receipts (days from approval to
    /// receipt), or the promised lead time until there are [`MIN_RECEIPTS`].
    pub fn from_receipts(promised_days: u32, receipts: &[f64]) -> Self {
        if receipts.len() < MIN_RECEIPTS {
            return Self {
                mean_days: f64::from(promised_days),
                sd_days: 0.0,
                learned: false,
            };
        }
        let n = receipts.len() as f64;
        let mean = receipts.iter().sum::<f64>() / n;
        // Sample standard deviation: a handful of receipts understates spread otherwise.
        let var = receipts.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0);
        Self {
            mean_days: mean,
            sd_days: var.sqrt(),
            learned: true,
        }
    }
}

/// z for a cycle service level (probability of no stock-out in a cycle),
/// e.g. 0.95 → 1.645. Levels are clamped to 50 %-99.99 %.
pub fn z_for(service_level: f64) -> f64 {
    distrs::Normal::ppf(service_level.clamp(0.5, 0.9999), 0.0, 1.0)
}

/// Safety stock in units: z × √(LT × σd² + d² × σLT²).
pub fn safety_stock(service_level: f64, lead: LeadTime, demand_mean: f64, demand_sd: f64) -> f64 {
    let variance = lead.mean_days * demand_sd.powi(2) + demand_mean.powi(2) * lead.sd_days.powi(2);
    z_for(service_level) * variance.max(0.0).sqrt()
}

/// How a SKU × location is reordered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rule {
    /// Reorder at `min`, up to `max`.
    MinMax { min: i64, max: i64 },
    /// Reorder point from the forecast: demand over the lead time plus
    /// safety stock at `service_level`; order up to that plus `cover_days`
    /// of forecast demand.
    Forecast { service_level: f64, cover_days: f64 },
}

/// What a SKU × location needs now, and the figures behind it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Need {
    pub position: i64,
    pub reorder_point: i64,
    pub order_up_to: i64,
    /// Forecast demand over the lead time (forecast rules).
    pub lead_time_demand: f64,
    pub safety_stock: f64,
    /// Units to order before rounding to the supplier's terms; 0 above the
    /// reorder point.
    pub units: i64,
}

/// The need of a position under a rule. `demand_mean` and `demand_sd` are
/// the forecast's daily mean and spread over the lead time.
pub fn need(
    position: Position,
    rule: Rule,
    lead: LeadTime,
    demand_mean: f64,
    demand_sd: f64,
) -> Need {
    let at = position.inventory_position();
    let (reorder_point, order_up_to, lead_time_demand, safety) = match rule {
        Rule::MinMax { min, max } => (min, max.max(min), 0.0, 0.0),
        Rule::Forecast {
            service_level,
            cover_days,
        } => {
            let lead_time_demand = demand_mean * lead.mean_days;
            let safety = safety_stock(service_level, lead, demand_mean, demand_sd);
            let rop = (lead_time_demand + safety).ceil() as i64;
            let up_to = (lead_time_demand + safety + demand_mean * cover_days).ceil() as i64;
            (rop, up_to.max(rop), lead_time_demand, safety)
        }
    };
    let units = if at <= reorder_point {
        (order_up_to - at).max(0)
    } else {
        0
    };
    Need {
        position: at,
        reorder_point,
        order_up_to,
        lead_time_demand,
        safety_stock: safety,
        units,
    }
}

/// Units to order from a supplier for `need` units: at least its minimum
/// order quantity, rounded up to whole packs (`pack` 1 for single units).
pub fn order_quantity(need: i64, moq: i64, pack: i64) -> i64 {
    if need <= 0 {
        return 0;
    }
    let pack = pack.max(1);
    let units = need.max(moq);
    (units + pack - 1) / pack * pack
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(got: f64, want: f64, tolerance: f64) -> bool {
        (got - want).abs() <= tolerance
    }

    #[test]
    fn position_counts_what_is_free_and_what_is_coming() {
        let p = Position {
            on_hand: 40,
            reserved: 15,
            backordered: 5,
            on_order: 30,
        };
        assert_eq!(p.inventory_position(), 50);
    }

    #[test]
    fn the_promise_stands_until_there_are_enough_receipts() {
        let promised = LeadTime::from_receipts(10, &[12.0, 14.0]);
        assert_eq!(
            (promised.mean_days, promised.sd_days, promised.learned),
            (10.0, 0.0, false)
        );
        let learned = LeadTime::from_receipts(10, &[12.0, 14.0, 16.0]);
        assert_eq!(
            (learned.mean_days, learned.sd_days, learned.learned),
            (14.0, 2.0, true)
        );
    }

    #[test]
    fn safety_stock_covers_both_uncertainties() {
        assert!(close(z_for(0.95), 1.6449, 1e-3));
        assert!(close(z_for(0.5), 0.0, 1e-9));
        // Demand only: z √(LT σd²) = 1.645 × √(16 × 9) = 19.74.
        let fixed = LeadTime {
            mean_days: 16.0,
            sd_days: 0.0,
            learned: false,
        };
        assert!(close(safety_stock(0.95, fixed, 10.0, 3.0), 19.74, 0.01));
        // Lead time spread too: √(16 × 9 + 100 × 4) = √544 → 38.37.
        let spread = LeadTime {
            sd_days: 2.0,
            ..fixed
        };
        assert!(close(safety_stock(0.95, spread, 10.0, 3.0), 38.37, 0.01));
    }

    #[test]
    fn a_position_at_its_reorder_point_orders_up_to_the_target() {
        let lead = LeadTime {
            mean_days: 7.0,
            sd_days: 0.0,
            learned: false,
        };
        let rule = Rule::Forecast {
            service_level: 0.95,
            cover_days: 14.0,
        };
        // d = 10/day, σd = 0 → reorder point 70, order up to 70 + 140.
        let low = Position {
            on_hand: 60,
            ..Position::default()
        };
        let n = need(low, rule, lead, 10.0, 0.0);
        assert_eq!((n.reorder_point, n.order_up_to, n.units), (70, 210, 150));
        assert!(close(n.lead_time_demand, 70.0, 1e-9));
        let fine = Position {
            on_hand: 71,
            ..Position::default()
        };
        assert_eq!(
            need(fine, rule, lead, 10.0, 0.0).units,
            0,
            "above the reorder point"
        );
        let minmax = need(low, Rule::MinMax { min: 60, max: 100 }, lead, 0.0, 0.0);
        assert_eq!((minmax.reorder_point, minmax.units), (60, 40));
    }

    #[test]
    fn orders_respect_minimum_and_packs() {
        assert_eq!(order_quantity(7, 1, 12), 12);
        assert_eq!(order_quantity(13, 1, 12), 24);
        assert_eq!(order_quantity(5, 50, 12), 60, "MOQ 50 in packs of 12");
        assert_eq!(order_quantity(0, 50, 12), 0, "no need, no order");
        assert_eq!(order_quantity(3, 0, 0), 3);
    }
}
