DROP TABLE settlement_exceptions, settlements, fee_accruals, product_fee_categories, fee_schedules;
DELETE FROM accounts WHERE code IN ('1250', '2900');
