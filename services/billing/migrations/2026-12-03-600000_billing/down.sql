DROP TABLE journal_lines, journal_entries, closed_periods, accounts, stock_values,
    document_tax_subtotals, document_lines, documents, document_series, shipments,
    product_tax_categories, tax_rules, channel_billing, legal_entities, sku_costs,
    order_lines, orders;
DROP FUNCTION journal_entry_balances();
DROP FUNCTION journal_is_append_only();
