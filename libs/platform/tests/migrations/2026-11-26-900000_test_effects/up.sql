-- A table the inbox test's handler writes its effect into.
CREATE TABLE applied_effects (
    event_id UUID NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
