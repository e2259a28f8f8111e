DROP TABLE sku_margins_daily, channel_margins_daily, order_margins;
ALTER TABLE documents DROP COLUMN paid_by;
ALTER TABLE settlements DROP COLUMN paid_by;
DROP TABLE bank_lines, bank_statements;
