DROP INDEX tickets_resolution_live;
DROP INDEX tickets_first_response_live;
