-- SLA policies per channel (or 'default') and priority: targets in business
-- seconds and the calendar they count in; and each ticket's timers.

CREATE TABLE sla_policies (
    channel_id             TEXT NOT NULL,
    priority               TEXT NOT NULL,
    first_response_seconds BIGINT NOT NULL,
    resolution_seconds     BIGINT NOT NULL,
    -- {time_zone, working_days, opens_minute, closes_minute, holidays}
    calendar               JSONB NOT NULL,
    updated_by             TEXT NOT NULL,
    updated_at             TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (channel_id, priority)
);

-- The terms a ticket is held to (policy, targets, calendar: fixed at
-- creation or a priority change), the business seconds used while it waited
-- on the merchant, since when its clock runs (NULL: paused), the due times
-- that follow, and when each target was missed (escalated once).
ALTER TABLE tickets
    ADD COLUMN sla                        JSONB,
    ADD COLUMN sla_used_seconds           BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN sla_running_since          TIMESTAMPTZ,
    ADD COLUMN first_response_due_at      TIMESTAMPTZ,
    ADD COLUMN resolution_due_at          TIMESTAMPTZ,
    ADD COLUMN first_response_breached_at TIMESTAMPTZ,
    ADD COLUMN resolution_breached_at     TIMESTAMPTZ;

CREATE INDEX tickets_first_response_due ON tickets (first_response_due_at)
    WHERE first_response_due_at IS NOT NULL AND first_response_breached_at IS NULL;
CREATE INDEX tickets_resolution_due ON tickets (resolution_due_at)
    WHERE resolution_due_at IS NOT NULL AND resolution_breached_at IS NULL;
