-- Billing: what it invoices from (projections of orders' and catalog's
-- events), its settings (legal entities, how channels are taxed, tax rules,
-- product tax categories), shipments and the documents issued for them,
-- stock valuation, and the double-entry ledger.

-- Orders as OrderPlaced describes them (the latest placement wins; lines
-- keep what has been invoiced).
CREATE TABLE orders (
    order_id            UUID PRIMARY KEY,
    channel_id          TEXT NOT NULL,
    external_order_id   TEXT NOT NULL,
    currency            CHAR(3) NOT NULL,
    customer            JSONB NOT NULL,
    billing_address     JSONB NOT NULL,
    -- Where the goods go: the destination whose tax applies.
    ship_to_country     TEXT NOT NULL,
    subtotal            NUMERIC(20, 4) NOT NULL,
    shipping_total      NUMERIC(20, 4) NOT NULL,
    tax_total           NUMERIC(20, 4) NOT NULL,
    discount_total      NUMERIC(20, 4) NOT NULL,
    total               NUMERIC(20, 4) NOT NULL,
    placed_at           TIMESTAMPTZ NOT NULL,
    -- Its first invoice is issued: shipping and once-per-order fees are billed
    -- with the first, never again.
    shipping_invoiced   BOOLEAN NOT NULL DEFAULT false,
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- Settlement lines name orders by channel and the channel's own id.
CREATE UNIQUE INDEX orders_external ON orders (channel_id, external_order_id);

CREATE TABLE order_lines (
    order_id            UUID NOT NULL REFERENCES orders (order_id),
    line_no             INT NOT NULL,
    sku                 TEXT NOT NULL,
    quantity            BIGINT NOT NULL CHECK (quantity > 0),
    unit_price          NUMERIC(20, 4) NOT NULL,
    -- The line's share of the order's discount (largest remainder, to the
    -- minor unit), and how much of it invoices have taken.
    discount            NUMERIC(20, 4) NOT NULL,
    invoiced_quantity   BIGINT NOT NULL DEFAULT 0 CHECK (invoiced_quantity <= quantity),
    invoiced_discount   NUMERIC(20, 4) NOT NULL DEFAULT 0,
    PRIMARY KEY (order_id, line_no)
);

-- Catalog cost prices: what a unit is valued at before its first receipt.
CREATE TABLE sku_costs (
    sku                 TEXT PRIMARY KEY,
    title               TEXT NOT NULL,
    cost_price          NUMERIC(20, 4),
    currency            CHAR(3),
    product_version     BIGINT NOT NULL
);

CREATE TABLE legal_entities (
    code                TEXT PRIMARY KEY,
    name                TEXT NOT NULL,
    country             CHAR(2) NOT NULL,
    vat_id              TEXT NOT NULL,
    street              TEXT NOT NULL,
    city                TEXT NOT NULL,
    postal_code         TEXT NOT NULL,
    version             BIGINT NOT NULL DEFAULT 1,
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE channel_billing (
    channel_id          TEXT PRIMARY KEY,
    legal_entity        TEXT NOT NULL REFERENCES legal_entities (code),
    prices              TEXT NOT NULL CHECK (prices IN ('tax_inclusive', 'tax_exclusive')),
    rounding            TEXT NOT NULL CHECK (rounding IN ('per_document', 'per_line')),
    version             BIGINT NOT NULL DEFAULT 1,
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE tax_rules (
    country             CHAR(2) NOT NULL,
    tax_category        TEXT NOT NULL,
    rate                NUMERIC(7, 4) NOT NULL CHECK (rate >= 0 AND rate <= 100),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (country, tax_category)
);

CREATE TABLE product_tax_categories (
    sku                 TEXT PRIMARY KEY,
    tax_category        TEXT NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Every shipment billing heard of; `invoice_id` once invoiced, else why not
-- yet (retried when what it waits for arrives).
CREATE TABLE shipments (
    fulfillment_id      TEXT PRIMARY KEY,
    order_id            UUID NOT NULL,
    channel_id          TEXT NOT NULL,
    -- [{line_no, sku, quantity}]
    lines               JSONB NOT NULL,
    shipped_at          TIMESTAMPTZ NOT NULL,
    invoice_id          UUID,
    pending_reason      TEXT,
    pending_since       TIMESTAMPTZ,
    CHECK ((invoice_id IS NULL) = (pending_reason IS NOT NULL))
);
CREATE INDEX shipments_pending ON shipments (pending_since) WHERE invoice_id IS NULL;
CREATE INDEX shipments_order ON shipments (order_id);

-- Gapless numbering: one row per series, its last number taken in the
-- transaction that issues the document (the row lock orders issuers; a
-- rolled-back transaction gives its number back).
CREATE TABLE document_series (
    series              TEXT PRIMARY KEY,
    last_number         BIGINT NOT NULL CHECK (last_number > 0)
);

CREATE TABLE documents (
    id                  UUID PRIMARY KEY,
    kind                TEXT NOT NULL CHECK (kind IN ('invoice', 'credit_note')),
    series              TEXT NOT NULL,
    sequence            BIGINT NOT NULL,
    number              TEXT NOT NULL UNIQUE,
    corrects            UUID REFERENCES documents (id),
    order_id            UUID NOT NULL,
    fulfillment_id      TEXT UNIQUE,
    channel_id          TEXT NOT NULL,
    external_order_id   TEXT NOT NULL,
    legal_entity        TEXT NOT NULL,
    seller              JSONB NOT NULL,
    buyer               JSONB NOT NULL,
    currency            CHAR(3) NOT NULL,
    prices              TEXT NOT NULL,
    rounding            TEXT NOT NULL,
    net_total           NUMERIC(20, 4) NOT NULL,
    tax_total           NUMERIC(20, 4) NOT NULL,
    gross_total         NUMERIC(20, 4) NOT NULL,
    channel_tax_total   NUMERIC(20, 4),
    reason              TEXT,
    issue_date          DATE NOT NULL,
    issued_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    issued_by           TEXT NOT NULL,
    UNIQUE (series, sequence),
    CHECK ((kind = 'credit_note') = (corrects IS NOT NULL))
);
CREATE INDEX documents_order ON documents (order_id);
CREATE INDEX documents_channel ON documents (channel_id, id);

CREATE TABLE document_lines (
    document_id         UUID NOT NULL REFERENCES documents (id),
    line_no             INT NOT NULL,
    kind                TEXT NOT NULL CHECK (kind IN ('goods', 'shipping')),
    order_line_no       INT,
    -- The invoice line a credit note line credits.
    credits_line_no     INT,
    sku                 TEXT,
    description         TEXT NOT NULL,
    quantity            BIGINT NOT NULL CHECK (quantity > 0),
    unit_price          NUMERIC(20, 4) NOT NULL,
    discount            NUMERIC(20, 4) NOT NULL,
    net                 NUMERIC(20, 4) NOT NULL,
    -- The line's exact tax (unrounded under per-document rounding).
    tax                 NUMERIC(28, 12) NOT NULL,
    tax_category        TEXT NOT NULL,
    tax_rate            NUMERIC(7, 4) NOT NULL,
    credited_quantity   BIGINT NOT NULL DEFAULT 0 CHECK (credited_quantity <= quantity),
    credited_net        NUMERIC(20, 4) NOT NULL DEFAULT 0,
    PRIMARY KEY (document_id, line_no)
);

CREATE TABLE document_tax_subtotals (
    document_id         UUID NOT NULL REFERENCES documents (id),
    tax_category        TEXT NOT NULL,
    tax_rate            NUMERIC(7, 4) NOT NULL,
    taxable             NUMERIC(20, 4) NOT NULL,
    tax                 NUMERIC(20, 4) NOT NULL,
    PRIMARY KEY (document_id, tax_category, tax_rate)
);

-- Moving-average stock value per SKU and currency: receipts add at their
-- landed cost, shipments take at the average.
CREATE TABLE stock_values (
    sku                 TEXT NOT NULL,
    currency            CHAR(3) NOT NULL,
    quantity            BIGINT NOT NULL CHECK (quantity >= 0),
    value               NUMERIC(24, 8) NOT NULL CHECK (value >= 0),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (sku, currency)
);

-- The chart of accounts (docs/billing.md explains each).
CREATE TABLE accounts (
    code                TEXT PRIMARY KEY,
    name                TEXT NOT NULL,
    kind                TEXT NOT NULL CHECK (kind IN ('asset', 'liability', 'equity', 'revenue', 'expense')),
    per_channel         BOOLEAN NOT NULL
);
INSERT INTO accounts (code, name, kind, per_channel) VALUES
    ('1100', 'Receivables', 'asset', true),
    ('1200', 'Bank', 'asset', false),
    ('1300', 'Inventory', 'asset', false),
    ('2000', 'Payables', 'liability', false),
    ('2100', 'Goods received not invoiced', 'liability', false),
    ('2200', 'VAT payable', 'liability', false),
    ('2300', 'Accrued channel fees', 'liability', true),
    ('3000', 'Equity', 'equity', false),
    ('4000', 'Revenue', 'revenue', true),
    ('4100', 'Shipping revenue', 'revenue', true),
    ('4900', 'Refunds and credits', 'revenue', true),
    ('5000', 'Cost of goods sold', 'expense', true),
    ('5100', 'Purchase price variance', 'expense', false),
    ('6100', 'Channel fees', 'expense', true),
    ('6200', 'Payment fees', 'expense', true),
    ('6300', 'Shipping cost', 'expense', true),
    ('6900', 'Write-offs', 'expense', false);

-- Months that take no more postings; a month without a row is open.
CREATE TABLE closed_periods (
    period              CHAR(7) PRIMARY KEY CHECK (period ~ '^[0-9]{4}-[0-9]{2}$'),
    closed_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    closed_by           TEXT NOT NULL
);

CREATE TABLE journal_entries (
    id                  UUID PRIMARY KEY,
    sequence            BIGSERIAL UNIQUE,
    source              TEXT NOT NULL,
    source_id           TEXT NOT NULL,
    posted_on           DATE NOT NULL,
    occurred_on         DATE NOT NULL,
    memo                TEXT NOT NULL,
    created_by          TEXT NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- One entry per business event: a replay posts nothing.
    UNIQUE (source, source_id)
);

-- Debits positive, credits negative: an entry balances when its lines sum
-- to zero per currency.
CREATE TABLE journal_lines (
    entry_id            UUID NOT NULL REFERENCES journal_entries (id),
    line_no             INT NOT NULL,
    account             TEXT NOT NULL REFERENCES accounts (code),
    channel_id          TEXT,
    order_id            UUID,
    sku                 TEXT,
    currency            CHAR(3) NOT NULL,
    amount              NUMERIC(20, 4) NOT NULL CHECK (amount <> 0),
    PRIMARY KEY (entry_id, line_no)
);
CREATE INDEX journal_lines_order ON journal_lines (order_id) WHERE order_id IS NOT NULL;
CREATE INDEX journal_lines_account ON journal_lines (currency, account);

-- The database refuses an unbalanced entry at commit, whatever the code does.
CREATE FUNCTION journal_entry_balances() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    off RECORD;
BEGIN
    SELECT currency, sum(amount) AS total INTO off
      FROM journal_lines WHERE entry_id = NEW.entry_id
     GROUP BY currency HAVING sum(amount) <> 0 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'journal entry % does not balance in %: off by %',
            NEW.entry_id, off.currency, off.total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER journal_lines_balance
    AFTER INSERT OR UPDATE ON journal_lines
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION journal_entry_balances();
-- Posted lines are never changed or removed.
CREATE FUNCTION journal_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'journal % rows are append-only', TG_TABLE_NAME USING ERRCODE = 'check_violation';
END $$;
CREATE TRIGGER journal_lines_append_only BEFORE UPDATE OR DELETE ON journal_lines
    FOR EACH ROW EXECUTE FUNCTION journal_is_append_only();
CREATE TRIGGER journal_entries_append_only BEFORE UPDATE OR DELETE ON journal_entries
    FOR EACH ROW EXECUTE FUNCTION journal_is_append_only();
