DROP INDEX outbox_created_at;
