-- The event ledger (GET /v1/ops/event-ledger) counts outbox rows created
-- since an instant; without this it scans the whole outbox (7 days of events).
CREATE INDEX outbox_created_at ON outbox (created_at);
