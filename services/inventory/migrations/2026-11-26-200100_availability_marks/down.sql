CREATE TABLE availability_dirty (
    sku TEXT PRIMARY KEY
);
INSERT INTO availability_dirty (sku) SELECT DISTINCT sku FROM availability_marks;
DROP TABLE availability_marks;
