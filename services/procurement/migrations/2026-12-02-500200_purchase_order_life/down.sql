DROP TABLE receipts;
DROP TABLE purchase_order_charges;
DROP TABLE purchase_order_history;
DROP TABLE approval_policy;
DROP TABLE approval_thresholds;
ALTER TABLE skus DROP COLUMN weight_grams, DROP COLUMN standard_cost_amount,
    DROP COLUMN standard_cost_currency;
ALTER TABLE purchase_orders DROP COLUMN approved_by, DROP COLUMN approved_at,
    DROP COLUMN sent_at, DROP COLUMN closed_at;
