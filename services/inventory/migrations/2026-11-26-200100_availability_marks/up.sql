-- Availability changes are marked in an insert-only log instead of a set keyed
-- by SKU: a reservation marking a SKU never waits for the publisher that is
-- taking the previous marks of the same SKU.
CREATE TABLE availability_marks (
    id   BIGSERIAL PRIMARY KEY,
    sku  TEXT NOT NULL
);
INSERT INTO availability_marks (sku) SELECT sku FROM availability_dirty ORDER BY sku;
DROP TABLE availability_dirty;
