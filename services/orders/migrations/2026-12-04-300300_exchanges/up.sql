-- Exchanges (support's ReturnAuthorized with resolution exchange): the
-- returned lines to send again, when (at once, or once the warehouse has
-- inspected the return), the replacement order placed for them, or why it
-- could not be (for a person to act on).
CREATE TABLE exchanges (
    return_id             UUID PRIMARY KEY,
    return_number         TEXT NOT NULL,
    order_id              UUID NOT NULL REFERENCES orders (id),
    -- [{"sku", "quantity"}]
    lines                 JSONB NOT NULL,
    reservation           TEXT NOT NULL CHECK (reservation IN ('immediately', 'after_inspection')),
    replacement_order_id  UUID REFERENCES orders (id),
    failure               TEXT,
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    placed_at             TIMESTAMPTZ
);
CREATE INDEX exchanges_order ON exchanges (order_id);
