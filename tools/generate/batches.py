"""Which batch every row travels in: the history batch, then daily batches of new rows and
corrections (a row re-sent with an existing key and changed values), the late-arrival case and,
in a dirty run, the valid-but-suspicious rows.

Each entity becomes one `EntityRows`: its contract columns (typed as in `world`), the batch
index of each row and a tag; rows are in file order within each batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from fms.contract import EXPENDITURE_CATEGORIES, PRICE_CODES

from .catalog import ANCHOR, NO_DATE, day, iso
from .world import (
    COMPLETE,
    IMPL,
    LAST_QUARTER,
    MODE_DELIVERY,
    OFFERED,
    PARTIAL,
    PREVIOUS_QUARTER_START,
    R_READY,
    REPRICE_REPORT_DAYS,
    SSC,
    World,
    deliveries_in_transit,
    expenditures_in_transit,
)

TAG_NONE, TAG_LATE, TAG_SUSPICIOUS, TAG_LATE_CASE = 0, 1, 2, 3
PRICE_A, PRICE_E = PRICE_CODES.index("A"), PRICE_CODES.index("E")
LIQUIDATION = EXPENDITURE_CATEGORIES.index("LIQUIDATION")


@dataclass
class EntityRows:
    columns: dict[str, np.ndarray]
    batch: np.ndarray
    tag: np.ndarray

    def __len__(self) -> int:
        return len(self.batch)

    def take(self, idx: np.ndarray) -> dict[str, np.ndarray]:
        return {name: values[idx] for name, values in self.columns.items()}


@dataclass
class Assembly:
    entities: dict[str, EntityRows]
    suspicious: list[dict] = field(default_factory=list)
    corrections: list[dict] = field(default_factory=list)
    late_case: str | None = None


def _rows(columns: dict[str, np.ndarray], batch, tag=TAG_NONE) -> EntityRows:
    n = len(next(iter(columns.values())))
    batch = np.broadcast_to(np.asarray(batch, dtype=np.int64), (n,)).copy()
    tag = np.broadcast_to(np.asarray(tag, dtype=np.int8), (n,)).copy()
    return EntityRows({k: np.asarray(v) for k, v in columns.items()}, batch, tag)


def _pick(columns: dict[str, np.ndarray], idx, batch, tag=TAG_NONE, **changed) -> EntityRows:
    """Rows `idx` of `columns` sent in `batch`, with the `changed` columns' new values (a
    correction re-sends a row with its key and changes a value)."""
    picked = {k: v[idx] for k, v in columns.items()}
    picked.update(changed)
    return _rows(picked, batch, tag)


def _concat(parts: list[EntityRows]) -> EntityRows:
    parts = [p for p in parts if len(p)]
    names = list(parts[0].columns)
    columns = {k: np.concatenate([p.columns[k] for p in parts]) for k in names}
    batch = np.concatenate([p.batch for p in parts])
    tag = np.concatenate([p.tag for p in parts])
    order = np.argsort(batch, kind="stable")
    return EntityRows({k: v[order] for k, v in columns.items()}, batch[order], tag[order])


def _per_daily(rng: np.random.Generator, pool: np.ndarray, per_daily: int, dailies: int):
    """Distinct rows of `pool` for each daily batch: (rows, their batch), in pool order."""
    total = min(len(pool), per_daily * dailies)
    if total == 0:
        return pool[:0], pool[:0]
    chosen = rng.choice(pool, total, replace=False)
    batch = 1 + np.arange(total) % dailies
    order = np.lexsort((chosen, batch))
    return chosen[order], batch[order]


class _Assembler:
    def __init__(
        self, world: World, dirty: bool, rng: np.random.Generator, pick: np.random.Generator
    ) -> None:
        self.w = world
        self.dirty = dirty
        self.rng = rng
        self.pick = pick
        self.nd = world.scale.dailies
        self.days = world.batch_days
        self.late_case_batch = world.late_batch + 1 if dirty else world.late_batch
        self.out = Assembly(entities={})
        c, ln = world.cases, world.lines
        self.partial_case = (c.phase == PARTIAL) & ~c.late
        # Lines the suspicious over-delivery goes on: fully delivered, one on a
        # SUPPLY_SERVICE_COMPLETE case that is not otherwise ready, one on an open case.
        full = (ln.mode == MODE_DELIVERY) & (ln.delivered_qty == ln.qty) & (ln.qty >= 1)
        over = []
        for mask in (
            full
            & (c.status[ln.case] == SSC)
            & (c.role[ln.case] != R_READY)
            & (c.phase[ln.case] == COMPLETE)
            & (c.to_ssc_batch[ln.case] == 0),
            full & self.partial_case[ln.case],
        ):
            pool = np.flatnonzero(mask)
            if len(pool):
                over.append(int(pool[pick.integers(len(pool))]))
        self.over_lines = np.array(over, dtype=np.int64)

    def note(self, batch: int, entity: str, kind: str, rows: int) -> None:
        if rows:
            self.out.corrections.append(
                {"batch": batch, "entity": entity, "kind": kind, "rows": int(rows)}
            )

    def note_all(self, batches: np.ndarray, entity: str, kind: str) -> None:
        for b in range(1, self.nd + 1):
            self.note(b, entity, kind, int((batches == b).sum()))

    def _new_in_dailies(self, pool: np.ndarray, batch: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Rows of `pool` (0.7% of all rows) that the dailies bring as new: their `batch` is set
        and their `day` falls on the batch's day or up to three days before. Returns them."""
        idx, b = _per_daily(self.rng, pool, max(1, round(0.007 * len(batch))), self.nd)
        batch[idx] = b
        day[idx] = self.days[b] - self.rng.integers(0, 4, len(idx))
        return idx

    # -- entities ---------------------------------------------------------------------------

    def countries(self) -> EntityRows:
        co = self.w.countries
        n = len(co.codes)
        return _rows(
            {
                "country_code": np.arange(n),
                "name": np.arange(n),
                "has_special_billing_arrangement": co.sba,
            },
            0,
        )

    def cases(self) -> EntityRows:
        c = self.w.cases
        cols = {
            "case_id": np.arange(c.n),
            "country_code": c.country,
            "implementing_agency": c.ia,
            "case_designator": np.arange(c.n),
            "status": c.status,
            "offer_expiration_date": c.offer_exp,
            "acceptance_date": c.accept,
            "implementation_date": c.impl,
            "terms_of_sale": c.terms,
            "admin_surcharge_rate": c.rate,
            "admin_surcharge_waived": c.waived,
            "sblc_in_place": c.sblc,
            "supply_services_complete_date": c.ssc,
        }
        base = np.flatnonzero(~c.late)
        to_ssc = c.to_ssc_batch[base] > 0
        accepting = c.accept_batch[base] > 0
        history = _pick(
            cols,
            base,
            0,
            status=np.where(to_ssc, IMPL, np.where(accepting, OFFERED, c.status[base])),
            acceptance_date=np.where(accepting, NO_DATE, c.accept[base]),
            implementation_date=np.where(accepting, NO_DATE, c.impl[base]),
            supply_services_complete_date=np.where(to_ssc, NO_DATE, c.ssc[base]),
        )
        ssc_idx = np.flatnonzero(c.to_ssc_batch > 0)
        ssc_rows = _pick(cols, ssc_idx, c.to_ssc_batch[ssc_idx])
        acc_idx = np.flatnonzero(c.accept_batch > 0)
        acc_rows = _pick(cols, acc_idx, c.accept_batch[acc_idx], status=np.full(len(acc_idx), IMPL))
        pool = np.flatnonzero(self.partial_case & ~c.sblc)
        sblc_idx, sblc_batch = _per_daily(self.rng, pool, max(1, round(0.002 * c.n)), self.nd)
        sblc_rows = _pick(cols, sblc_idx, sblc_batch, sblc_in_place=np.ones(len(sblc_idx), bool))
        late_idx = np.flatnonzero(c.late)
        late_rows = _pick(cols, late_idx, self.late_case_batch, TAG_LATE_CASE)
        self.out.late_case = c.ids[int(late_idx[0])]
        self.note_all(ssc_rows.batch, "cases", "moved to SUPPLY_SERVICE_COMPLETE")
        self.note_all(acc_rows.batch, "cases", "OFFERED case accepted and implemented")
        self.note_all(sblc_rows.batch, "cases", "standby letter of credit put in place")
        daily = _concat([ssc_rows, acc_rows, sblc_rows, late_rows])
        order = np.lexsort((daily.columns["case_id"], daily.batch))
        daily = EntityRows(
            {k: v[order] for k, v in daily.columns.items()}, daily.batch[order], daily.tag[order]
        )
        return _concat([history, daily])

    def case_lines(self) -> EntityRows:
        ln, c = self.w.lines, self.w.cases
        cols = {
            "case_id": ln.case,
            "line_number": ln.number,
            "generic_code": ln.item,
            "description": ln.description,
            "unit_of_issue": ln.unit,
            "source_of_supply": ln.source,
            "line_kind": ln.kind,
            "ordered_quantity": ln.qty,
            "line_value": ln.value,
        }
        late = c.late[ln.case]
        history = _pick(cols, np.flatnonzero(~late), 0)
        late_rows = _pick(cols, np.flatnonzero(late), self.w.late_batch, TAG_LATE)
        pool = np.flatnonzero(
            self.partial_case[ln.case] & (ln.mode == MODE_DELIVERY) & (ln.price > 0)
        )
        pool = np.setdiff1d(pool, self.over_lines)
        idx, batch = _per_daily(self.rng, pool, max(1, round(0.003 * ln.n)), self.nd)
        add = 1 + (self.rng.random(len(idx)) * np.maximum(ln.qty[idx] // 10, 1)).astype(np.int64)
        amended = _pick(
            cols,
            idx,
            batch,
            ordered_quantity=ln.qty[idx] + add,
            line_value=ln.value[idx] + add * ln.price[idx],
        )
        self.note_all(amended.batch, "case_lines", "line amended: quantity and value raised")
        return _concat([history, late_rows, amended])

    def payment_schedules(self) -> EntityRows:
        s, c = self.w.schedules, self.w.cases
        rows = _rows(
            {
                "case_id": s["case"],
                "due_date": s["due_date"],
                "amount": s["amount"],
                "is_initial_deposit": s["is_initial_deposit"],
            },
            s["batch"],
            np.where(c.late[s["case"]], TAG_LATE_CASE, TAG_NONE),
        )
        for b in range(1, self.nd + 1):
            self.note(
                b,
                "payment_schedules",
                "schedule of a newly accepted case",
                int(((s["batch"] == b) & ~c.late[s["case"]]).sum()),
            )
        parts = [rows]
        if self.dirty:
            parts.append(self._off_schedule())
        return _concat(parts)

    def _off_schedule(self) -> EntityRows:
        s, c = self.w.schedules, self.w.cases
        history_cases = np.unique(s["case"][s["batch"] == 0])
        eligible = history_cases[np.isin(c.status[history_cases], (IMPL, SSC))]
        n = min(2, len(eligible))
        chosen = np.sort(self.pick.choice(eligible, n, replace=False)) if n else eligible[:0]
        due = []
        for case in chosen:
            taken = set(s["due_date"][s["case"] == case].tolist())
            d = day("2026-04-30")
            while d in taken:
                d -= 1
            due.append(d)
            self.out.suspicious.append(
                {
                    "kind": "OFF_SCHEDULE_DUE_DATE",
                    "batch": 0,
                    "case_id": c.ids[int(case)],
                    "due_date": iso(d),
                }
            )
        amount = (self.pick.random(n) * 5e7).astype(np.int64) + 100_000
        return _rows(
            {
                "case_id": chosen,
                "due_date": np.array(due, dtype=np.int64),
                "amount": amount,
                "is_initial_deposit": np.zeros(n, bool),
            },
            0,
            TAG_SUSPICIOUS,
        )

    def collections(self) -> EntityRows:
        col, c = self.w.collections, self.w.cases
        n = len(col["case"])
        ids = np.arange(1, n + 1)
        cols = {
            "collection_id": ids,
            "country_code": col["country"],
            "case_id": col["case"],
            "received_date": col["received_date"],
            "amount": col["amount"],
            "funding_source": col["funding_source"],
        }
        tag = np.where((col["case"] >= 0) & c.late[np.maximum(col["case"], 0)], TAG_LATE_CASE, 0)
        open_row = (
            (col["batch"] == 0)
            & (col["case"] >= 0)
            & self.partial_case[np.maximum(col["case"], 0)]
            & (col["amount"] > 0)
        )
        batch = col["batch"]
        base = _rows(cols, batch, tag)
        pool = np.flatnonzero(open_row)
        idx, batch = _per_daily(self.rng, pool, max(1, round(0.001 * n)), self.nd)
        factor = 0.9 + 0.2 * self.rng.random(len(idx))
        amount = np.maximum((col["amount"][idx] * factor).astype(np.int64), 1)
        corrected = _pick(cols, idx, batch, amount=amount)
        self.note_all(corrected.batch, "collections", "amount corrected")
        return _concat([base, corrected])

    def expenditures(self) -> EntityRows:
        e, ln = self.w.expenditures, self.w.lines
        line = e["line"]
        n, case = len(line), ln.case[line]
        batch = np.zeros(n, dtype=np.int64)
        date = e["expenditure_date"].copy()
        # A liquidation travels with the delivery it liquidates.
        liq = np.flatnonzero(e["delivery"] >= 0)
        batch[liq] = self.delivery_batch[e["delivery"][liq]]
        date[liq] = self.delivery_reported[e["delivery"][liq]]
        open_row = self.partial_case[case] & (e["category"] != LIQUIDATION)
        in_transit = expenditures_in_transit(self.w.cases, ln, e)
        idx = self._new_in_dailies(np.flatnonzero(in_transit), batch, date)
        cols = {
            "expenditure_id": np.arange(1, n + 1),
            "case_id": case,
            "line_number": ln.number[line],
            "expenditure_date": date,
            "amount": e["amount"],
            "category": e["category"],
        }
        base = _rows(cols, batch)
        self.note_all(batch[idx], "expenditures", "new expenditure")
        pool = np.flatnonzero(open_row & (batch == 0) & (e["amount"] > 0))
        cidx, cb = _per_daily(self.rng, pool, max(1, round(0.002 * n)), self.nd)
        factor = 0.8 + 0.4 * self.rng.random(len(cidx))
        amount = np.maximum((e["amount"][cidx] * factor).astype(np.int64), 1)
        corrected = _pick(cols, cidx, cb, amount=amount)
        self.note_all(cb, "expenditures", "amount corrected")
        # A reversed delivery's liquidation is reversed with it (re-sent at 0.00).
        by_delivery = np.full(len(self.delivery_batch), -1, dtype=np.int64)
        by_delivery[e["delivery"][liq]] = liq
        lidx = by_delivery[self.reversed]
        has = lidx >= 0
        lidx, lb = lidx[has], self.reversed_batch[has]
        unliquidated = _pick(cols, lidx, lb, amount=np.zeros(len(lidx), dtype=np.int64))
        self.note_all(lb, "expenditures", "liquidation reversed with its delivery")
        return _concat([base, corrected, unliquidated])

    def deliveries(self) -> EntityRows:
        d, ln = self.w.deliveries, self.w.lines
        line = d["line"]
        n, case = len(line), ln.case[line]
        batch = np.zeros(n, dtype=np.int64)
        ship = d["shipment_date"].copy()
        reported = d["reported_date"].copy()
        estimated = d["estimated"].copy()
        value = d["delivered_value"].copy()
        actual = d["actual_value"]
        rng = self.rng
        open_row = self.partial_case[case]
        # New deliveries: the latest ones of open lines, shipped that day or a few days before.
        in_transit = deliveries_in_transit(self.w.cases, ln, d)
        idx = self._new_in_dailies(np.flatnonzero(in_transit), batch, ship)
        b = batch[idx]
        reported[idx] = ship[idx] + (rng.random(len(idx)) * (self.days[b] - ship[idx] + 1)).astype(
            np.int64
        )
        new_est = rng.random(len(idx)) < 0.35
        estimated[idx] = new_est
        value[idx] = np.where(
            new_est,
            actual[idx] * (900 + (rng.random(len(idx)) * 201).astype(np.int64)) // 1000,
            actual[idx],
        )
        self.note_all(b, "deliveries", "new delivery")
        cols = {
            "delivery_id": np.arange(1, n + 1),
            "case_id": case,
            "line_number": ln.number[line],
            "shipment_date": ship,
            "reported_date": reported,
            "quantity": d["quantity"],
            "delivered_value": value,
            "price_code": np.where(estimated, PRICE_E, PRICE_A),
        }
        base = _rows(cols, batch)
        protected = np.isin(line, self.over_lines)
        # Re-priced: estimated deliveries corrected to their actual price.
        pool = np.flatnonzero(open_row & (batch == 0) & estimated & ~protected)
        ridx, rb = _per_daily(rng, pool, max(1, round(0.002 * n)), self.nd)
        repriced = _pick(
            cols, ridx, rb, delivered_value=actual[ridx], price_code=np.full(len(ridx), PRICE_A)
        )
        self.note_all(rb, "deliveries", "re-priced from E to A")
        later = self._repriced_in_a_later_quarter(
            cols, open_row & (batch == 0) & estimated & ~protected, ridx, ship, reported, actual
        )
        # Reversals: the same delivery_id with quantity 0 and value 0.00.
        pool = np.flatnonzero(open_row & (batch == 0) & ~estimated & ~protected)
        pool = np.setdiff1d(pool, ridx)
        vidx, vb = _per_daily(rng, pool, max(1, round(0.0003 * n)), self.nd)
        none = np.zeros(len(vidx), dtype=np.int64)
        reversed_ = _pick(cols, vidx, vb, quantity=none, delivered_value=none)
        self.delivery_batch, self.delivery_reported = batch, reported
        self.reversed, self.reversed_batch = vidx, vb
        self.note_all(vb, "deliveries", "reversal (quantity 0, value 0.00)")
        parts = [base, repriced, later, reversed_, self._late_deliveries(n)]
        if self.dirty:
            parts.append(self._over_deliveries(n + 10))
        return _concat(parts)

    def _repriced_in_a_later_quarter(
        self,
        cols: dict[str, np.ndarray],
        estimated: np.ndarray,
        taken: np.ndarray,
        ship: np.ndarray,
        reported: np.ndarray,
        actual: np.ndarray,
    ) -> EntityRows:
        """Estimates reported in the quarter before the last one ended before the anchor, whose
        actual price a daily reports within that last quarter (C9.13.2: an estimate converted
        to actual): the delivery listing of the last quarter then carries a REPRICING line
        against the previous quarter's statement. Only shipments recent enough for the new
        report to stay within REPRICE_REPORT_DAYS of the shipment qualify."""
        last_start, last_end = LAST_QUARTER
        pool = np.flatnonzero(
            estimated
            & (reported >= PREVIOUS_QUARTER_START)
            & (reported < last_start)
            & (ship + REPRICE_REPORT_DAYS >= last_start)
        )
        pool = np.setdiff1d(pool, taken)
        idx, b = _per_daily(self.rng, pool, max(1, round(0.0005 * len(ship))), self.nd)
        latest = np.minimum(ship[idx] + REPRICE_REPORT_DAYS, last_end)
        when = last_start + (self.rng.random(len(idx)) * (latest - last_start + 1)).astype(np.int64)
        self.note_all(b, "deliveries", "re-priced from E to A, reported in a later quarter")
        return _pick(
            cols,
            idx,
            b,
            reported_date=when,
            delivered_value=actual[idx],
            price_code=np.full(len(idx), PRICE_A),
        )

    def _late_deliveries(self, first_id: int) -> EntityRows:
        ln, c = self.w.lines, self.w.cases
        lines = np.flatnonzero(c.late[ln.case])
        qty = np.maximum(ln.qty[lines] // 2, 1)
        bday = self.days[self.w.late_batch]
        return _rows(
            {
                "delivery_id": first_id + 1 + np.arange(len(lines)),
                "case_id": ln.case[lines],
                "line_number": ln.number[lines],
                "shipment_date": bday - 2 - np.arange(len(lines)),
                "reported_date": np.full(len(lines), bday),
                "quantity": qty,
                "delivered_value": qty * ln.price[lines],
                "price_code": np.full(len(lines), PRICE_A),
            },
            self.w.late_batch,
            TAG_LATE,
        )

    def _over_deliveries(self, first_id: int) -> EntityRows:
        ln, c = self.w.lines, self.w.cases
        lines = self.over_lines
        ship = np.minimum(
            ln.last_ship[lines] + 1 + self.pick.integers(0, 10, len(lines)), ANCHOR - 1
        )
        qty = np.ones(len(lines), dtype=np.int64)
        for line in lines:
            self.out.suspicious.append(
                {
                    "kind": "OVER_DELIVERED",
                    "batch": 0,
                    "case_id": c.ids[int(ln.case[line])],
                    "line_number": int(ln.number[line]),
                }
            )
        return _rows(
            {
                "delivery_id": first_id + 1 + np.arange(len(lines)),
                "case_id": ln.case[lines],
                "line_number": ln.number[lines],
                "shipment_date": ship,
                "reported_date": np.minimum(ship + 5, ANCHOR),
                "quantity": qty,
                "delivered_value": qty * ln.price[lines],
                "price_code": np.full(len(lines), PRICE_A),
            },
            0,
            TAG_SUSPICIOUS,
        )

    def requirements_forecasts(self) -> EntityRows:
        f = self.w.forecasts
        cols = {
            "case_id": f["case"],
            "quarter_start": f["quarter_start"],
            "forecast_amount": f["forecast_amount"],
            "termination_liability": f["termination_liability"],
        }
        base = _rows(cols, 0)
        pool = np.arange(len(f["case"]))
        idx, b = _per_daily(self.rng, pool, max(1, round(0.005 * len(pool))), self.nd)
        factor = 0.7 + 0.6 * self.rng.random(len(idx))
        revised = (f["forecast_amount"][idx] * factor).astype(np.int64)
        self.note_all(b, "requirements_forecasts", "forecast revised")
        return _concat([base, _pick(cols, idx, b, forecast_amount=revised)])

    def buy_backs(self) -> EntityRows:
        bb, ln = self.w.buy_backs, self.w.lines
        n = len(bb["line"])
        line = bb["line"]
        cols = {
            "buy_back_id": np.arange(1, n + 1),
            "case_id": ln.case[line],
            "line_number": ln.number[line],
            "quantity": bb["quantity"],
            "recipient": bb["recipient"],
            "legal_authority": bb["legal_authority"],
            "contract_executed_date": bb["contract_executed_date"],
            "reconciled": bb["reconciled"],
        }
        base = _rows(cols, 0)
        pool = np.flatnonzero(bb["contract_executed_date"] == NO_DATE)
        idx, b = _per_daily(self.rng, pool, 1, self.nd)
        self.note_all(b, "buy_backs", "buy back contract executed")
        return _concat([base, _pick(cols, idx, b, contract_executed_date=self.days[b])])

    def run(self, on_step: Callable[[str, float], None]) -> Assembly:
        e = self.out.entities
        # Deliveries before expenditures: liquidations follow their deliveries.
        makers = (
            ("countries", self.countries),
            ("cases", self.cases),
            ("case_lines", self.case_lines),
            ("payment_schedules", self.payment_schedules),
            ("collections", self.collections),
            ("deliveries", self.deliveries),
            ("expenditures", self.expenditures),
            ("requirements_forecasts", self.requirements_forecasts),
            ("buy_backs", self.buy_backs),
        )
        for i, (name, make) in enumerate(makers):
            on_step(f"assembling batches: {name}", i / len(makers))
            e[name] = make()
        self.out.corrections.sort(key=lambda r: (r["batch"], r["entity"], r["kind"]))
        return self.out


def assemble(
    world: World,
    dirty: bool,
    rng: np.random.Generator,
    pick: np.random.Generator,
    on_step: Callable[[str, float], None] | None = None,
) -> Assembly:
    """Every entity's rows with their batch. `rng` drives the dailies, `pick` the suspicious
    rows (drawn in clean runs too, so a clean and a dirty run share every clean row)."""
    step = on_step or (lambda _desc, _done: None)
    return _Assembler(world, dirty, rng, pick).run(step)
