DROP TABLE idempotency_keys;
DROP TABLE inbox;
DROP TABLE outbox;
