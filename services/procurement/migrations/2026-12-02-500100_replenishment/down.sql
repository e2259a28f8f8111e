DROP TABLE lead_time_samples;
DROP TABLE purchase_order_lines;
DROP TABLE purchase_orders;
DROP SEQUENCE purchase_order_numbers;
DROP TABLE replenishment_runs;
DROP TABLE reorder_rules;
DROP TABLE stock_levels;
