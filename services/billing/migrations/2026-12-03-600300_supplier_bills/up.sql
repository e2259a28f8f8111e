-- Supplier bills, three-way matched: the purchase order's price (from
-- procurement's events), the quantity received (from the warehouse's
-- receipts), and the supplier's bill.

INSERT INTO accounts (code, name, kind, per_channel) VALUES
    ('1400', 'Input VAT', 'asset', false);

-- Procurement's purchase orders as last published (a state applies only
-- over an older version).
CREATE TABLE purchase_orders (
    id                  UUID PRIMARY KEY,
    number              TEXT NOT NULL UNIQUE,
    supplier_code       TEXT NOT NULL,
    status              TEXT NOT NULL,
    version             BIGINT NOT NULL
);

CREATE TABLE purchase_order_lines (
    purchase_order_id   UUID NOT NULL REFERENCES purchase_orders (id),
    line_no             INTEGER NOT NULL,
    sku                 TEXT NOT NULL,
    quantity            BIGINT NOT NULL,
    currency            CHAR(3) NOT NULL,
    unit_cost           NUMERIC(20, 4) NOT NULL,
    unit_landed_cost    NUMERIC(20, 4) NOT NULL,
    PRIMARY KEY (purchase_order_id, line_no)
);

-- Units received per purchase order line, from GoodsReceived (kept apart
-- from the order's projection: a receipt may be read before the order).
CREATE TABLE received_quantities (
    purchase_order_id   UUID NOT NULL,
    line_no             INTEGER NOT NULL,
    sku                 TEXT NOT NULL,
    received            BIGINT NOT NULL CHECK (received >= 0),
    PRIMARY KEY (purchase_order_id, line_no)
);

-- How far a bill may be from the purchase order and still post without an
-- approver; a currency without a row matches exactly or is held.
CREATE TABLE bill_tolerances (
    currency            CHAR(3) PRIMARY KEY,
    -- Per unit, percent of the order's unit cost.
    price_percent       NUMERIC(7, 4) NOT NULL CHECK (price_percent BETWEEN 0 AND 100),
    -- The whole bill's price variance, absolute.
    amount              NUMERIC(20, 4) NOT NULL CHECK (amount >= 0),
    updated_by          TEXT NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE supplier_bills (
    id                  UUID PRIMARY KEY,
    supplier_code       TEXT NOT NULL,
    bill_number         TEXT NOT NULL,
    purchase_order_id   UUID NOT NULL REFERENCES purchase_orders (id),
    bill_date           DATE NOT NULL,
    due_on              DATE,
    currency            CHAR(3) NOT NULL,
    net                 NUMERIC(20, 4) NOT NULL,
    tax                 NUMERIC(20, 4) NOT NULL,
    gross               NUMERIC(20, 4) NOT NULL,
    -- What the order's prices make of the billed quantities.
    expected_net        NUMERIC(20, 4) NOT NULL,
    -- posted | held | rejected
    status              TEXT NOT NULL CHECK (status IN ('posted', 'held', 'rejected')),
    hold_reasons        TEXT[] NOT NULL DEFAULT '{}',
    -- The request's hash: the same bill posted again answers the same.
    request_hash        TEXT NOT NULL,
    entered_by          TEXT NOT NULL,
    entered_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    decided_by          TEXT,
    decided_at          TIMESTAMPTZ,
    decision_note       TEXT,
    entry_id            UUID REFERENCES journal_entries (id),
    -- A supplier's bill number is posted once.
    UNIQUE (supplier_code, bill_number)
);
CREATE INDEX supplier_bills_status ON supplier_bills (status, entered_at);
CREATE INDEX supplier_bills_purchase_order ON supplier_bills (purchase_order_id);

CREATE TABLE supplier_bill_lines (
    bill_id             UUID NOT NULL REFERENCES supplier_bills (id),
    line_no             INTEGER NOT NULL,
    purchase_order_line INTEGER NOT NULL,
    sku                 TEXT NOT NULL,
    quantity            BIGINT NOT NULL CHECK (quantity > 0),
    unit_price          NUMERIC(20, 4) NOT NULL CHECK (unit_price >= 0),
    unit_cost           NUMERIC(20, 4) NOT NULL,
    net                 NUMERIC(20, 4) NOT NULL,
    PRIMARY KEY (bill_id, line_no)
);
