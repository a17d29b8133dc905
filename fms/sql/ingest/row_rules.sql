-- Row checks that read several columns of a row (README "How data is loaded"; the contract's
-- `extra_checks`), each the problem it finds, STRUCT(code, detail), or NULL. Temporary macros,
-- created in each batch's transaction by fms.ingest.load_batch; fms.ingest.row_checks calls
-- them in the one query that types and checks an entity's rows.

-- ID_MISMATCH: a case id that does not spell its own country, implementing agency and
-- designator (`CC-I-DDD`).
CREATE OR REPLACE TEMP MACRO case_id_mismatch(
    case_id, country_code, implementing_agency, case_designator
) AS CASE
    WHEN case_id IS NOT NULL AND country_code IS NOT NULL AND implementing_agency IS NOT NULL
        AND case_designator IS NOT NULL
        AND case_id <> concat_ws('-', country_code, implementing_agency, case_designator)
    THEN {
        'code': 'ID_MISMATCH',
        'detail': 'case_id ' || case_id || ' disagrees with country_code ' || country_code
            || ', implementing_agency ' || implementing_agency || ', case_designator '
            || case_designator
    }
END;

-- BAD_DATE: a forecast's quarter_start that is not the first day of a calendar quarter.
CREATE OR REPLACE TEMP MACRO quarter_start_not_a_quarter(quarter_start) AS CASE
    WHEN quarter_start IS NOT NULL
        AND (day(quarter_start) <> 1 OR month(quarter_start) NOT IN (1, 4, 7, 10))
    THEN {
        'code': 'BAD_DATE',
        'detail': 'quarter_start ' || CAST(quarter_start AS VARCHAR)
            || ' is not the first day of a calendar quarter'
    }
END;

-- BAD_ID: a buy back's recipient that is neither DOD nor a 2-character country code.
CREATE OR REPLACE TEMP MACRO recipient_not_dod_or_country(recipient) AS CASE
    WHEN recipient IS NOT NULL AND NOT regexp_full_match(recipient, '^(DOD|[A-Z0-9]{2})$')
    THEN {
        'code': 'BAD_ID',
        'detail': 'recipient ''' || left(recipient, 40) || ''' is neither DOD nor a country code'
    }
END;
