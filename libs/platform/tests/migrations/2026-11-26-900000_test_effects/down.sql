DROP TABLE applied_effects;
