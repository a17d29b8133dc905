-- Published billing statements: records, one row per revision, never updated or deleted
-- (README.md, "What each run publishes"). Written only by
-- fms.billing.publication.publish_statements. Columns: those of the candidates built by
-- build_billing_statements.sql / build_billing_purchaser_statements.sql (without `selection`,
-- always 'all' when published) plus published_at; tests/billing check the two stay aligned.

CREATE TABLE IF NOT EXISTS main.billing_statements (
    case_id VARCHAR NOT NULL,
    country_code VARCHAR NOT NULL,
    period_end DATE NOT NULL,
    revision INTEGER NOT NULL,
    statement_date DATE NOT NULL,
    payment_due_date DATE NOT NULL,
    covers_start DATE NOT NULL,
    covers_end DATE NOT NULL,
    scheduled_cumulative DECIMAL(18, 2) NOT NULL,
    forecast_cumulative DECIMAL(18, 2) NOT NULL,
    collections_cumulative DECIMAL(18, 2) NOT NULL,
    amount_due DECIMAL(18, 2) NOT NULL,
    arrearage DECIMAL(18, 2) NOT NULL,
    interest DECIMAL(18, 2) NOT NULL,
    billed_at_purchaser_level BOOLEAN NOT NULL,
    status VARCHAR,
    implementation_date DATE,
    current_quarter_start DATE,
    current_quarter_end DATE,
    delivered_value DECIMAL(18, 2),
    expenditures DECIMAL(18, 2),
    performance DECIMAL(18, 2),
    forecast_current_quarter DECIMAL(18, 2),
    forecast_covered_quarter DECIMAL(18, 2),
    forecast_costs DECIMAL(18, 2),
    termination_liability_reported DECIMAL(18, 2),
    sblc_in_place BOOLEAN,
    termination_liability DECIMAL(18, 2),
    surcharge_rate DECIMAL(9, 6),
    surcharge DECIMAL(18, 2),
    requirement DECIMAL(18, 2),
    requirement_basis VARCHAR,
    previous_period_end DATE,
    previous_payment_due_date DATE,
    previous_requirement DECIMAL(18, 2),
    arrearage_days INTEGER,
    arrearage_dollar_days DECIMAL(38, 2),
    purchaser_interest_days INTEGER,
    purchaser_interest DECIMAL(18, 2),
    published_at TIMESTAMP NOT NULL,
    PRIMARY KEY (case_id, period_end, revision)
);

CREATE TABLE IF NOT EXISTS main.purchaser_statements (
    country_code VARCHAR NOT NULL,
    period_end DATE NOT NULL,
    revision INTEGER NOT NULL,
    amount_due DECIMAL(18, 2) NOT NULL,
    arrearage DECIMAL(18, 2) NOT NULL,
    interest DECIMAL(18, 2) NOT NULL,
    holding_account_balance DECIMAL(18, 2) NOT NULL,
    purchaser_name VARCHAR,
    special_billing_arrangement BOOLEAN,
    cases INTEGER,
    statement_date DATE,
    payment_due_date DATE,
    covers_start DATE,
    covers_end DATE,
    scheduled_cumulative DECIMAL(18, 2),
    forecast_cumulative DECIMAL(18, 2),
    collections_cumulative DECIMAL(18, 2),
    case_amount_due_total DECIMAL(18, 2),
    previous_requirement DECIMAL(18, 2),
    net_arrearage DECIMAL(18, 2),
    published_at TIMESTAMP NOT NULL,
    PRIMARY KEY (country_code, period_end, revision)
);

-- What changed from the previous revision of a purchaser's statement (revision 2 onward):
-- one row per field that differs; level 'case' (case_id set) or 'purchaser'.
CREATE TABLE IF NOT EXISTS main.billing_statement_differences (
    country_code VARCHAR NOT NULL,
    period_end DATE NOT NULL,
    revision INTEGER NOT NULL,
    previous_revision INTEGER NOT NULL,
    line INTEGER NOT NULL,          -- report order within the revision
    level VARCHAR NOT NULL,
    case_id VARCHAR,
    field VARCHAR NOT NULL,
    old_value VARCHAR,
    new_value VARCHAR
);

-- The delivery listing published with each revision of a purchaser's statement (data contract
-- `delivery_listing`; built by fms/sql/marts/build_delivery_listing.sql): the candidate's rows
-- of the purchaser with the revision they were published with. No key: a REPRICING line has no
-- delivery_id.
CREATE TABLE IF NOT EXISTS main.delivery_listing (
    country_code VARCHAR NOT NULL,
    period_end DATE NOT NULL,
    revision INTEGER NOT NULL,
    case_id VARCHAR NOT NULL,
    line_number BIGINT,
    delivery_id VARCHAR,
    shipment_date DATE,
    reported_date DATE,
    quantity BIGINT,
    delivered_value DECIMAL(18, 2),
    price_code VARCHAR,
    kind VARCHAR NOT NULL,
    published_at TIMESTAMP NOT NULL
);
