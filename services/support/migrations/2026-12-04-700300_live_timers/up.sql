-- The at-risk list reads live timers (breached ones included) by due time:
-- only tickets whose clock runs have one, so these stay as small as the
-- open queue however long the history grows.
CREATE INDEX tickets_first_response_live ON tickets (first_response_due_at)
    WHERE first_response_due_at IS NOT NULL;
CREATE INDEX tickets_resolution_live ON tickets (resolution_due_at)
    WHERE resolution_due_at IS NOT NULL;
