-- The balance check ran once per journal line and summed the line's whole
-- entry each time: a 100,000-line settlement entry took minutes to commit
-- (quadratic). It now runs once per INSERT statement over the entries that
-- statement touched (a transition table), so an entry must balance when its
-- lines are inserted (ledger::post inserts them in one statement), and no
-- later insert may unbalance it. Updates are refused by the append-only
-- trigger already.
DROP TRIGGER journal_lines_balance ON journal_lines;
DROP FUNCTION journal_entry_balances();

CREATE FUNCTION journal_entries_balance() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    off RECORD;
BEGIN
    SELECT l.entry_id, l.currency, sum(l.amount) AS total INTO off
      FROM journal_lines l
     WHERE l.entry_id IN (SELECT DISTINCT entry_id FROM new_lines)
     GROUP BY l.entry_id, l.currency HAVING sum(l.amount) <> 0 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'journal entry % does not balance in %: off by %',
            off.entry_id, off.currency, off.total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER journal_lines_balance
    AFTER INSERT ON journal_lines
    REFERENCING NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION journal_entries_balance();
