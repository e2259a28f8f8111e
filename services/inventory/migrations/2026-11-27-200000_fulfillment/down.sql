DROP TABLE reallocation_backorders;
DROP TABLE fulfillment_shipments;
-- NOT VALID: earlier ship and short_pick movements stay in the log; new rows
-- are held to the old list.
ALTER TABLE movements DROP CONSTRAINT movements_kind_check;
ALTER TABLE movements ADD CONSTRAINT movements_kind_check CHECK (kind IN
    ('receipt', 'cycle_count', 'damage', 'correction', 'return', 'reserve', 'release')) NOT VALID;
