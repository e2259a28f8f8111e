DROP TABLE receiving_policy;
DROP TABLE receipt_lines;
DROP TABLE receipts;
DROP TABLE inbound_lines;
DROP TABLE inbound_orders;
