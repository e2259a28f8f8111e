-- Returns refunded (billing's RefundIssued): applied once per return, the
-- lines' returned units and refunded gross, and the refund carried in the
-- channel's feed and webhook.
CREATE TABLE order_refunds (
    return_id       UUID PRIMARY KEY,
    order_id        UUID NOT NULL REFERENCES orders (id),
    -- The RefundView the channel is told.
    refund          JSONB NOT NULL,
    issued_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX order_refunds_order ON order_refunds (order_id, issued_at);

ALTER TABLE order_lines
    ADD COLUMN returned_quantity BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN refunded_amount NUMERIC(20, 4) NOT NULL DEFAULT 0;

ALTER TABLE channel_update_queue ADD COLUMN refund JSONB;
ALTER TABLE channel_updates ADD COLUMN refund JSONB;
