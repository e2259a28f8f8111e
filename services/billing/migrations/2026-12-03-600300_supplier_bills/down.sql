DROP TABLE supplier_bill_lines;
DROP TABLE supplier_bills;
DROP TABLE bill_tolerances;
DROP TABLE received_quantities;
DROP TABLE purchase_order_lines;
DROP TABLE purchase_orders;
DELETE FROM accounts WHERE code = '1400';
