-- The audit trail every service keeps (platform::audit): who changed which
-- entity, when, and what it looked like before and after. Written in the
-- transaction of the change; never updated or deleted by the service.
CREATE TABLE audit_trail (
    id           BIGSERIAL PRIMARY KEY,
    at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    entity_type  TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    before       JSONB,
    after        JSONB
);
CREATE INDEX audit_trail_entity ON audit_trail (entity_type, entity_id, id);
