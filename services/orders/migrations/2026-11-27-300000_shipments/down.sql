ALTER TABLE channel_updates DROP COLUMN shipment;
ALTER TABLE channel_update_queue DROP COLUMN shipment;
DROP TABLE order_reallocations;
DROP TABLE order_shipments;
ALTER TABLE order_lines DROP COLUMN shipped_quantity;
-- NOT VALID: orders that already shipped keep their status; new rows are held
-- to the old list.
ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN
    ('received', 'reserved', 'confirmed', 'backordered', 'on_hold', 'cancelled')) NOT VALID;
