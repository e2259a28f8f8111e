DROP TABLE price_changes;
DROP TABLE listings;
DROP TABLE variants;
DROP TABLE products;
