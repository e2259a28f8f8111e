ALTER TABLE channel_updates DROP COLUMN refund;
ALTER TABLE channel_update_queue DROP COLUMN refund;
ALTER TABLE order_lines DROP COLUMN refunded_amount, DROP COLUMN returned_quantity;
DROP TABLE order_refunds;
