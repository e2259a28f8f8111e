DROP TABLE expected_return_lines;
DROP TABLE expected_returns;
