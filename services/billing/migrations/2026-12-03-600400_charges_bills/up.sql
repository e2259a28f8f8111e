-- Landed-cost charges bills (freight, duty): spread over a purchase order's
-- received lines by quantity, weight or value.

-- Catalog's weight per SKU, for spreading by weight.
ALTER TABLE sku_costs ADD COLUMN weight_grams BIGINT NOT NULL DEFAULT 0;

-- What the receipts of a line were valued at (landed), and the estimated
-- charges in it that charges bills have cleared since.
ALTER TABLE received_quantities
    ADD COLUMN landed_value NUMERIC(20, 4) NOT NULL DEFAULT 0,
    ADD COLUMN charges_cleared NUMERIC(20, 4) NOT NULL DEFAULT 0;

ALTER TABLE supplier_bills
    ADD COLUMN kind TEXT NOT NULL DEFAULT 'goods' CHECK (kind IN ('goods', 'charges')),
    ADD COLUMN allocation TEXT CHECK (allocation IN ('quantity', 'weight', 'value'));

CREATE TABLE charge_allocations (
    bill_id             UUID NOT NULL REFERENCES supplier_bills (id),
    purchase_order_line INTEGER NOT NULL,
    sku                 TEXT NOT NULL,
    received            BIGINT NOT NULL,
    allocated           NUMERIC(20, 4) NOT NULL,
    estimate_cleared    NUMERIC(20, 4) NOT NULL,
    to_inventory        NUMERIC(20, 4) NOT NULL,
    to_cogs             NUMERIC(20, 4) NOT NULL,
    PRIMARY KEY (bill_id, purchase_order_line)
);
