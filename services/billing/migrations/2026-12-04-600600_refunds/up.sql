-- Refunds of returns (support's RMAs): one row per return, from its
-- authorisation to its credit notes and refund; the warehouse's inspection
-- kept apart, as it may arrive first; per-currency limits above which a
-- finance person approves; the channel's refund administration fee.

CREATE TABLE refunds (
    return_id           UUID PRIMARY KEY,
    return_number       TEXT NOT NULL,
    order_id            UUID NOT NULL,
    channel_id          TEXT NOT NULL,
    external_order_id   TEXT NOT NULL,
    currency            CHAR(3) NOT NULL,
    status              TEXT NOT NULL CHECK (status IN
                          ('awaiting_goods', 'awaiting_approval', 'failed', 'refunded', 'rejected', 'exchanged')),
    reason              TEXT NOT NULL,
    returnless          BOOLEAN NOT NULL,
    -- [{"line_no", "sku", "quantity", "unit_price"}] as authorised.
    lines               JSONB NOT NULL,
    value               NUMERIC(20, 4) NOT NULL,
    restocking_fee      NUMERIC(20, 4) NOT NULL,
    return_label_fee    NUMERIC(20, 4) NOT NULL,
    authorized_by       TEXT NOT NULL,
    authorized_at       TIMESTAMPTZ NOT NULL,
    -- Once the goods are in: [{"line_no", "sku", "received", "credited"}].
    refunded_lines      JSONB,
    credited            NUMERIC(20, 4),
    fees_kept           NUMERIC(20, 4),
    refund              NUMERIC(20, 4),
    commission_refunded NUMERIC(20, 4),
    credit_notes        TEXT[] NOT NULL DEFAULT '{}',
    held_reason         TEXT,
    decided_by          TEXT,
    decision_note       TEXT,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    refunded_at         TIMESTAMPTZ
);
CREATE INDEX refunds_order ON refunds (order_id);
-- Finance's queue: what waits for a person.
CREATE INDEX refunds_queue ON refunds (status, created_at)
    WHERE status IN ('awaiting_approval', 'failed');

CREATE TABLE refund_inspections (
    return_id           UUID PRIMARY KEY,
    -- [{"line_no", "sku", "resellable", "refurbish", "scrap"}]
    lines               JSONB NOT NULL,
    location_code       TEXT NOT NULL,
    inspected_by        TEXT NOT NULL,
    inspected_at        TIMESTAMPTZ NOT NULL
);

CREATE TABLE refund_approval_limits (
    currency            CHAR(3) PRIMARY KEY,
    amount              NUMERIC(20, 4) NOT NULL CHECK (amount >= 0),
    updated_by          TEXT NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);

ALTER TABLE fee_schedules
    ADD COLUMN refund_admin_percent NUMERIC(7, 4) NOT NULL DEFAULT 0
        CHECK (refund_admin_percent BETWEEN 0 AND 100),
    ADD COLUMN refund_admin_max NUMERIC(20, 4) CHECK (refund_admin_max >= 0);

INSERT INTO accounts (code, name, kind, per_channel) VALUES
    ('4200', 'Return fees', 'revenue', true);
