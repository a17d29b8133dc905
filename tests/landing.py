"""Write small landing batches by hand: one CSV per entity, header from the contract, and the
empty `_SUCCESS` that marks the batch complete."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

from fms.contract import BATCH_COMPLETE_MARKER, ENTITY_BY_NAME

CASE = {
    "case_id": "UK-D-AAA",
    "country_code": "UK",
    "implementing_agency": "D",
    "case_designator": "AAA",
    "status": "IMPLEMENTED",
    "offer_expiration_date": "2020-03-01",
    "acceptance_date": "2020-02-01",
    "implementation_date": "2020-03-15",
    "terms_of_sale": "CASH_PRIOR_TO_DELIVERY",
    "admin_surcharge_rate": "",
    "admin_surcharge_waived": "false",
    "sblc_in_place": "false",
    "supply_services_complete_date": "",
}
LINE = {
    "case_id": "UK-D-AAA",
    "line_number": "1",
    "generic_code": "A1A",
    "description": "aircraft",
    "unit_of_issue": "EA",
    "source_of_supply": "S",
    "line_kind": "MATERIEL",
    "ordered_quantity": "4",
    "line_value": "4000000.00",
}
DELIVERY = {
    "delivery_id": "D1",
    "case_id": "UK-D-AAA",
    "line_number": "1",
    "shipment_date": "2026-01-10",
    "reported_date": "2026-01-20",
    "quantity": "1",
    "delivered_value": "1000000.00",
    "price_code": "A",
}
COUNTRY = {"country_code": "UK", "name": "United Kingdom", "has_special_billing_arrangement": "N"}


def case(**changes: str) -> dict:
    row = CASE | changes
    if "case_id" in changes and not {"country_code", "case_designator"} & changes.keys():
        cc, ia, des = changes["case_id"].split("-")
        row |= {"country_code": cc, "implementing_agency": ia, "case_designator": des}
    return row


def write_batch(
    landing: Path, name: str, entities: dict[str, list[dict]], complete: bool = True
) -> Path:
    """The batch folder `name` with a CSV file of `entities`' rows; `complete`: and an empty
    `_SUCCESS` (without one the batch waits)."""
    folder = landing / name
    folder.mkdir(parents=True, exist_ok=True)
    for entity_name, rows in entities.items():
        columns = ENTITY_BY_NAME[entity_name].column_names
        with (folder / f"{entity_name}.csv").open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(columns)
            for row in rows:
                writer.writerow([row.get(c, "") for c in columns])
    if complete:  # last, as a sender does
        mark_complete(folder)
    return folder


def mark_complete(folder: Path) -> Path:
    """An empty `_SUCCESS` in `folder`: the batch is complete, its files not listed (a test
    may still change them)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / BATCH_COMPLETE_MARKER).touch()
    return folder


# What the file system said of the loaded files (fms.ingest.file_signatures): recorded anew
# when their times moved since, whether a test's rerun came within the racy seconds of
# writing them or after; not what the warehouse holds.
FILE_FACTS = "batch_file_signatures"


def fingerprint(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, str]]:
    """Row count and content digest of every table but FILE_FACTS: equal fingerprints,
    unchanged warehouse."""
    tables = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY 1"
        ).fetchall()
        if r[0] != FILE_FACTS
    ]
    result = {}
    for t in tables:
        result[t] = con.execute(
            f"SELECT count(*), coalesce(md5(string_agg(CAST(x AS VARCHAR), '|' "
            f"ORDER BY CAST(x AS VARCHAR))), '') FROM (SELECT t AS x FROM {t} AS t)"
        ).fetchone()
    return result
