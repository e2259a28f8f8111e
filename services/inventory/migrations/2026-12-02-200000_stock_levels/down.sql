DROP TABLE stock_levels;
DROP SEQUENCE stock_levels_seq;
