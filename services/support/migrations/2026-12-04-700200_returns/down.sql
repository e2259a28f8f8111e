DROP TABLE return_steps;
DROP TABLE return_lines;
DROP TABLE returns;
DROP SEQUENCE return_numbers;
DROP TABLE product_return_categories;
DROP TABLE return_policies;
