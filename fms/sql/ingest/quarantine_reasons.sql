-- How a quarantined row states its problems (README "How data is loaded": the codes in order of
-- precedence): `problems` is the row's LIST(STRUCT(code, detail)), `reason_order` the codes in
-- precedence order (fms.contract.REASONS), `retryable` the codes a later batch may resolve.
-- Temporary macros, created in each batch's transaction by fms.ingest.load_batch.

CREATE OR REPLACE TEMP MACRO ranked_problems(problems, reason_order) AS list_sort(
    list_transform(
        problems,
        lambda p: {'rank': list_position(reason_order, p.code), 'code': p.code, 'detail': p.detail}
    )
);

-- The primary reason code: the first problem in precedence order.
CREATE OR REPLACE TEMP MACRO primary_reason_code(problems, reason_order) AS
    ranked_problems(problems, reason_order)[1].code;

-- Every problem found, `CODE: detail; CODE: detail`, in precedence order.
CREATE OR REPLACE TEMP MACRO reason_text(problems, reason_order) AS array_to_string(
    list_transform(ranked_problems(problems, reason_order), lambda p: p.code || ': ' || p.detail),
    '; '
);

-- Waiting only for a reference (UNKNOWN_*): retried with every later batch.
CREATE OR REPLACE TEMP MACRO waits_for_reference(problems, retryable) AS
    len(list_filter(problems, lambda p: NOT list_contains(retryable, p.code))) = 0;
