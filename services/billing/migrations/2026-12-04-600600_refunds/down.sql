DELETE FROM accounts WHERE code = '4200';
ALTER TABLE fee_schedules DROP COLUMN refund_admin_max, DROP COLUMN refund_admin_percent;
DROP TABLE refund_approval_limits;
DROP TABLE refund_inspections;
DROP TABLE refunds;
