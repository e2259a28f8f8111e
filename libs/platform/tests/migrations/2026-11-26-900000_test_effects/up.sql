-- A table the inbox test's handler writes its effect into.
CREATE TABLE applied_effects (
    event_id UUID NOT NULL,
    traceparent TEXT,              -- the trace context the handler ran in
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
