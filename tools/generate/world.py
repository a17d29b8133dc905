"""The clean synthetic world: purchasers, cases, lines and everything that happens on them.

Everything is built column-wise with numpy from seeded generators, so the same seed gives the
same world and the large scale stays fast. Which batch each row travels in, the daily
corrections and the injected bad rows are decided afterwards (`batches`, `dirty`).

Conventions: days are day numbers (`catalog.day`), `NO_DATE` is NULL; money is int64 cents;
rates are int64 micro-units (35000 = 0.035), -1 = NULL; codes are indexes into the contract's
allowed tuples.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from fms.contract import (
    CASE_STATUSES,
    EXPENDITURE_CATEGORIES,
    FUNDING_SOURCES,
    LINE_KINDS,
    SOURCES_OF_SUPPLY,
    TERMS_OF_SALE,
    UNITS_OF_ISSUE,
)

from .catalog import (
    ANCHOR,
    CATALOG,
    COUNTRIES,
    DRAWDOWN_COUNTRY,
    FIRST_SBA_COUNTRY,
    FMF_COUNTRIES,
    IMPLEMENTING_AGENCIES,
    LEGAL_AUTHORITIES,
    MULTILINE_DESCRIPTION_INDEX,
    NO_DATE,
    SCML_ITEM,
    Scale,
    day,
)

STATUS = {s: i for i, s in enumerate(CASE_STATUSES)}
DEV, OFFERED, IMPL = STATUS["DEVELOPMENT"], STATUS["OFFERED"], STATUS["IMPLEMENTED"]
SSC, CLOSED, CANCELLED = STATUS["SUPPLY_SERVICE_COMPLETE"], STATUS["CLOSED"], STATUS["CANCELLED"]
TERM = {t: i for i, t in enumerate(TERMS_OF_SALE)}
CATEGORY = {c: i for i, c in enumerate(EXPENDITURE_CATEGORIES)}
FUNDING = {f: i for i, f in enumerate(FUNDING_SOURCES)}
SOURCE_S, SOURCE_P, SOURCE_X = (SOURCES_OF_SUPPLY.index(s) for s in ("S", "P", "X"))

# Case phases: no activity yet / work in progress / all delivered and performed.
NONE, PARTIAL, COMPLETE = 0, 1, 2
# Roles that give the closure report something to show (on SUPPLY_SERVICE_COMPLETE cases).
R_NONE, R_READY, R_EST, R_SHORT, R_OVER, R_UNDER, R_SCMLMIN = range(7)
# How a line performs: physical deliveries, SERVICE expenditures, or not at all (SCML).
MODE_NONE, MODE_DELIVERY, MODE_SERVICE = 0, 1, 2

SCML_FROM, SCML_TO = day("2006-08-01"), day("2012-07-02")
SCML_MINIMUM_CENTS = 1_500_000
ERA_RATE_MICRO = 38_000  # the rate table's 3.8% covers the whole SCML era
EXPLICIT_RATES_MICRO = np.array([25_000, 32_000, 35_000, 38_000])
NEXT_DUE_DATE = day("2026-12-15")  # the first SAMM due date after the anchor
TL_SHARE = 0.15  # termination liability reserve of a procurement-heavy case: share of its rest
SCHEDULE_LEAD_DAYS = 270  # payment schedules collect for the work of the next nine months
CUSHION_PERCENT = 4  # schedules and closing collections cover value + 4% (above any rate used)
# Requirements forecasts: from the quarter the last statement before the anchor covers (the
# quarter ended 30 Jun 2026 bills Q3 and Q4 2026) eight quarters out, so a payment schedule
# review as of 30 Sep 2026 has several coming payment dates (through 15 Mar 2028, covering Q2
# 2028), each case up to the quarter its work ends in.
FORECAST_QUARTERS = tuple(
    day(q)
    for q in (
        "2026-07-01",
        "2026-10-01",
        "2027-01-01",
        "2027-04-01",
        "2027-07-01",
        "2027-10-01",
        "2028-01-01",
        "2028-04-01",
    )
)
# Payment schedules that fall behind the work (SAMM C9.9.3: a schedule is revised when the
# requirements change substantively): this share of the open cases worth $2M or more (where
# 5% of the value is above the review's $100,000 floor) has a schedule collecting only for the
# work of SCHEDULE_BEHIND_DAYS ago, without the termination liability reserve, so a review
# finds it SHORT; the others collect SCHEDULE_LEAD_DAYS ahead, far AHEAD on long cases.
SCHEDULE_BEHIND_SHARE = 0.3
SCHEDULE_BEHIND_MIN_CENTS = 200_000_000
SCHEDULE_BEHIND_DAYS = -90
# The last quarter ended before the anchor (the statements of 30 Sep 2026) and the start of the
# one before it. Shipments of that earlier quarter's last REPRICE_REPORT_DAYS are mostly
# reported at estimated prices (the actual comes after the quarter closes): some are re-priced
# to actual in the last quarter (`batches`), a REPRICING line of its delivery listing. A
# delivery's report, a re-pricing included, comes at most REPRICE_REPORT_DAYS after shipment.
LAST_QUARTER = (day("2026-07-01"), day("2026-09-30"))
PREVIOUS_QUARTER_START = day("2026-04-01")
REPRICE_REPORT_DAYS = 45
QUARTER_END_ESTIMATED_SHARE = 0.7
SBA_PAID_BEHIND_DAYS = 91


# ----------------------------------------------------------------------------- helpers


def uniforms(rng: np.random.Generator, n: int, names: str, spare: int = 0) -> np.recarray:
    """`n` rows of uniform [0, 1) draws, one field for each decision in `names`: a decision
    reads its own field (`draws.waived < 0.03`), never another's. One `rng.random` matrix in
    `names` order; `spare` more columns are drawn that no decision reads, so that the draws
    after them stay the same."""
    fields = names.split()
    u = rng.random((n, len(fields) + spare))
    return np.rec.fromarrays(u[:, : len(fields)].T, names=fields)


def seg_layout(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For segments of `counts` rows: each row's segment, its position in it, segment starts."""
    counts = np.asarray(counts, dtype=np.int64)
    ends = np.cumsum(counts)
    starts = ends - counts
    parent = np.repeat(np.arange(len(counts)), counts)
    pos = np.arange(int(ends[-1]) if len(counts) else 0) - starts[parent]
    return parent, pos, starts


def _segment_fractions(
    counts: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Random increasing fractions in (0, 1] per segment (last one exactly at the segment's
    total weight) and each row's own weight share."""
    parent, pos, starts = seg_layout(counts)
    w = rng.random(len(parent)) + 0.2
    cw = np.cumsum(w)
    base = np.zeros(len(counts))
    nz = starts > 0
    base[nz] = cw[starts[nz] - 1]
    seg = cw - base[parent]
    total = np.zeros(len(counts))
    has = counts > 0
    total[has] = seg[(starts + counts - 1)[has]]
    return seg / total[parent], w / total[parent], parent, pos


def split_positive(
    totals: np.ndarray, counts: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split each total into `counts` integer parts >= 1 that sum to it exactly.
    Requires totals >= counts >= 1. Returns (parts, segment of each part, position)."""
    totals = np.asarray(totals, dtype=np.int64)
    counts = np.asarray(counts, dtype=np.int64)
    frac, _, parent, pos = _segment_fractions(counts, rng)
    spare = (totals - counts)[parent]
    cum = np.floor(spare * frac).astype(np.int64)
    last = pos == counts[parent] - 1
    cum[last] = spare[last]
    prev = np.zeros_like(cum)
    prev[1:] = cum[:-1]
    prev[pos == 0] = 0
    return cum - prev + 1, parent, pos


def spread_days(
    lo: np.ndarray, hi: np.ndarray, counts: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """`counts` non-decreasing days per segment within [lo, hi]."""
    frac, share, parent, _ = _segment_fractions(counts, rng)
    width = np.maximum(hi - lo, 0)[parent]
    return lo[parent] + np.floor(width * (frac - share / 2)).astype(np.int64)


def calibrated_counts(caps: np.ndarray, target: int, rng: np.random.Generator) -> np.ndarray:
    """Per-segment event counts, 1 + geometric-like, capped at `caps`, summing to ~target."""
    caps = np.asarray(caps, dtype=np.int64)
    if len(caps) == 0:
        return caps
    spread = -np.log(1.0 - rng.random(len(caps)))

    def counts(lam: float) -> np.ndarray:
        return np.minimum(caps, 1 + np.floor(lam * spread).astype(np.int64))

    if counts(0.0).sum() >= target:
        return counts(0.0)
    lo, hi = 0.0, 1.0
    while counts(hi).sum() < target and hi < 1e9:
        hi *= 2
    for _ in range(60):
        mid = (lo + hi) / 2
        if counts(mid).sum() < target:
            lo = mid
        else:
            hi = mid
    return counts(hi)


def group_sum(keys: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Exact int64 sums of `values` per key 0..n-1."""
    out = np.zeros(n, dtype=np.int64)
    np.add.at(out, keys, np.asarray(values, dtype=np.int64))
    return out


def first_in_group(keys: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    """Index of the first row with `mask` per key (-1 when none)."""
    out = np.full(n, -1, dtype=np.int64)
    idx = np.flatnonzero(mask)
    uniq, first = np.unique(keys[idx], return_index=True)
    out[uniq] = idx[first]
    return out


def loguniform(lo: np.ndarray, hi: np.ndarray, u: np.ndarray) -> np.ndarray:
    lo = np.maximum(np.asarray(lo, dtype=float), 1e-9)
    hi = np.maximum(np.asarray(hi, dtype=float), lo)
    return np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo)))


def months_of(days: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of day numbers."""
    return np.asarray(days, dtype="datetime64[D]").astype("datetime64[M]").astype(np.int64)


def day_of_month(months: np.ndarray, dom: int) -> np.ndarray:
    """Day number of day `dom` of absolute month numbers."""
    first = np.asarray(months, dtype=np.int64).astype("datetime64[M]").astype("datetime64[D]")
    return first.astype(np.int64) + (dom - 1)


def first_payment_day(acceptance: np.ndarray) -> np.ndarray:
    """SAMM Table C9.T12: the first quarterly payment date for an acceptance date.
    Accepted 11 Sep-10 Dec -> 15 Mar; 11 Dec-10 Mar -> 15 Jun; 11 Mar-10 Jun -> 15 Sep;
    11 Jun-10 Sep -> 15 Dec. Shifting by 10 days makes the windows whole months."""
    m = months_of(np.asarray(acceptance) - 10)
    season_start = m - ((m % 12 - 2) % 3)  # Mar, Jun, Sep or Dec starting the window
    return day_of_month(season_start + 6, 15)


# ----------------------------------------------------------------------------- the world


@dataclass
class Countries:
    codes: list[str]
    names: list[str]
    sba: np.ndarray


@dataclass
class Cases:
    n: int
    ids: list[str]
    designators: list[str]
    country: np.ndarray
    ia: np.ndarray
    status: np.ndarray  # final status (after the dailies)
    offer_exp: np.ndarray
    accept: np.ndarray
    impl: np.ndarray
    ssc: np.ndarray  # final SSC date
    terms: np.ndarray
    rate: np.ndarray
    waived: np.ndarray
    sblc: np.ndarray
    phase: np.ndarray
    role: np.ndarray
    to_ssc_batch: np.ndarray  # daily batch moving the case to SSC (0: none)
    accept_batch: np.ndarray  # daily batch accepting an OFFERED case (0: none)
    late: np.ndarray  # the late-arrival case
    small: np.ndarray
    zero_value: np.ndarray
    procurement: np.ndarray
    start: np.ndarray  # first activity
    end: np.ndarray  # planned (PARTIAL) or actual (COMPLETE) end of activity
    progress: np.ndarray
    schedule_behind: np.ndarray = None  # forced to a payment schedule behind the work
    value: np.ndarray = None  # non-SCML line value, cents
    scml: np.ndarray = None  # SCML line value, cents


@dataclass
class Lines:
    n: int
    case: np.ndarray
    number: np.ndarray
    item: np.ndarray
    description: np.ndarray
    unit: np.ndarray
    source: np.ndarray
    kind: np.ndarray
    qty: np.ndarray
    price: np.ndarray
    value: np.ndarray
    mode: np.ndarray
    start: np.ndarray
    end: np.ndarray
    delivered_qty: np.ndarray
    service_value: np.ndarray
    first_ship: np.ndarray = None
    last_ship: np.ndarray = None


@dataclass
class World:
    scale: Scale
    batch_days: np.ndarray  # day of each batch: [anchor, anchor+1, ...]
    late_batch: int  # daily batch bringing the late case's lines and deliveries
    countries: Countries
    cases: Cases
    lines: Lines
    deliveries: dict[str, np.ndarray]
    expenditures: dict[str, np.ndarray]
    schedules: dict[str, np.ndarray]
    collections: dict[str, np.ndarray]
    forecasts: dict[str, np.ndarray]
    buy_backs: dict[str, np.ndarray]


def build_countries(scale: Scale) -> Countries:
    rows = COUNTRIES[: scale.countries]
    return Countries(
        codes=[r[0] for r in rows],
        names=[r[1] for r in rows],
        sba=np.array([r[2] for r in rows], dtype=bool),
    )


# Cases with fixed roles, so even the small scale shows every feature (boundary dates of the
# SCML era, the C9.T12 windows and the surcharge rate table included).
FORCED_CASES: tuple[dict, ...] = (
    dict(status=IMPL, accept="2006-07-31", small=True),
    dict(status=IMPL, accept="2006-08-01", small=True),
    dict(status=SSC, role=R_READY, accept="2012-07-02", small=True),
    dict(status=SSC, role=R_READY, accept="2012-07-03", small=True),
    dict(status=SSC, role=R_READY, accept="2015-03-10"),
    dict(status=SSC, role=R_SCMLMIN, accept="2009-03-11", small=True),
    dict(status=SSC, role=R_EST, accept="2018-05-31"),
    dict(status=SSC, role=R_SHORT, accept="2018-06-01"),
    dict(status=SSC, role=R_OVER, accept="2012-10-31"),
    dict(status=SSC, role=R_UNDER, accept="2012-11-01"),
    dict(status=IMPL, complete=True, to_ssc=1, accept="2019-09-10"),
    dict(status=IMPL, complete=True, to_ssc=-1, accept="2020-09-11"),
    dict(status=IMPL, complete=True, accept="2016-12-10"),
    dict(status=OFFERED, accept_batch=1),
    dict(status=OFFERED, accept_batch=-1),
    dict(status=OFFERED),
    dict(status=DEV),
    dict(status=CANCELLED),
    dict(status=CLOSED, accept="2004-12-10"),
    dict(status=IMPL, waived=True, accept="2010-06-10", small=True),
    dict(status=IMPL, terms="EDA_GRANT", zero=True, accept="2008-06-11", small=True),
    dict(status=IMPL, sblc=True, procurement=True, accept="2024-12-11"),
    dict(status=IMPL, country=DRAWDOWN_COUNTRY, accept="2011-01-15", small=True),
    dict(status=SSC, role=R_READY, rate=35_000, accept="2016-06-20"),
    dict(status=IMPL, rate=32_000, procurement=True, accept="2021-03-11"),
    dict(status=SSC, role=R_READY, accept="2007-04-02", small=True),
    dict(status=IMPL, country=FIRST_SBA_COUNTRY, procurement=True, accept="2023-03-20"),
    dict(status=IMPL, schedule_behind=True, procurement=True, accept="2022-09-20", country="UK"),
    dict(status=IMPL, schedule_behind=True, accept="2021-11-02", country="JA"),
)


def build_cases(scale: Scale, rng: np.random.Generator, countries: Countries) -> Cases:
    n = scale.cases + 1  # the last one is the late-arrival case
    nd = scale.dailies
    nco = len(countries.codes)
    weights = 1.0 / (np.arange(nco) + 1.0) ** 0.7
    if DRAWDOWN_COUNTRY in countries.codes:
        weights[countries.codes.index(DRAWDOWN_COUNTRY)] *= 0.3
    country = rng.choice(nco, n, p=weights / weights.sum())
    ia = rng.choice(3, n, p=[0.35, 0.35, 0.30])
    status = rng.choice(6, n, p=[0.05, 0.07, 0.45, 0.25, 0.12, 0.06])
    d = uniforms(
        rng,
        n,
        "explicit_rate which_rate waived sblc small procurement complete moves_to_ssc ssc_batch"
        " accepted_in_daily accept_batch eda_zero accept_day accepted_if_cancelled impl_lag"
        " offer_days",
    )
    terms_p = np.array([0.10, 0.25, 0.35, 0.03, 0.12, 0.06, 0.03, 0.06])
    terms = rng.choice(len(TERMS_OF_SALE), n, p=terms_p / terms_p.sum())
    rate = np.where(
        d.explicit_rate < 0.12, EXPLICIT_RATES_MICRO[(d.which_rate * 4).astype(int)], -1
    )
    waived = d.waived < 0.03
    sblc = d.sblc < 0.08
    small = d.small < 0.25
    zero_value = np.zeros(n, dtype=bool)
    procurement = d.procurement < 0.05
    role_draw = rng.choice(
        [R_READY, R_EST, R_SHORT, R_OVER, R_UNDER, R_NONE],
        n,
        p=[0.5, 0.1, 0.05, 0.05, 0.15, 0.15],
    )
    dates = uniforms(
        rng,
        n,
        "ssc_day daily_ssc_lag work_start work_end duration partial_end daily_accept_lag",
        spare=1,
    )
    role = np.where(status == SSC, role_draw, R_NONE)
    complete = (status == IMPL) & (d.complete < 0.10)
    to_ssc = np.where(complete & (d.moves_to_ssc < 0.4), 1 + (d.ssc_batch * nd).astype(int), 0)
    accept_batch = np.where(
        (status == OFFERED) & (d.accepted_in_daily < 0.2), 1 + (d.accept_batch * nd).astype(int), 0
    )
    forced_accept = np.full(n, NO_DATE, dtype=np.int64)
    schedule_behind = np.zeros(n, dtype=bool)
    late = np.zeros(n, dtype=bool)
    late[-1] = True

    plain = [i for i, c in enumerate(countries.codes) if c != DRAWDOWN_COUNTRY]
    if n - 1 >= len(FORCED_CASES):
        for i, f in enumerate(FORCED_CASES):
            status[i] = f["status"]
            role[i] = f.get("role", R_NONE)
            small[i] = f.get("small", False)
            complete[i] = f.get("complete", False)
            to_ssc[i] = f.get("to_ssc", 0) % (nd + 1) if f.get("to_ssc") else 0
            accept_batch[i] = f.get("accept_batch", 0) % (nd + 1) if f.get("accept_batch") else 0
            waived[i] = f.get("waived", False)
            sblc[i] = f.get("sblc", False)
            procurement[i] = f.get("procurement", False)
            zero_value[i] = f.get("zero", False)
            schedule_behind[i] = f.get("schedule_behind", False)
            rate[i] = f.get("rate", -1)
            if "terms" in f:
                terms[i] = TERM[f["terms"]]
            elif terms[i] == TERM["EDA_GRANT"]:
                terms[i] = TERM["DEPENDABLE_UNDERTAKING"]
            code = f.get("country")
            if code in countries.codes:
                country[i] = countries.codes.index(code)
            else:
                country[i] = plain[i % len(plain)]
            if "accept" in f:
                forced_accept[i] = day(f["accept"])
    # The late case: a small stock case of the first purchaser, accepted in the history window.
    status[-1], role[-1], small[-1], country[-1], ia[-1] = IMPL, R_NONE, True, plain[0], 1
    complete[-1], to_ssc[-1], accept_batch[-1], waived[-1], rate[-1] = False, 0, 0, False, -1
    terms[-1] = TERM["CASH_PRIOR_TO_DELIVERY"]
    # EDA zero-value cases are EDA grants, and only a few EDA grants are zero-value.
    zero_value |= (terms == TERM["EDA_GRANT"]) & (d.eda_zero < 0.3) & small

    batch_days = ANCHOR + np.arange(nd + 1)
    lo = day("2000-01-01")

    def span(a: str | int, b: str | int, x: np.ndarray) -> np.ndarray:
        a = day(a) if isinstance(a, str) else a
        b = day(b) if isinstance(b, str) else b
        return a + np.floor(x * (b - a)).astype(np.int64)

    accept = np.full(n, NO_DATE, dtype=np.int64)
    x = d.accept_day
    accept = np.where(status == CLOSED, span(lo, "2017-12-31", x), accept)
    accept = np.where(status == SSC, span(lo, "2023-06-30", x), accept)
    accept = np.where((status == IMPL) & complete, span("2005-01-01", "2024-06-30", x), accept)
    hi = day("2026-10-15")
    partial_accept = hi - np.floor((hi - day("2003-01-01")) * x**1.6).astype(np.int64)
    accept = np.where((status == IMPL) & ~complete, partial_accept, accept)
    accept = np.where(
        (status == CANCELLED) & (d.accepted_if_cancelled < 0.5), span(lo, "2025-06-30", x), accept
    )
    accept = np.where(forced_accept != NO_DATE, forced_accept, accept)
    daily_accept = batch_days[accept_batch] - (dates.daily_accept_lag * 3).astype(np.int64)
    accept = np.where(accept_batch > 0, daily_accept, accept)
    accept[-1] = ANCHOR - 45
    accepted = accept != NO_DATE

    impl = np.where(accepted, accept + (d.impl_lag * 91).astype(np.int64), NO_DATE)
    impl = np.where(accepted & (accept_batch == 0), np.minimum(impl, ANCHOR - 1), impl)
    impl = np.where(accept_batch > 0, np.minimum(impl, batch_days[accept_batch]), impl)
    impl[-1] = ANCHOR - 30
    offer_exp = np.where(accepted, accept + (d.offer_days * 61).astype(np.int64), NO_DATE)
    offer_exp = np.where(
        status == OFFERED, ANCHOR + 15 + (d.offer_days * 105).astype(np.int64), offer_exp
    )
    offer_exp = np.where(
        (status == CANCELLED) & ~accepted, span(lo, "2025-06-30", d.offer_days), offer_exp
    )

    ssc = np.full(n, NO_DATE, dtype=np.int64)
    closed_ssc = np.minimum(impl + 365 + (dates.ssc_day * 2500).astype(np.int64), day("2023-12-31"))
    ssc = np.where(status == CLOSED, np.maximum(closed_ssc, impl + 180), ssc)
    a, b = impl + 365, ANCHOR - 5
    ssc_ssc = np.where(
        b > a, a + (dates.ssc_day * np.maximum(b - a, 0)).astype(np.int64), (impl + b) // 2
    )
    ssc = np.where(status == SSC, ssc_ssc, ssc)
    ssc = np.where(to_ssc > 0, batch_days[to_ssc] - (dates.daily_ssc_lag * 2).astype(np.int64), ssc)
    final_status = np.where(to_ssc > 0, SSC, status)

    phase = np.full(n, NONE, dtype=np.int8)
    is_complete = (status == SSC) | (status == CLOSED) | complete
    phase[is_complete] = COMPLETE
    phase[(status == IMPL) & ~complete & (accept_batch == 0) & ~late] = PARTIAL

    start = np.where(accepted, impl + 30 + (dates.work_start * 150).astype(np.int64), NO_DATE)
    end_complete = np.where(
        to_ssc > 0,
        ANCHOR - 10 - (dates.work_end * 30).astype(np.int64),
        ssc - (dates.work_end * 30).astype(np.int64),
    )
    end_complete = np.where(
        (status == IMPL) & complete & (to_ssc == 0),
        ANCHOR - 20 - (dates.work_end * 400).astype(np.int64),
        end_complete,
    )
    duration = (365 * (1 + 7 * dates.duration)).astype(np.int64)
    end_partial = np.maximum(
        start + duration, ANCHOR + 90 + (dates.partial_end * 1400).astype(np.int64)
    )
    end = np.where(phase == COMPLETE, end_complete, np.where(accepted, end_partial, NO_DATE))
    start = np.where(phase == COMPLETE, np.maximum(np.minimum(start, end - 30), impl), start)
    end = np.where(phase == COMPLETE, np.maximum(end, start), end)
    progress = np.where(
        phase == PARTIAL,
        np.clip((ANCHOR - start) / np.maximum(end - start, 1), 0.0, 1.0),
        np.where(phase == COMPLETE, 1.0, 0.0),
    )

    # Designators: distinct 3-letter codes per purchaser and implementing agency.
    designators = [""] * n
    group = country * 3 + ia
    for g in np.unique(group):
        members = np.flatnonzero(group == g)
        codes = rng.choice(26**3, len(members), replace=False)
        for i, c in zip(members, codes, strict=True):
            designators[i] = chr(65 + c // 676) + chr(65 + c // 26 % 26) + chr(65 + c % 26)
    ids = [
        f"{countries.codes[country[i]]}-{IMPLEMENTING_AGENCIES[ia[i]]}-{designators[i]}"
        for i in range(n)
    ]
    order = np.argsort(np.array(ids), kind="stable")

    def o(arr: np.ndarray) -> np.ndarray:
        return np.asarray(arr)[order]

    return Cases(
        n=n,
        ids=[ids[i] for i in order],
        designators=[designators[i] for i in order],
        country=o(country),
        ia=o(ia),
        status=o(final_status),
        offer_exp=o(offer_exp),
        accept=o(accept),
        impl=o(impl),
        ssc=o(ssc),
        terms=o(terms),
        rate=o(rate),
        waived=o(waived),
        sblc=o(sblc),
        phase=o(phase),
        role=o(role),
        to_ssc_batch=o(to_ssc),
        accept_batch=o(accept_batch),
        late=o(late),
        small=o(small),
        zero_value=o(zero_value),
        procurement=o(procurement),
        start=o(start),
        end=o(end),
        progress=o(progress),
        schedule_behind=o(schedule_behind),
    )


def _item_index(code: str, description_start: str = "") -> int:
    for i, item in enumerate(CATALOG):
        if item.code == code and item.description.startswith(description_start):
            return i
    raise KeyError(code)


def build_lines(scale: Scale, rng: np.random.Generator, cases: Cases) -> Lines:
    nc = cases.n
    small = cases.small
    n_small = int(small.sum())
    mu = (scale.lines_per_case * scale.cases - 1.5 * n_small) / max(1, nc - n_small)
    count = np.where(
        small, 1 + (rng.random(nc) < 0.5), 1 + rng.poisson(max(mu - 1.0, 0.5), nc)
    ).astype(np.int64)
    count = np.clip(count, 1, 120)
    count[cases.late] = 2
    parent, pos, _ = seg_layout(count)
    n = len(parent)
    w_big = np.array([it.weight for it in CATALOG])
    w_small = np.array([it.small_weight for it in CATALOG])
    big_pick = rng.choice(len(CATALOG), n, p=w_big / w_big.sum())
    small_pick = rng.choice(len(CATALOG), n, p=w_small / w_small.sum())
    item = np.where(small[parent], small_pick, big_pick)
    late_rows = np.flatnonzero(cases.late[parent])
    item[late_rows] = [_item_index("H4A"), _item_index("R4A")][: len(late_rows)]
    # Every generic code of the catalog shows up at least once, even at the small scale: a
    # missing one takes over a line of an ordinary case whose code is there more than once.
    uses = np.bincount(item, minlength=len(CATALOG))
    candidates = iter(np.flatnonzero(~small[parent] & ~cases.late[parent]).tolist())
    for i in range(len(CATALOG)):
        if i == SCML_ITEM or uses[i]:
            continue
        for slot in candidates:
            if uses[item[slot]] > 1:
                uses[item[slot]] -= 1
                uses[i] += 1
                item[slot] = i
                break
    lines_draw = "source qty price small_target window_start window_end"
    d = uniforms(rng, n, lines_draw)
    source_p = np.array([it.source_p for it in CATALOG])[item]
    source = (d.source > source_p[:, 0]).astype(np.int64) + (
        d.source > source_p[:, 0] + source_p[:, 1]
    )
    source = np.array([SOURCE_S, SOURCE_P, SOURCE_X])[source]
    delivered = np.array([it.delivered for it in CATALOG])[item]
    source[cases.procurement[parent] & delivered] = SOURCE_P
    source[late_rows] = SOURCE_S

    qty_lo = np.array([it.qty[0] for it in CATALOG])[item]
    qty_hi = np.array([it.qty[1] for it in CATALOG])[item]
    qty = np.clip(np.floor(loguniform(qty_lo, qty_hi + 1, d.qty)), qty_lo, qty_hi).astype(np.int64)
    p_lo = np.array([it.unit_price[0] for it in CATALOG])[item]
    p_hi = np.array([it.unit_price[1] for it in CATALOG])[item]
    dollars = loguniform(p_lo, p_hi, d.price)
    price = np.where(dollars >= 100, np.round(dollars) * 100, np.round(dollars * 100))
    price = price.astype(np.int64)
    target = loguniform(20e3, 180e3, d.small_target) * 100
    small_qty = np.clip(np.floor(target / np.maximum(price, 1)), 1, qty_hi).astype(np.int64)
    qty = np.where(small[parent], np.minimum(qty, small_qty), qty)
    price = np.where(cases.zero_value[parent], 0, price)
    value = qty * price

    # SCML: small cases accepted in the SCML era carry a line topping the surcharge to $15,000.
    case_value = group_sum(parent, value, nc)
    rate = np.where(cases.rate >= 0, cases.rate, ERA_RATE_MICRO)
    surcharge = (rate * case_value + 500_000) // 1_000_000
    era = (cases.accept >= SCML_FROM) & (cases.accept <= SCML_TO)
    drawdown = np.array([code.startswith(DRAWDOWN_COUNTRY) for code in cases.ids], dtype=bool)
    eda_zero = (cases.terms == TERM["EDA_GRANT"]) & (case_value == 0)
    scml = np.where(
        era & ~cases.waived & ~drawdown & ~eda_zero,
        np.maximum(SCML_MINIMUM_CENTS - surcharge, 0),
        0,
    )
    random_low = (cases.status == SSC) & (cases.role != R_READY) & (rng.random(nc) < 0.05)
    low = (cases.role == R_SCMLMIN) | random_low
    scml = np.where(low & (scml > 0), np.maximum(scml - 200_000, 0), scml)
    scml_cases = np.flatnonzero(scml > 0)
    cases.value = case_value
    cases.scml = np.zeros(nc, dtype=np.int64)
    cases.scml[scml_cases] = scml[scml_cases]

    k = len(scml_cases)
    parent = np.concatenate([parent, scml_cases])
    number = np.concatenate([pos + 1, count[scml_cases] + 1])
    item = np.concatenate([item, np.full(k, SCML_ITEM)])
    source = np.concatenate([source, np.full(k, SOURCE_S)])
    qty = np.concatenate([qty, np.ones(k, dtype=np.int64)])
    price = np.concatenate([price, scml[scml_cases]])
    value = np.concatenate([value, scml[scml_cases]])
    d = np.concatenate([d, uniforms(rng, k, lines_draw)]).view(np.recarray)
    order = np.lexsort((number, parent))
    parent, number, item, source = parent[order], number[order], item[order], source[order]
    qty, price, value, d = qty[order], price[order], value[order], d[order]
    n = len(parent)

    description = item.copy()
    multiline = np.flatnonzero((item == _item_index("R8A")) & ~cases.late[parent])
    if len(multiline):
        description[multiline[0]] = MULTILINE_DESCRIPTION_INDEX
    unit = np.array([UNITS_OF_ISSUE.index(it.unit) for it in CATALOG])[item]
    kind = np.array([LINE_KINDS.index(it.kind) for it in CATALOG])[item]
    delivered = np.array([it.delivered for it in CATALOG])[item]
    mode = np.where(delivered, MODE_DELIVERY, np.where(item == SCML_ITEM, MODE_NONE, MODE_SERVICE))

    # Windows and how far each line has got.
    ph = cases.phase[parent]
    cs, ce = cases.start[parent], cases.end[parent]
    active = ph != NONE
    ls = np.where(active, cs + np.floor(d.window_start * 0.3 * (ce - cs)).astype(np.int64), NO_DATE)
    le_full = np.where(
        active,
        np.maximum(ce - np.floor(d.window_end * 0.15 * (ce - ls)).astype(np.int64), ls),
        NO_DATE,
    )
    g = uniforms(rng, n, "not_started finished", spare=1)
    f = np.zeros(n)
    f[ph == COMPLETE] = 1.0
    p = cases.progress[parent]
    fp = np.clip(p + rng.normal(0.0, 0.25, n), 0.0, 1.0)
    fp[(g.not_started < 0.2) & (p < 0.6)] = 0.0
    fp[g.finished < 0.15] = 1.0
    fp[ls >= ANCHOR - 10] = 0.0
    f = np.where(ph == PARTIAL, fp, f)
    short_case = cases.role[parent] == R_SHORT
    pick = first_in_group(parent, short_case & (mode == MODE_DELIVERY) & (qty >= 2), nc)
    fallback = first_in_group(parent, short_case & (mode == MODE_SERVICE), nc)
    pick = np.where(pick >= 0, pick, fallback)
    f[pick[pick >= 0]] = 0.5
    le = np.where(active, ls + np.floor(f * (le_full - ls)).astype(np.int64), NO_DATE)
    le = np.where(ph == PARTIAL, np.maximum(np.minimum(le, ANCHOR - 1), ls), le)
    full = f >= 1.0
    delivered_qty = np.where(
        mode == MODE_DELIVERY, np.where(full, qty, np.floor(f * qty).astype(np.int64)), 0
    )
    service_value = np.where(
        mode == MODE_SERVICE, np.where(full, value, np.floor(f * value).astype(np.int64)), 0
    )
    return Lines(
        n=n,
        case=parent,
        number=number,
        item=item,
        description=description,
        unit=unit,
        source=source,
        kind=kind,
        qty=qty,
        price=price,
        value=value,
        mode=mode,
        start=ls,
        end=le,
        delivered_qty=delivered_qty,
        service_value=service_value,
    )


def _segment_cumsum(values: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Running sums restarting where `pos` is 0."""
    cum = np.cumsum(values)
    starts = np.flatnonzero(pos == 0)
    offsets = np.where(starts > 0, cum[np.maximum(starts - 1, 0)], 0)
    return cum - offsets[np.cumsum(pos == 0) - 1]


def build_deliveries(
    scale: Scale, rng: np.random.Generator, cases: Cases, lines: Lines
) -> dict[str, np.ndarray]:
    eligible = np.flatnonzero(lines.delivered_qty > 0)
    caps = lines.delivered_qty[eligible]
    k = calibrated_counts(caps, scale.deliveries, rng)
    qty, seg, pos = split_positive(caps, k, rng)
    line = eligible[seg]
    cum_qty = _segment_cumsum(qty, pos)
    q, v = lines.qty[line], lines.value[line]
    cum_val = cum_qty * v // q
    prev = np.zeros_like(cum_val)
    prev[1:] = cum_val[:-1]
    prev[pos == 0] = 0
    actual = cum_val - prev
    ship = spread_days(lines.start[eligible], lines.end[eligible], k, rng)
    n = len(line)
    d = uniforms(rng, n, "reported_in_month report_lag estimated estimate_factor")
    lag = np.where(
        d.reported_in_month < 0.85,
        (d.report_lag * 31).astype(np.int64),
        31 + (d.report_lag * 15).astype(np.int64),
    )
    reported = np.minimum(ship + lag, ANCHOR)
    case = lines.case[line]
    ph = cases.phase[case]
    recent = ship >= ANCHOR - 180
    quarter_end_rush = (ship >= LAST_QUARTER[0] - REPRICE_REPORT_DAYS) & (ship < LAST_QUARTER[0])
    share = np.where(quarter_end_rush, QUARTER_END_ESTIMATED_SHARE, 0.35)
    est = (ph == PARTIAL) & np.where(recent, d.estimated < share, d.estimated < 0.015)
    # Estimated-price role: the last delivery of the case's first delivery line stays at E.
    est_case = cases.role[case] == R_EST
    first_line = first_in_group(
        lines.case, (cases.role[lines.case] == R_EST) & (lines.delivered_qty > 0), cases.n
    )
    is_last = np.r_[pos[1:] == 0, True]
    est |= est_case & is_last & (line == first_line[case])
    factor = np.where(est_case, 950, 900 + (d.estimate_factor * 201).astype(np.int64))
    value = np.where(est, actual * factor // 1000, actual)

    lines.first_ship = np.full(lines.n, NO_DATE, dtype=np.int64)
    lines.last_ship = np.full(lines.n, NO_DATE, dtype=np.int64)
    lines.first_ship[line[pos == 0]] = ship[pos == 0]
    lines.last_ship[line[is_last]] = ship[is_last]
    return {
        "line": line,
        "pos": pos,
        "count": k[seg],
        "shipment_date": ship,
        "reported_date": reported,
        "quantity": qty,
        "cum_quantity": cum_qty,
        "delivered_value": value,
        "actual_value": actual,
        "estimated": est,
    }


def build_expenditures(
    scale: Scale, rng: np.random.Generator, cases: Cases, lines: Lines, deliveries: dict
) -> dict[str, np.ndarray]:
    n = lines.n
    d = uniforms(rng, n, "wip_share lead_time wip_done wip_end", spare=1)
    case = lines.case
    ph = cases.phase[case]
    has_deliv = lines.delivered_qty > 0
    wip = (
        (lines.mode == MODE_DELIVERY)
        & ((lines.source == SOURCE_P) | (lines.source == SOURCE_X))
        & (ph != NONE)
    )
    alpha = np.where(lines.source == SOURCE_P, 0.4 + 0.4 * d.wip_share, 0.1 + 0.25 * d.wip_share)
    lead = 60 + (d.lead_time * 480).astype(np.int64)
    ws = np.maximum(cases.impl[case], lines.start - lead)
    h = np.where(has_deliv, 1.0, 0.2 + 0.8 * d.wip_done)
    wip &= ws <= ANCHOR - 1
    we = np.where(has_deliv, lines.first_ship, ANCHOR - 1 - (d.wip_end * 60).astype(np.int64))
    we = np.maximum(we, ws)
    wip_total = np.where(wip, np.floor(alpha * h * lines.value).astype(np.int64), 0)
    wip &= wip_total >= 1
    svc = (lines.mode == MODE_SERVICE) & (lines.service_value > 0)

    seg_line = np.concatenate([np.flatnonzero(wip), np.flatnonzero(svc)])
    totals = np.concatenate([wip_total[wip], lines.service_value[svc]])
    lo = np.concatenate([ws[wip], lines.start[svc]])
    hi = np.concatenate([we[wip], lines.end[svc]])
    is_wip = np.concatenate([np.ones(int(wip.sum()), bool), np.zeros(int(svc.sum()), bool)])

    # Each delivery on a line with work in process liquidates its share of it (a negative
    # LIQUIDATION dated when the delivery is reported), so the two never double count; a fully
    # delivered line liquidates all of it.
    d_line = deliveries["line"]
    liq = np.flatnonzero(wip[d_line])
    liq_line = d_line[liq]
    w_total, q = wip_total[liq_line], lines.qty[liq_line]
    cum_q = deliveries["cum_quantity"][liq]
    before = cum_q - deliveries["quantity"][liq]
    liq_amount = -(w_total * cum_q // q - w_total * before // q)
    liq_date = deliveries["reported_date"][liq]
    over_cases = np.flatnonzero(cases.role == R_OVER)
    target = max(scale.expenditures - len(liq) - len(over_cases), len(totals))
    k = calibrated_counts(totals, target, rng)
    amount, seg, _ = split_positive(totals, k, rng)
    date = spread_days(lo, hi, k, rng)
    line = seg_line[seg]
    cat_p = np.array([0.80, 0.08, 0.06, 0.04, 0.02])
    wip_cats = np.array(
        [CATEGORY[c] for c in ("PROGRESS_PAYMENT", "HOLDBACK", "GFM", "NONRECURRING", "OTHER")]
    )
    cat = np.where(is_wip[seg], wip_cats[rng.choice(5, len(seg), p=cat_p)], CATEGORY["SERVICE"])

    # Over-value role: an extra cost nobody amended the case for.
    first_active = first_in_group(case, lines.mode != MODE_NONE, cases.n)
    over_line = first_active[over_cases]
    keep = over_line >= 0
    over_cases, over_line = over_cases[keep], over_line[keep]
    uo = rng.random(len(over_cases))
    over_amount = np.maximum((cases.value[over_cases] * (0.03 + 0.03 * uo)).astype(np.int64), 100)
    over_date = np.maximum(cases.ssc[over_cases] - 40, cases.impl[over_cases])

    all_line = np.concatenate([line, liq_line, over_line])
    all_date = np.concatenate([date, liq_date, over_date])
    all_amount = np.concatenate([amount, liq_amount, over_amount])
    all_delivery = np.concatenate([np.full(len(line), -1), liq, np.full(len(over_line), -1)])
    all_cat = np.concatenate(
        [
            cat,
            np.full(len(liq_line), CATEGORY["LIQUIDATION"]),
            np.full(len(over_line), CATEGORY["OTHER"]),
        ]
    )
    order = np.lexsort((all_cat, all_date, all_line))
    all_line = all_line[order]
    # Rank from the end within each line (0 = latest), for the dailies' new rows.
    nxt = np.r_[all_line[1:] != all_line[:-1], True]
    seg_start = np.r_[True, all_line[1:] != all_line[:-1]]
    seg_id = np.cumsum(seg_start) - 1
    seg_end = np.flatnonzero(nxt)
    rank_from_end = seg_end[seg_id] - np.arange(len(all_line))
    return {
        "line": all_line,
        "expenditure_date": all_date[order],
        "amount": all_amount[order],
        "category": all_cat[order],
        "delivery": all_delivery[order],
        "rank_from_end": rank_from_end,
    }


def _funding(
    cases: Cases, countries: Countries, case_idx: np.ndarray, country_idx: np.ndarray, u: np.ndarray
) -> np.ndarray:
    fmf_country = np.array([c in FMF_COUNTRIES for c in countries.codes])[country_idx]
    out = np.where(u < 0.95, FUNDING["NATIONAL"], FUNDING["OTHER"])
    out = np.where(fmf_country & (u < 0.6), FUNDING["FMF"], out)
    has_case = case_idx >= 0
    terms = np.where(has_case, cases.terms[np.maximum(case_idx, 0)], -1)
    credit = (terms == TERM["FMS_CREDIT"]) | (terms == TERM["FMS_CREDIT_NONREPAYABLE"])
    out = np.where(credit, FUNDING["FMF"], out)
    out = np.where(terms == TERM["MAP_MERGER"], FUNDING["MAP_MERGER"], out)
    return out


def deliveries_in_transit(cases: Cases, lines: Lines, deliveries: dict) -> np.ndarray:
    """Deliveries the daily batches may bring as new, re-dated to their day (`batches`): the
    last two of each line of an open case."""
    open_case = (cases.phase == PARTIAL) & ~cases.late
    return open_case[lines.case[deliveries["line"]]] & (
        deliveries["pos"] >= deliveries["count"] - 2
    )


def expenditures_in_transit(cases: Cases, lines: Lines, expenditures: dict) -> np.ndarray:
    """Expenditures the daily batches may bring as new, re-dated to their day (`batches`): the
    last two of each line of an open case, liquidations apart (they travel with deliveries)."""
    open_case = (cases.phase == PARTIAL) & ~cases.late
    return (
        open_case[lines.case[expenditures["line"]]]
        & (expenditures["category"] != CATEGORY["LIQUIDATION"])
        & (expenditures["rank_from_end"] <= 1)
    )


class _Performance:
    """Cumulative performance (delivered value by reported date + expenditures by date) of each
    case at any day: actual up to the anchor, then the rest of the case value spread evenly to
    the case's planned end. `settled` leaves out the rows still in transit (those the dailies
    may bring re-dated): performance the warehouse surely sees by the day."""

    KEY = 1 << 20  # day numbers stay below this

    def __init__(
        self,
        cases: Cases,
        lines: Lines,
        deliveries: dict,
        expenditures: dict,
        settled: bool = False,
    ) -> None:
        case = np.concatenate(
            [lines.case[deliveries["line"]], lines.case[expenditures["line"]]]
        ).astype(np.int64)
        when = np.concatenate([deliveries["reported_date"], expenditures["expenditure_date"]])
        amount = np.concatenate([deliveries["delivered_value"], expenditures["amount"]])
        if settled:
            transit = np.concatenate(
                [
                    deliveries_in_transit(cases, lines, deliveries),
                    expenditures_in_transit(cases, lines, expenditures),
                ]
            )
            case, when, amount = case[~transit], when[~transit], amount[~transit]
        key = case * self.KEY + when
        order = np.argsort(key, kind="stable")
        self.keys = key[order]
        self.cum = np.cumsum(amount[order])
        self.cases = cases
        everyone = np.arange(cases.n)
        self.at_anchor = self.actual(everyone, np.full(cases.n, ANCHOR))
        self.remaining = np.maximum(cases.value - self.at_anchor, 0)

    def actual(self, case: np.ndarray, day_: np.ndarray) -> np.ndarray:
        case = np.asarray(case, dtype=np.int64)
        hi = np.searchsorted(self.keys, case * self.KEY + np.clip(day_, 0, self.KEY - 1), "right")
        lo = np.searchsorted(self.keys, case * self.KEY, "left")
        upto = np.where(hi > 0, self.cum[np.maximum(hi - 1, 0)], 0)
        before = np.where(lo > 0, self.cum[np.maximum(lo - 1, 0)], 0)
        return upto - before

    def expected(self, case: np.ndarray, day_: np.ndarray) -> np.ndarray:
        end = self.cases.end[case]
        ahead = np.clip((day_ - ANCHOR) / np.maximum(end - ANCHOR, 1), 0.0, 1.0)
        extra = np.where(day_ > ANCHOR, self.remaining[case] * ahead, 0.0)
        return self.actual(case, np.minimum(day_, ANCHOR)) + extra.astype(np.int64)


def build_schedules_and_collections(
    scale: Scale,
    rng: np.random.Generator,
    countries: Countries,
    cases: Cases,
    lines: Lines,
    deliveries: dict[str, np.ndarray],
    expenditures: dict[str, np.ndarray],
    batch_days: np.ndarray,
    late_case_batch: int,
    pace_rng: np.random.Generator,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Payment schedules and the collections paid against them. `pace_rng` decides which
    schedules fall behind the work (SCHEDULE_BEHIND_SHARE), apart from the other draws."""
    nc = cases.n
    last_day = int(batch_days[-1])
    v = cases.value
    total = np.where(cases.waived, v, v + (v * CUSHION_PERCENT + 99) // 100) + cases.scml
    scheduled = (cases.accept != NO_DATE) & (cases.status != CANCELLED) & (total > 0)
    idx = np.flatnonzero(scheduled)
    d = uniforms(
        rng,
        nc,
        "deposit_share refunded refund_share closing_payment_lag no_excess excess_share"
        " short_deposit",
    )
    perf = _Performance(cases, lines, deliveries, expenditures)
    markup = np.where(cases.waived, 100, 100 + CUSHION_PERCENT)
    billable = lines.mode != MODE_NONE
    proc_value = group_sum(
        lines.case, np.where(billable & (lines.source == SOURCE_P), lines.value, 0), nc
    )
    proc_share = proc_value / np.maximum(v, 1)
    heavy = proc_share > 0.5
    pace = uniforms(pace_rng, nc, "schedule_behind")
    drawn_behind = (pace.schedule_behind < SCHEDULE_BEHIND_SHARE) & (v >= SCHEDULE_BEHIND_MIN_CENTS)
    behind = (cases.phase == PARTIAL) & (drawn_behind | cases.schedule_behind)
    lead = np.where(behind, SCHEDULE_BEHIND_DAYS, SCHEDULE_LEAD_DAYS)
    # A schedule behind the work follows the performance the warehouse surely sees (rows still
    # in transit to the dailies left out), so the review finds it short of what is reported.
    settled = _Performance(cases, lines, deliveries, expenditures, settled=True)

    def cash_needed(case: np.ndarray, due: np.ndarray) -> np.ndarray:
        """Cash a case needs on hand at a due date: the work of the next SCHEDULE_LEAD_DAYS
        with the surcharge cushion, the SCML, and termination liability when procuring. A
        schedule behind the work counts the work of SCHEDULE_BEHIND_DAYS ago and forgets the
        termination liability."""
        work = np.where(
            behind[case],
            settled.expected(case, due + lead[case]),
            perf.expected(case, due + lead[case]),
        )
        need = (work * markup[case] + 99) // 100 + cases.scml[case]
        left = np.maximum(v[case] - perf.expected(case, due), 0)
        reserve = heavy[case] & ~behind[case]
        tl = np.where(reserve, (left * proc_share[case] * TL_SHARE).astype(np.int64), 0)
        return need + tl

    # Initial deposit (C9.9.1.3, Table C9.T13): everything for Cash With Acceptance, otherwise
    # a share of the value covering the work until the first quarterly payment (a few cases
    # deliberately short of that, for the data-quality check).
    cwa = cases.terms == TERM["CASH_WITH_ACCEPTANCE"]
    first_due = first_payment_day(cases.accept)
    everyone = np.arange(nc)
    deposit = np.maximum(
        (total * (0.1 + 0.2 * d.deposit_share)).astype(np.int64), cash_needed(everyone, first_due)
    )
    deposit = np.where(d.short_deposit < 0.05, (total * 0.05).astype(np.int64), deposit)
    deposit = np.where(cwa, total, np.minimum(deposit, total))
    # Quarterly payments (C9.9.1.4): due on the SAMM dates from the Table C9.T12 first payment,
    # keeping the cash on hand ahead of the work, the rest spread to the end.
    quarters = np.ceil((cases.end - lead - first_due) / 91.3).astype(np.int64) + 1
    quarters = np.where(cwa, 0, np.clip(quarters, 1, 60))
    schedule_batch = np.where(cases.accept_batch > 0, cases.accept_batch, 0)
    schedule_batch = np.where(cases.late, late_case_batch, schedule_batch)

    nq = quarters[idx]
    parent, pos, _ = seg_layout(nq)
    qcase = idx[parent]
    n_q = nq[parent]
    due = day_of_month(months_of(first_due[qcase]) + 3 * pos, 15)
    dep, tot = deposit[qcase], total[qcase]
    floor_share = dep + ((tot - dep) * (0.3 * (pos + 1) / n_q)).astype(np.int64)
    floor_share = np.where(behind[qcase], dep, floor_share)
    level = np.clip(np.maximum(cash_needed(qcase, due), floor_share), dep, tot)
    level[pos == n_q - 1] = tot[pos == n_q - 1]
    # Never decreasing within a case: a running maximum per segment.
    offset = parent.astype(np.int64) * (1 << 47)
    level = np.maximum.accumulate(level + offset) - offset
    prev = np.empty_like(level)
    prev[1:] = level[:-1]
    prev[pos == 0] = dep[pos == 0]
    amount = level - prev
    keep = (amount > 0) | (pos == 0) | (pos == n_q - 1)  # the C9.T12 first date always shows
    qcase, due, amount = qcase[keep], due[keep], amount[keep]

    s_case = np.concatenate([idx, qcase])
    s_due = np.concatenate([cases.accept[idx], due])
    s_amount = np.concatenate([deposit[idx], amount])
    s_dep = np.concatenate([np.ones(len(idx), bool), np.zeros(len(qcase), bool)])
    order = np.lexsort((s_due, s_case))
    schedules = {
        "case": s_case[order],
        "due_date": s_due[order],
        "amount": s_amount[order],
        "is_initial_deposit": s_dep[order],
        "batch": schedule_batch[s_case[order]],
    }

    # Collections: paid against the schedule, with the purchaser's habits.
    m = len(schedules["case"])
    c_case = schedules["case"]
    w = uniforms(rng, m, "payment_day punctuality late_days amount_off habit_shows early_day")
    profile = rng.choice(5, nc, p=[0.85, 0.06, 0.04, 0.03, 0.02])  # good late short over skip
    ready_like = (cases.role == R_READY) | (cases.status == CLOSED)
    profile = np.where(ready_like, 0, profile)
    prof = profile[c_case]
    dep = schedules["is_initial_deposit"]
    due = schedules["due_date"]
    received = np.where(
        dep,
        cases.accept[c_case] + (w.payment_day * 11).astype(np.int64),
        due - (w.payment_day * 21).astype(np.int64),
    )
    late = (((prof == 1) & (w.punctuality < 0.5)) | (w.punctuality < 0.02)) & ~dep
    received = np.where(late, due + 5 + (w.late_days * 56).astype(np.int64), received)
    # Half the good payers pay the coming 15 Dec installment early: in the daily batches.
    early = (prof == 0) & ~late & ~dep & (due == NEXT_DUE_DATE) & (w.habit_shows < 0.5)
    n_daily = len(batch_days) - 1
    received = np.where(early, ANCHOR + 1 + (w.early_day * n_daily).astype(np.int64), received)
    amt = schedules["amount"]
    amt = np.where(
        (prof == 2) & (w.habit_shows > 0.6),
        (amt * (0.6 + 0.35 * w.amount_off)).astype(np.int64),
        amt,
    )
    amt = np.where(prof == 3, (amt * (1.02 + 0.18 * w.amount_off)).astype(np.int64), amt)
    keep = (amt > 0) & ~((prof == 4) & (w.punctuality > 0.85))
    # Under-collected role: the second half of the payments never came.
    under = cases.role[c_case] == R_UNDER
    seq = np.arange(m) - first_in_group(c_case, np.ones(m, bool), nc)[c_case]
    n_rows = np.bincount(c_case, minlength=nc)[c_case]
    keep &= ~(under & (seq >= n_rows // 2))
    c_case, received, amt = c_case[keep], received[keep], amt[keep]
    min_batch = schedules["batch"][keep]
    # A Special Billing Arrangement purchaser pays its bills, not its schedule (C9.10.2): on its
    # open cases it has paid, beyond a deposit of a tenth of the total, only for the work done
    # a quarter before each payment (SBA_PAID_BEHIND_DAYS), so its forthcoming requirements
    # exceed its cash and its bill is positive.
    pays_bills = ((cases.phase == PARTIAL) & countries.sba[cases.country])[c_case]
    if pays_bills.any():
        first = first_in_group(c_case, np.ones(len(c_case), bool), nc)
        seq = np.arange(len(c_case)) - first[c_case]
        paid = _segment_cumsum(amt, seq)
        offset = c_case.astype(np.int64) * (1 << 47)  # rows are in case order: running max
        earned = np.maximum(
            settled.actual(c_case, received - SBA_PAID_BEHIND_DAYS),
            np.minimum(deposit, total // 10)[c_case],
        )
        earned = np.maximum.accumulate(earned + offset) - offset
        capped = np.minimum(paid, earned)
        before = np.where(seq > 0, np.r_[0, capped[:-1]], 0)
        amt = np.where(pays_bills, capped - before, amt)
        paid_any = amt > 0
        c_case, received, amt = c_case[paid_any], received[paid_any], amt[paid_any]
        min_batch = min_batch[paid_any]

    # Unidentified receipts (the purchaser's holding account).
    nco = len(countries.codes)
    n_un = max(nco, round(0.01 * len(c_case)))
    weights = 1.0 / (np.arange(nco) + 1.0) ** 0.7
    un_country = rng.choice(nco, n_un, p=weights / weights.sum())
    un = uniforms(rng, n_un, "received_day amount")
    un_received = day("2015-01-01") + (un.received_day * (last_day - day("2015-01-01") + 1)).astype(
        np.int64
    )
    un_amount = (loguniform(10e3, 2e6, un.amount) * 100).astype(np.int64)

    # Refunds of excess on some closed cases.
    closed_cases = (cases.status == CLOSED) & (total > 0)
    first_closed = np.arange(nc) == (np.argmax(closed_cases) if closed_cases.any() else -1)
    closed = np.flatnonzero(closed_cases & ((d.refunded < 0.3) | first_closed))
    ref_amount = -np.maximum(
        (total[closed] * (0.005 + 0.025 * d.refund_share[closed])).astype(np.int64), 100
    )
    ref_received = np.minimum(
        cases.ssc[closed] + 200 + (d.closing_payment_lag[closed] * 500).astype(np.int64), ANCHOR - 1
    )

    # Ready-to-close cases: a closing payment so collections cover the final value, with excess.
    # (A case's closing payment is a refund when it is closed, a top-up when it is ready: never
    # both, so the two share one draw for its day.)
    in_history = received <= ANCHOR
    collected = group_sum(c_case[in_history], amt[in_history], nc)
    ready = np.flatnonzero(cases.role == R_READY)
    excess = np.where(
        d.no_excess[ready] < 0.3,
        0,
        (v[ready] * (0.002 + 0.03 * d.excess_share[ready])).astype(np.int64),
    )
    needed = total[ready] + excess - collected[ready]
    topped = needed > 0
    top_case = ready[topped]
    top_amount = needed[topped]
    top_received = np.minimum(
        cases.ssc[top_case] + 10 + (d.closing_payment_lag[top_case] * 50).astype(np.int64),
        ANCHOR - 1,
    )

    all_case = np.concatenate([c_case, np.full(n_un, -1), closed, top_case])
    all_country = np.concatenate(
        [cases.country[c_case], un_country, cases.country[closed], cases.country[top_case]]
    )
    all_received = np.concatenate([received, un_received, ref_received, top_received])
    all_amount = np.concatenate([amt, un_amount, ref_amount, top_amount])
    all_min_batch = np.concatenate(
        [min_batch, np.zeros(n_un + len(closed) + len(top_case), dtype=np.int64)]
    )
    fund = _funding(cases, countries, all_case, all_country, rng.random(len(all_case)))
    batch = np.searchsorted(batch_days, all_received, side="left")
    batch = np.maximum(batch, all_min_batch)
    keep = all_received <= last_day
    order = np.lexsort((all_amount, all_case, all_received, batch))
    order = order[keep[order]]
    collections = {
        "case": all_case[order],
        "country": all_country[order],
        "received_date": all_received[order],
        "amount": all_amount[order],
        "funding_source": fund[order],
        "batch": batch[order],
    }
    return schedules, collections


def build_forecasts(rng: np.random.Generator, cases: Cases, lines: Lines) -> dict[str, np.ndarray]:
    nc = cases.n
    performed = np.where(
        lines.mode == MODE_DELIVERY,
        lines.delivered_qty * lines.value // np.maximum(lines.qty, 1),
        lines.service_value,
    )
    billable = lines.mode != MODE_NONE
    remaining = group_sum(lines.case[billable], (lines.value - performed)[billable], nc)
    proc_value = group_sum(
        lines.case, np.where(billable & (lines.source == SOURCE_P), lines.value, 0), nc
    )
    proc_share = proc_value / np.maximum(cases.value, 1)
    idx = np.flatnonzero((cases.phase == PARTIAL) & ~cases.late)
    nq = len(FORECAST_QUARTERS)
    case = np.repeat(idx, nq)
    j = np.tile(np.arange(nq), len(idx))
    quarter = np.array(FORECAST_QUARTERS, dtype=np.int64)[j]
    months_left = np.maximum((cases.end[case] - FORECAST_QUARTERS[0]) / 30.4, 3.0)
    noise = 0.8 + 0.4 * rng.random(len(case))
    amount = remaining[case] * np.minimum(1.0, 3.0 / months_left) * noise
    amount = amount.astype(np.int64)
    heavy = proc_share[case] > 0.5
    tl = np.where(heavy, remaining[case] * proc_share[case] * TL_SHARE * (1 - j / 8.0), 0.0)
    # Nobody forecasts past the quarter the work ends in: a case's forecasts reach as far as
    # its work, so reviews have anything from one to six coming payment dates.
    within_work = quarter < cases.end[case]
    return {
        "case": case[within_work],
        "quarter_start": quarter[within_work],
        "forecast_amount": np.maximum(amount, 0)[within_work],
        "termination_liability": np.maximum(tl.astype(np.int64), 0)[within_work],
    }


def build_buy_backs(
    scale: Scale, rng: np.random.Generator, countries: Countries, cases: Cases, lines: Lines
) -> dict[str, np.ndarray]:
    case = lines.case
    st = cases.status[case]
    pool = np.flatnonzero(
        (lines.mode == MODE_DELIVERY)
        & (lines.kind == LINE_KINDS.index("MATERIEL"))
        & (lines.delivered_qty >= 1)
        & (cases.phase[case] != NONE)
        & (cases.role[case] != R_READY)
        & ((st == IMPL) | (st == SSC))
        & (cases.to_ssc_batch[case] == 0)
        & ~cases.late[case]
    )
    n = min(scale.buy_backs, len(pool))
    chosen = np.sort(rng.choice(pool, n, replace=False)) if n else pool[:0]
    d = uniforms(rng, n, "quantity other_purchaser to_dod legal_authority contract_stage exec_day")
    qty = 1 + (d.quantity * np.minimum(lines.delivered_qty[chosen], 10)).astype(np.int64)
    nco = len(countries.codes)
    own = cases.country[case[chosen]]
    other = (own + 1 + (d.other_purchaser * (nco - 1)).astype(np.int64)) % nco
    recipient = np.where(d.to_dod < 0.6, 0, other + 1)  # index into ("DOD", *country codes)
    legal = (d.legal_authority * len(LEGAL_AUTHORITIES)).astype(np.int64)
    # One draw for how far the buy back got: executed, and of those some also reconciled.
    executed = d.contract_stage < 0.7
    reconciled = d.contract_stage < 0.4
    first = lines.first_ship[chosen]
    exec_date = first + (d.exec_day * np.maximum(ANCHOR - 1 - first, 0)).astype(np.int64)
    exec_date = np.where(executed, exec_date, NO_DATE)
    return {
        "line": chosen,
        "quantity": qty,
        "recipient": recipient,
        "legal_authority": legal,
        "contract_executed_date": exec_date,
        "reconciled": reconciled,
    }


Step = Callable[[str, float], None]


def build_world(
    scale: Scale, seed: int, late_batch: int, on_step: Step | None = None
) -> tuple[World, list[np.random.Generator]]:
    """The clean world. Returns it with the spare generators for the batch and dirty steps.
    `on_step(description, fraction done)` is told as each part starts."""
    step = on_step or (lambda _desc, _done: None)
    # Spawned children depend on their index only: the eleventh (the schedules' pace) leaves
    # the first ten as they were.
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(11)]
    step("building purchasers and cases", 0.0)
    countries = build_countries(scale)
    cases = build_cases(scale, streams[0], countries)
    step("building case lines", 0.05)
    lines = build_lines(scale, streams[1], cases)
    step("building deliveries", 0.15)
    deliveries = build_deliveries(scale, streams[2], cases, lines)
    step("building expenditures", 0.45)
    expenditures = build_expenditures(scale, streams[3], cases, lines, deliveries)
    step("building payment schedules and collections", 0.75)
    batch_days = ANCHOR + np.arange(scale.dailies + 1)
    schedules, collections = build_schedules_and_collections(
        scale,
        streams[4],
        countries,
        cases,
        lines,
        deliveries,
        expenditures,
        batch_days,
        late_batch + 1,
        streams[10],
    )
    step("building forecasts and buy backs", 0.95)
    forecasts = build_forecasts(streams[5], cases, lines)
    buy_backs = build_buy_backs(scale, streams[6], countries, cases, lines)
    world = World(
        scale=scale,
        batch_days=batch_days,
        late_batch=late_batch,
        countries=countries,
        cases=cases,
        lines=lines,
        deliveries=deliveries,
        expenditures=expenditures,
        schedules=schedules,
        collections=collections,
        forecasts=forecasts,
        buy_backs=buy_backs,
    )
    return world, streams[7:10]
