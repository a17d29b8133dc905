-- What the delivery listing reads of the published statements (main.billing_statements) on a
-- warehouse that has never published one: nothing. A temporary table of the connection, so that
-- building a listing creates none of the published records' tables.
CREATE OR REPLACE TEMP TABLE no_published_statements (
    case_id VARCHAR,
    country_code VARCHAR,
    period_end DATE,
    revision INTEGER,
    delivered_value DECIMAL(18, 2)
);
