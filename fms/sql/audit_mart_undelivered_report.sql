-- Audit frame for suite mart_undelivered_report: the staged report (C9.15.2.3.1).
SELECT
    s.case_id,
    s.country_code,
    s.implementation_date,
    count(*) OVER (PARTITION BY s.case_id) AS key_count,
    s.undelivered_value >= 0 AS undelivered_value_not_negative,
    s.delivered_value >= 0 AS delivered_value_not_negative
FROM staging.undelivered_report AS s
