DROP TABLE charge_allocations;
ALTER TABLE supplier_bills DROP COLUMN allocation, DROP COLUMN kind;
ALTER TABLE received_quantities DROP COLUMN charges_cleared, DROP COLUMN landed_value;
ALTER TABLE sku_costs DROP COLUMN weight_grams;
