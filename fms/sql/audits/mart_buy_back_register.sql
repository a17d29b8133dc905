-- Dataset of suite mart_buy_back_register: the staged register (E-Change 773).
SELECT
    s.*,
    count(*) OVER (PARTITION BY s.buy_back_id) AS key_count
FROM staging.buy_back_register AS s
