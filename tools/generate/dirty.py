"""Injected bad rows: each one copies a valid row, gets a key nothing else uses, and then gets
exactly ONE problem, so its expected quarantine reason (`fms.contract.REASONS`) is unambiguous.

Which problems an entity can have is read from the contract (column kinds, required columns,
event dates, date orders, references, extra checks). Reasons rotate per entity across the
batches, and within a reason the columns and bad values rotate, so every kind shows up.

Fresh keys never collide with real data: bad cases use designators `Q<digit><x>`, unknown case
references `X<digit><x>` (generated designators are letters only), bad lines and schedules use
line numbers 900+ / due dates from 2040, unknown lines are 800-899, bad row ids carry a `Q`
after their prefix, unknown countries start with `Z`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from fms.contract import REASONS, Entity, Kind

from .batches import TAG_NONE, EntityRows
from .catalog import IMPLEMENTING_AGENCIES, day, iso
from .render import ROW_ID_PREFIX, python_rows, quote_field
from .world import day_of_month

BAD_DATES = ("2026-02-30", "31/12/2025", "yesterday")
BAD_AMOUNTS = ("12.345", "1,000.00", "abc", "12345678901234567.00")
BAD_RATES = ("3.5", "1.25", "abc")
BAD_BOOLEANS = ("maybe", "2")
BAD_QUANTITIES = ("12.5", "ten")
BAD_LINE_NUMBERS = ("0", "1000")
BAD_GENERIC_CODES = ("A1", "A1A1", "a1a")
BAD_RECIPIENTS = ("NAVY", "dod", "USA")
BAD_CODES = {
    "status": "OPEN",
    "terms_of_sale": "CASH",
    "unit_of_issue": "BX",
    "source_of_supply": "Q",
    "line_kind": "HARDWARE",
    "funding_source": "CASH",
    "category": "TRAVEL",
    "price_code": "X",
}
FUTURE_DATES = ("2099-06-15", "2099-06-25", "2099-07-05")
LONG_TEXT = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 20)[:1100]
B36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CASE_ID_CHECK_COLUMNS = ("case_id", "country_code", "implementing_agency", "case_designator")


@dataclass
class BadRow:
    position: int  # inserted before the file's clean row with this index (0..n)
    seq: int
    data: bytes
    kind: str
    reason: str


def variants_for(entity: Entity) -> dict[str, list[str]]:
    """reason code -> the columns (or variant names) it can be injected on, in REASONS order."""
    cols = entity.columns
    ref_cols = {c for r in entity.references for c in r.columns}
    check_cols: set[str] = set()
    if "case_id_agrees" in entity.extra_checks:
        check_cols |= set(CASE_ID_CHECK_COLUMNS)
    if "collection_country_agrees" in entity.extra_checks:
        check_cols |= {"country_code"}
    v: dict[str, list[str]] = {
        "MALFORMED_ROW": ["too many fields", "too few fields", "invalid UTF-8"],
        "MISSING_VALUE": [
            c.name for c in cols if c.required and c.name not in ref_cols | check_cols
        ],
        "BAD_DATE": [c.name for c in cols if c.kind is Kind.DATE],
        "BAD_NUMBER": [c.name for c in cols if c.kind is Kind.INTEGER],
        "BAD_AMOUNT": [c.name for c in cols if c.kind is Kind.MONEY],
        "BAD_RATE": [c.name for c in cols if c.kind is Kind.RATE],
        "BAD_BOOLEAN": [c.name for c in cols if c.kind is Kind.BOOLEAN],
        "BAD_CODE": [c.name for c in cols if c.kind is Kind.CODE],
        "TEXT_TOO_LONG": [c.name for c in cols if c.kind is Kind.TEXT and c.name != "recipient"],
        "NEGATIVE_AMOUNT": [
            c.name
            for c in cols
            if (c.kind is Kind.MONEY and not c.may_be_negative)
            or (c.kind is Kind.INTEGER and c.min_value == 0)
        ],
        "FUTURE_DATE": [c.name for c in cols if c.event_date],
        "DATE_ORDER": [f"{o.earlier}>{o.later}" for o in entity.date_orders],
        "DUPLICATE_KEY": ["key"],
    }
    bad_id = []
    for c in cols:
        if c.kind is not Kind.PATTERN and c.name != "recipient":
            continue
        if entity.name == "cases":
            if c.name == "case_id":
                bad_id += ["case_id:long", "case_id:lower", "case_id:nohyphen"]
        elif c.name == "country_code":
            if entity.name == "countries":
                bad_id.append(c.name)
        else:
            bad_id.append(c.name)
    v["BAD_ID"] = bad_id
    if "case_id_agrees" in entity.extra_checks:
        v["ID_MISMATCH"] = ["country_code", "implementing_agency"]
    if "collection_country_agrees" in entity.extra_checks:
        v["ID_MISMATCH"] = ["country_code"]
    for ref in entity.references:
        v.setdefault(ref.reason_code, []).append(ref.target)
    return {r: v[r] for r in REASONS if v.get(r)}


def _cents(text: str) -> int:
    neg = text.startswith("-")
    whole, _, frac = text.lstrip("-").partition(".")
    cents = int(whole) * 100 + int((frac + "00")[:2])
    return -cents if neg else cents


def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def encode(fields: list[str | None]) -> bytes:
    return (",".join(quote_field(f) for f in fields) + "\n").encode("utf-8")


class _FreshKeys:
    def __init__(self, country_codes: list[str]) -> None:
        self.real = set(country_codes)
        self.countries = [a + b for a in "QWJ" for b in B36 if a + b not in self.real]
        self.counters: dict[tuple, int] = defaultdict(int)

    def _next(self, *key: object) -> int:
        n = self.counters[key]
        self.counters[key] = n + 1
        return n

    def country(self) -> str:
        return self.countries[self._next("country") % len(self.countries)]

    def unknown_country(self) -> str:
        return "Z" + B36[self._next("unknown country") % 36]

    def designator(self, cc: str, ia: str, letter: str) -> str:
        n = self._next("designator", cc, ia, letter)
        return letter + B36[n // 36 % 10] + B36[n % 36]

    def line(self, case_id: str, base: int) -> int | None:
        n = self._next("line", case_id, base)
        return base + n if n < 100 else None

    def due_date(self, case_id: str) -> str:
        n = self._next("due", case_id)
        return iso(int(day_of_month(np.array([(2040 - 1970) * 12 + 2 + 3 * n]), 15)[0]))

    def quarter(self, case_id: str) -> str:
        n = self._next("quarter", case_id)
        return iso(int(day_of_month(np.array([(2035 - 1970) * 12 + 3 * n]), 1)[0]))

    def row_id(self, column: str) -> str:
        prefix, _ = ROW_ID_PREFIX[column]
        return f"{prefix}Q{self._next('row', column) + 1:07d}"


def _split_case(case_id: str | None, country: str | None) -> tuple[str, str]:
    if case_id and case_id.count("-") == 2:
        cc, ia, _ = case_id.split("-")
        return cc, ia
    return country or "ZZ", "D"


class Injector:
    """Makes the bad rows of each file; remembers the rotation across batches."""

    def __init__(
        self,
        rate: float,
        rng: np.random.Generator,
        country_codes: list[str],
        lookups: dict[str, pa.Array],
    ) -> None:
        self.rate = rate
        self.rng = rng
        self.country_codes = country_codes
        self.lookups = lookups
        self.fresh = _FreshKeys(country_codes)
        self.pointers: dict[tuple, int] = defaultdict(int)
        self.variants: dict[str, dict[str, list[str]]] = {}

    def _rotate(self, key: tuple, values: tuple[str, ...] | list[str]) -> str:
        n = self.pointers[key]
        self.pointers[key] = n + 1
        return values[n % len(values)]

    def _other_country(self, code: str) -> str:
        others = [c for c in self.country_codes if c != code]
        return others[int(self.rng.integers(len(others)))]

    # -- one bad row from a template -------------------------------------------------------

    def _fresh_key(self, entity: Entity, row: dict) -> bool:
        name = entity.name
        if name == "countries":
            row["country_code"] = self.fresh.country()
        elif name == "cases":
            cc, ia = row["country_code"], row["implementing_agency"]
            des = self.fresh.designator(cc, ia, "Q")
            row["case_designator"], row["case_id"] = des, f"{cc}-{ia}-{des}"
        elif name == "case_lines":
            n = self.fresh.line(row["case_id"], 900)
            if n is None:
                return False
            row["line_number"] = str(n)
        elif name == "payment_schedules":
            row["due_date"] = self.fresh.due_date(row["case_id"])
        elif name == "requirements_forecasts":
            row["quarter_start"] = self.fresh.quarter(row["case_id"])
        else:
            row[entity.key[0]] = self.fresh.row_id(entity.key[0])
        return True

    def _mutate(self, entity: Entity, reason: str, variant: str, template: dict):
        """(kind, bytes) of the bad row, or None when the template cannot carry this problem."""
        row = dict(template)
        if not self._fresh_key(entity, row):
            return None
        names = entity.column_names
        key = (entity.name, reason, variant)
        if reason == "MALFORMED_ROW":
            fields = [row[c] for c in names]
            if variant == "too many fields":
                return f"{len(fields) + 1} fields instead of {len(fields)}", encode(
                    fields + ["EXTRA"]
                )
            if variant == "too few fields":
                return f"{len(fields) - 1} fields instead of {len(fields)}", encode(fields[:-1])
            parts = [quote_field(f).encode("utf-8") for f in fields]
            i = next(i for i, p in enumerate(parts) if p and not p.startswith(b'"'))
            parts[i] = parts[i][:1] + b"\xff\xfe" + parts[i][1:]
            return f"invalid UTF-8 bytes in {names[i]}", b",".join(parts) + b"\n"
        if reason == "MISSING_VALUE":
            row[variant] = None
            kind = f"empty required {variant}"
        elif reason == "BAD_ID":
            if not variant.startswith("case_id:") and not row[variant]:
                return None
            kind = self._bad_id(entity, variant, row, key)
        elif reason in ("BAD_DATE", "BAD_NUMBER", "BAD_AMOUNT", "BAD_RATE", "BAD_BOOLEAN"):
            values = {
                "BAD_DATE": BAD_DATES,
                "BAD_AMOUNT": BAD_AMOUNTS,
                "BAD_RATE": BAD_RATES,
                "BAD_BOOLEAN": BAD_BOOLEANS,
                "BAD_NUMBER": BAD_LINE_NUMBERS if variant == "line_number" else BAD_QUANTITIES,
            }[reason]
            row[variant] = self._rotate(key, values)
            kind = f"bad {variant} {row[variant]}"
        elif reason == "BAD_CODE":
            row[variant] = BAD_CODES[variant]
            kind = f"bad {variant} {row[variant]}"
        elif reason == "TEXT_TOO_LONG":
            row[variant] = LONG_TEXT
            kind = f"{variant} of {len(LONG_TEXT)} characters"
        elif reason == "NEGATIVE_AMOUNT":
            value = row[variant]
            is_money = entity.column(variant).kind is Kind.MONEY
            if value is None or value.lstrip("0.") == "":
                value = "125.00" if is_money else "3"
            row[variant] = "-" + value
            kind = f"negative {variant} {row[variant]}"
        elif reason == "FUTURE_DATE":
            row[variant] = FUTURE_DATES[0]
            k = 1
            for order in entity.date_orders:
                earlier, later = row[order.earlier], row[order.later]
                if (
                    earlier
                    and earlier.startswith("2099")
                    and later
                    and not later.startswith("2099")
                ):
                    row[order.later] = FUTURE_DATES[k]
                    k += 1
            kind = f"future {variant} {FUTURE_DATES[0]}"
        elif reason == "DATE_ORDER":
            earlier, later = variant.split(">")
            if not row[earlier] or not row[later]:
                return None
            row[later] = iso(day(row[earlier]) - 1 - int(self.rng.integers(30)))
            kind = f"{earlier} after {later}"
        elif reason == "ID_MISMATCH":
            if entity.name == "collections":
                if not row["case_id"]:
                    return None
                row["country_code"] = self._other_country(row["country_code"])
                kind = "collection country_code differs from its case's country"
            elif variant == "country_code":
                row["country_code"] = self._other_country(row["country_code"])
                kind = "case_id disagrees with country_code"
            else:
                ias = [a for a in IMPLEMENTING_AGENCIES if a != row["implementing_agency"]]
                row["implementing_agency"] = ias[int(self.rng.integers(len(ias)))]
                kind = "case_id disagrees with implementing_agency"
        elif reason == "UNKNOWN_CASE":
            cc, ia = _split_case(row["case_id"], row.get("country_code"))
            row["case_id"] = f"{cc}-{ia}-{self.fresh.designator(cc, ia, 'X')}"
            kind = f"unknown case {row['case_id']}"
        elif reason == "UNKNOWN_LINE":
            n = self.fresh.line(row["case_id"], 800)
            if n is None:
                return None
            row["line_number"] = str(n)
            kind = f"unknown line {row['case_id']} {n}"
        elif reason == "UNKNOWN_COUNTRY":
            z = self.fresh.unknown_country()
            row["country_code"] = z
            if entity.name == "cases":
                ia = row["implementing_agency"]
                des = self.fresh.designator(z, ia, "Q")
                row["case_designator"], row["case_id"] = des, f"{z}-{ia}-{des}"
            else:
                row["case_id"] = None
            kind = f"unknown country {z}"
        else:  # pragma: no cover - every reason of variants_for is handled above
            raise ValueError(reason)
        return kind, encode([row[c] for c in names])

    def _bad_id(self, entity: Entity, variant: str, row: dict, key: tuple) -> str:
        if variant.startswith("case_id:"):
            cc, ia, des = row["country_code"], row["implementing_agency"], row["case_designator"]
            if variant == "case_id:long":
                des += "A"
                row["case_designator"], row["case_id"] = des, f"{cc}-{ia}-{des}"
            elif variant == "case_id:lower":
                cc, ia, des = cc.lower(), ia.lower(), des.lower()
                row["country_code"], row["implementing_agency"] = cc, ia
                row["case_designator"], row["case_id"] = des, f"{cc}-{ia}-{des}"
            else:
                row["case_id"] = f"{cc}{ia}{des}"
            return f"malformed case_id {row['case_id']}"
        value = row[variant]
        if variant == "country_code":
            row[variant] = self._rotate(key, (value + "X", value.lower(), value[:1]))
        elif variant == "case_id":
            row[variant] = self._rotate(key, (value + "A", value.lower(), value.replace("-", "")))
        elif variant == "generic_code":
            row[variant] = self._rotate(key, BAD_GENERIC_CODES)
        elif variant == "recipient":
            row[variant] = self._rotate(key, BAD_RECIPIENTS)
        else:  # a row id
            row[variant] = self._rotate(
                key, (value.replace("-", " "), "#" + value, "-" + value, value + "X" * 64)
            )
        return f"malformed {variant} {row[variant][:40]}"

    def _duplicate(self, entity: Entity, row: dict) -> tuple[str, bytes]:
        row = dict(row)
        amount = entity.control_amount
        if amount and amount not in entity.key and row.get(amount):
            row[amount] = _money(_cents(row[amount]) + 100)
        return "repeated key of an earlier row", encode([row[c] for c in entity.column_names])

    # -- one file --------------------------------------------------------------------------

    def inject(
        self, entity: Entity, rows: EntityRows, file_rows: np.ndarray, history_pool: np.ndarray
    ) -> list[BadRow]:
        """Bad rows for one file whose clean rows are `rows[file_rows]` (in file order);
        templates are drawn from `history_pool` (clean history rows of the entity)."""
        n = len(file_rows)
        m = math.ceil(self.rate * n) if self.rate > 0 else 0
        if m == 0 or len(history_pool) == 0:
            return []
        variants = self.variants.setdefault(entity.name, variants_for(entity))
        reasons = list(variants)
        picks = self.rng.choice(history_pool, min(len(history_pool), 2 * m + 8), replace=False)
        templates = python_rows(entity, rows.take(np.sort(picks)), self.lookups)
        order = self.rng.permutation(len(templates))
        templates = [templates[i] for i in order]
        dup_positions = np.flatnonzero(rows.tag[file_rows] == TAG_NONE)
        out: list[BadRow] = []
        t = 0
        for j in range(m):
            for _ in range(len(reasons)):
                reason = self._rotate((entity.name, "reason"), reasons)
                if reason == "DUPLICATE_KEY":
                    if not len(dup_positions):
                        continue
                    p = int(dup_positions[self.rng.integers(len(dup_positions))])
                    original = python_rows(entity, rows.take(file_rows[[p]]), self.lookups)[0]
                    kind, data = self._duplicate(entity, original)
                    position = int(self.rng.integers(p + 1, n + 1))
                else:
                    variant = self._rotate((entity.name, reason), variants[reason])
                    made = None
                    for _ in range(8):
                        made = self._mutate(entity, reason, variant, templates[t % len(templates)])
                        t += 1
                        if made:
                            break
                    if made is None:
                        continue
                    kind, data = made
                    position = int(self.rng.integers(0, n + 1))
                out.append(BadRow(position, j, data, kind, reason))
                break
        out.sort(key=lambda b: (b.position, b.seq))
        return out


def row_numbers(bad: list[BadRow]) -> list[int]:
    """1-based record ordinals of the (sorted) bad rows in the written file."""
    return [b.position + j + 1 for j, b in enumerate(bad)]


def clean_row_number(index: int, bad: list[BadRow]) -> int:
    """1-based record ordinal of clean row `index` of a file with `bad` rows inserted."""
    return index + 1 + sum(1 for b in bad if b.position <= index)
