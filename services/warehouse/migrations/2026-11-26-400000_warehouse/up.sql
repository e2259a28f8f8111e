-- Warehouse: bins and their walking order, service levels, quality-check
-- rules, fulfillment orders with their lines, waves, pick lists and pick
-- tasks, packages, floor exceptions and the audit log. Quantities are whole
-- units (BIGINT).

-- SKUs and their item barcodes, from catalog events (a projection).
CREATE TABLE skus (
    sku         TEXT PRIMARY KEY,
    product_id  UUID NOT NULL,
    title       TEXT NOT NULL,
    -- Normalized GTIN-14; NULL when the item has no barcode.
    gtin        TEXT,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX skus_gtin ON skus (gtin);

-- Channels known from orders' registry (a projection).
CREATE TABLE channels (
    id       TEXT PRIMARY KEY,
    kind     TEXT NOT NULL,
    name     TEXT NOT NULL,
    version  BIGINT NOT NULL
);

CREATE TABLE service_levels (
    channel_id       TEXT PRIMARY KEY,
    cutoff_time      TIME NOT NULL,
    ship_by_time     TIME NOT NULL,
    handling_days    INT NOT NULL CHECK (handling_days BETWEEN 0 AND 30),
    carrier          TEXT NOT NULL,
    carrier_service  TEXT NOT NULL,
    release_minutes  INT NOT NULL CHECK (release_minutes > 0),
    pick_minutes     INT NOT NULL CHECK (pick_minutes > 0),
    pack_minutes     INT NOT NULL CHECK (pack_minutes > 0),
    ship_minutes     INT NOT NULL CHECK (ship_minutes > 0),
    version          BIGINT NOT NULL DEFAULT 1,
    updated_by       TEXT NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE bins (
    id             UUID PRIMARY KEY,
    location_code  TEXT NOT NULL,
    -- What the bin's label barcode encodes.
    code           TEXT NOT NULL,
    zone           TEXT NOT NULL,
    aisle          TEXT NOT NULL,
    shelf          TEXT NOT NULL,
    level          TEXT NOT NULL,
    walk_sequence  INT NOT NULL,
    active         BOOLEAN NOT NULL DEFAULT true,
    version        BIGINT NOT NULL DEFAULT 1,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (location_code, code)
);

CREATE TABLE bin_skus (
    bin_id  UUID NOT NULL REFERENCES bins (id) ON DELETE CASCADE,
    sku     TEXT NOT NULL,
    PRIMARY KEY (bin_id, sku)
);
CREATE INDEX bin_skus_sku ON bin_skus (sku);

CREATE TABLE quality_rules (
    id          UUID PRIMARY KEY,
    scope       TEXT NOT NULL CHECK (scope IN ('sku', 'channel')),
    value       TEXT NOT NULL,
    note        TEXT,
    created_by  TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (scope, value)
);

-- Orders cancelled in orders: a late re-allocation for them creates nothing.
CREATE TABLE cancelled_orders (
    order_id      UUID PRIMARY KEY,
    cancelled_at  TIMESTAMPTZ NOT NULL
);

-- One per order and location that holds its stock (origin 'confirmed'), plus
-- one per location a short pick was re-allocated to (origin 'reallocation:<id>').
CREATE TABLE fulfillments (
    id                 UUID PRIMARY KEY,
    order_id           UUID NOT NULL,
    channel_id         TEXT NOT NULL,
    external_order_id  TEXT NOT NULL,
    location_code      TEXT NOT NULL,
    origin             TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN
                         ('open', 'released', 'picking', 'picked', 'packed', 'shipped', 'cancelled')),
    on_hold            BOOLEAN NOT NULL DEFAULT false,
    carrier            TEXT NOT NULL,
    carrier_service    TEXT NOT NULL,
    ship_by            TIMESTAMPTZ NOT NULL,
    wave_id            UUID,
    placed_at          TIMESTAMPTZ NOT NULL,
    confirmed_at       TIMESTAMPTZ NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    released_at        TIMESTAMPTZ,
    picked_at          TIMESTAMPTZ,
    packed_at          TIMESTAMPTZ,
    shipped_at         TIMESTAMPTZ,
    cancelled_at       TIMESTAMPTZ,
    version            BIGINT NOT NULL DEFAULT 1,
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (order_id, location_code, origin)
);
CREATE INDEX fulfillments_releasable ON fulfillments (location_code, ship_by, created_at) WHERE status = 'open';
CREATE INDEX fulfillments_in_progress ON fulfillments (ship_by) WHERE status NOT IN ('shipped', 'cancelled');
CREATE INDEX fulfillments_order ON fulfillments (order_id);
CREATE INDEX fulfillments_shipped ON fulfillments (shipped_at) WHERE status = 'shipped';

CREATE TABLE fulfillment_lines (
    fulfillment_id  UUID NOT NULL REFERENCES fulfillments (id),
    line_no         INT NOT NULL,
    sku             TEXT NOT NULL,
    quantity        BIGINT NOT NULL CHECK (quantity > 0),
    picked          BIGINT NOT NULL DEFAULT 0 CHECK (picked >= 0),
    packed          BIGINT NOT NULL DEFAULT 0 CHECK (packed >= 0),
    short           BIGINT NOT NULL DEFAULT 0 CHECK (short >= 0),
    PRIMARY KEY (fulfillment_id, line_no),
    -- Never more picked than the line needs, never more packed than picked.
    CONSTRAINT picked_within_quantity CHECK (picked + short <= quantity),
    CONSTRAINT packed_within_picked CHECK (packed <= picked)
);

CREATE TABLE waves (
    id              UUID PRIMARY KEY,
    location_code   TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('batch', 'single')),
    status          TEXT NOT NULL CHECK (status IN ('released', 'completed', 'cancelled')),
    carrier         TEXT,
    ship_by_before  TIMESTAMPTZ,
    released_by     TEXT NOT NULL,
    released_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- A wave has one pick list per zone, so pickers work zones in parallel.
CREATE TABLE pick_lists (
    id       UUID PRIMARY KEY,
    wave_id  UUID NOT NULL REFERENCES waves (id),
    zone     TEXT NOT NULL,
    status   TEXT NOT NULL CHECK (status IN ('open', 'done', 'withdrawn'))
);
CREATE INDEX pick_lists_wave ON pick_lists (wave_id);

CREATE TABLE pick_tasks (
    id              UUID PRIMARY KEY,
    pick_list_id    UUID NOT NULL REFERENCES pick_lists (id),
    fulfillment_id  UUID NOT NULL REFERENCES fulfillments (id),
    line_no         INT NOT NULL,
    sku             TEXT NOT NULL,
    bin_id          UUID NOT NULL REFERENCES bins (id),
    bin_code        TEXT NOT NULL,
    walk_sequence   INT NOT NULL,
    quantity        BIGINT NOT NULL CHECK (quantity > 0),
    picked          BIGINT NOT NULL DEFAULT 0,
    short           BIGINT NOT NULL DEFAULT 0,
    status          TEXT NOT NULL CHECK (status IN ('open', 'done', 'short', 'withdrawn')),
    picked_by       TEXT,
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT task_within_quantity CHECK (picked >= 0 AND short >= 0 AND picked + short <= quantity)
);
CREATE INDEX pick_tasks_list ON pick_tasks (pick_list_id, walk_sequence);
CREATE INDEX pick_tasks_fulfillment ON pick_tasks (fulfillment_id);

CREATE TABLE packages (
    id               UUID PRIMARY KEY,
    fulfillment_id   UUID NOT NULL REFERENCES fulfillments (id),
    status           TEXT NOT NULL CHECK (status IN ('open', 'packed', 'shipped', 'voided')),
    qc_status        TEXT NOT NULL CHECK (qc_status IN ('not_required', 'pending', 'passed', 'failed')),
    weight_grams     BIGINT,
    length_mm        BIGINT,
    width_mm         BIGINT,
    height_mm        BIGINT,
    carrier          TEXT,
    carrier_service  TEXT,
    tracking_number  TEXT,
    created_by       TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    packed_at        TIMESTAMPTZ,
    shipped_by       TEXT,
    shipped_at       TIMESTAMPTZ
);
CREATE INDEX packages_fulfillment ON packages (fulfillment_id);
-- A label is used once.
CREATE UNIQUE INDEX packages_tracking ON packages (carrier, tracking_number) WHERE tracking_number IS NOT NULL;

CREATE TABLE package_items (
    package_id  UUID NOT NULL REFERENCES packages (id),
    line_no     INT NOT NULL,
    sku         TEXT NOT NULL,
    quantity    BIGINT NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (package_id, line_no)
);

CREATE TABLE floor_exceptions (
    id              UUID PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('wrong_bin', 'wrong_item', 'over_pick', 'short_pick',
                      'pack_mismatch', 'qc_failed', 'cancelled_after_pick')),
    -- recorded: a rejected scan, counted; open: needs ops; resolved.
    status          TEXT NOT NULL CHECK (status IN ('recorded', 'open', 'resolved')),
    fulfillment_id  UUID,
    pick_task_id    UUID,
    package_id      UUID,
    detail          TEXT NOT NULL,
    reported_by     TEXT NOT NULL,
    reported_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    resolution      TEXT,
    resolved_by     TEXT,
    resolved_at     TIMESTAMPTZ
);
CREATE INDEX floor_exceptions_open ON floor_exceptions (reported_at) WHERE status = 'open';
CREATE INDEX floor_exceptions_fulfillment ON floor_exceptions (fulfillment_id);

-- Who did what on the floor.
CREATE TABLE audit_log (
    id              BIGSERIAL PRIMARY KEY,
    at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor           TEXT NOT NULL,
    action          TEXT NOT NULL,
    fulfillment_id  UUID,
    detail          JSONB NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_fulfillment ON audit_log (fulfillment_id, id);
