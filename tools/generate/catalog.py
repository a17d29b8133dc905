"""Reference data the generator draws from: purchasers, generic codes, scales, batch anchor.

Nothing here is a business rule of the platform (the C1 code list, the surcharge rates and the
billing timeline live in the platform's own reference tables); these are only the shapes of
realistic input data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EPOCH = np.datetime64("1970-01-01", "D")


def day(iso: str) -> int:
    """Days since 1970-01-01 of an ISO date."""
    return int((np.datetime64(iso, "D") - EPOCH).astype(np.int64))


def iso(d: int) -> str:
    """ISO text of a day number."""
    return str(EPOCH + np.timedelta64(int(d), "D"))


# The history batch holds everything up to this day; daily batches follow it, one day each.
ANCHOR_ISO = "2026-10-31"
ANCHOR = day(ANCHOR_ISO)
# A day number meaning "no date" (NULL) in the generator's arrays.
NO_DATE = -(10**7)


@dataclass(frozen=True)
class Scale:
    name: str
    countries: int
    cases: int
    lines_per_case: float
    deliveries: int
    expenditures: int
    dailies: int
    buy_backs: int


SCALES: dict[str, Scale] = {
    "small": Scale("small", 7, 40, 7.5, 2_000, 2_000, 3, 5),
    "medium": Scale("medium", 25, 2_000, 20.0, 400_000, 400_000, 5, 40),
    "large": Scale("large", 60, 20_000, 20.0, 4_000_000, 4_000_000, 5, 300),
}

# (FMS country code, name, has a Special Billing Arrangement). The first rows are used by the
# small scale; S9 is the Presidential Drawdown pseudo-purchaser (no SCML, fms-domain).
COUNTRIES: tuple[tuple[str, str, bool], ...] = (
    ("UK", "United Kingdom", False),
    ("AS", "Australia", False),
    ("JA", "Japan", False),
    ("SR", "Saudi Arabia", True),
    ("KS", "Korea, Republic of", False),
    ("IS", "Israel", True),
    ("S9", "Presidential Drawdown", False),
    ("CN", "Canada", False),
    ("GY", "Germany", False),
    ("NE", "Netherlands", False),
    ("NO", "Norway", False),
    ("PL", "Poland", False),
    ("EG", "Egypt", True),
    ("TU", "Türkiye", False),
    ("GR", "Greece", False),
    ("SP", "Spain", False),
    ("IT", "Italy", False),
    ("DA", "Denmark", False),
    ("FI", "Finland", False),
    ("BE", "Belgium", False),
    ("QA", "Qatar", False),
    ("TC", "United Arab Emirates", False),
    ("KU", "Kuwait", True),
    ("BA", "Bahrain", False),
    ("JO", "Jordan", False),
    ("MO", "Morocco", False),
    ("SN", "Singapore", False),
    ("TH", "Thailand", False),
    ("TW", "Taipei Economic and Cultural Representative Office", False),
    ("RP", "Philippines", False),
    ("PK", "Pakistan", False),
    ("IN", "India", False),
    ("MX", "Mexico", False),
    ("BR", "Brazil", False),
    ("CO", "Colombia", False),
    ("CI", "Chile", False),
    ("PE", "Peru", False),
    ("ID", "Indonesia", False),
    ("MY", "Malaysia", False),
    ("NZ", "New Zealand", False),
    ("PO", "Portugal", False),
    ("RO", "Romania", False),
    ("BU", "Bulgaria", False),
    ("HR", "Croatia", False),
    ("EN", "Estonia", False),
    ("LG", "Latvia", False),
    ("LH", "Lithuania", False),
    ("HU", "Hungary", False),
    ("EZ", "Czech Republic", False),
    ("LO", "Slovakia", False),
    ("SZ", "Switzerland", False),
    ("SW", "Sweden", False),
    ("AU", "Austria", False),
    ("IZ", "Iraq", False),
    ("LE", "Lebanon", False),
    ("TS", "Tunisia", False),
    ("MU", "Oman", False),
    ("BG", "Bangladesh", False),
    ("VM", "Vietnam", False),
    ("EC", "Ecuador", False),
    ("GT", "Guatemala", False),
    ("DR", "Dominican Republic", False),
)
# Purchasers that mostly pay with Foreign Military Financing.
FMF_COUNTRIES = frozenset({"IS", "EG", "JO", "IZ", "LE", "TS", "PK", "CO"})
DRAWDOWN_COUNTRY = "S9"
# The first purchaser with a Special Billing Arrangement (within the small scale's countries).
FIRST_SBA_COUNTRY = next(code for code, _, sba in COUNTRIES if sba)

IMPLEMENTING_AGENCIES = ("B", "D", "P")  # Army, Air Force, Navy

LEGAL_AUTHORITIES = (
    "10 U.S.C. 2341",
    "10 U.S.C. 2342",
    "22 U.S.C. 2761, AECA sec. 21",
    "22 U.S.C. 2796, AECA sec. 61",
)


@dataclass(frozen=True)
class GenericItem:
    """One kind of case line: its generic code, how it is sold and what it costs."""

    code: str
    description: str
    unit: str
    kind: str  # contract LINE_KINDS
    delivered: bool  # performance is physical deliveries (else SERVICE expenditures)
    source_p: tuple[float, float, float]  # probabilities of S, P, X
    qty: tuple[int, int]
    unit_price: tuple[float, float]  # dollars
    weight: float  # how often on an ordinary case
    small_weight: float  # how often on a small case (low value, 1-2 lines)


# One generic code a line: code, unit of issue, line kind (M materiel, SV services, TR training,
# SCML), delivered (y: performed by physical deliveries, n: by SERVICE expenditures), the
# probabilities of source of supply S P X, the quantity range, the unit price range in dollars,
# the weight on an ordinary case and on a small case (low value, 1-2 lines), the description.
_CATALOG_TABLE = """
# Major end items with Table C9.T17 codes, unit of issue EA (reported on C1).
A1A EA M    y   0 0.9 0.1     2     36  30e6  90e6   3   0 Fighter aircraft
A2A EA M    y   0 0.9 0.1     1     12  40e6 120e6 1.5   0 Transport aircraft
A3A EA M    y 0.1 0.8 0.1     2     24   5e6  25e6 1.5   0 Trainer aircraft
A4A EA M    y 0.1 0.8 0.1     2     24  10e6  40e6   3   0 Helicopter, utility
A5A EA M    y   0   1   0     1      8 100e6 200e6 0.6   0 Maritime patrol aircraft
A9B EA M    y   0 0.8 0.2     2     20   2e6  30e6 1.5   0 Unmanned aircraft system
B1A EA M    y 0.2 0.7 0.1    10    400 500e3   4e6   2   0 Missile, surface-to-air
B2A EA M    y 0.2 0.7 0.1    10    300 400e3   2e6   2   0 Missile, air-to-air
B3A EA M    y 0.2 0.7 0.1    10    300 200e3 1.5e6 1.5   0 Missile, air-to-surface
B4A EA M    y 0.2 0.7 0.1    10    200 200e3   3e6   1   0 Missile, surface-to-surface
C1A EA M    y   0   1   0     1      2 200e6 500e6 0.3   0 Frigate
C2A EA M    y 0.3 0.7   0     1      6   5e6  40e6 0.7   0 Patrol boat
D1A EA M    y 0.3 0.6 0.1    10    150   5e6  10e6   1   0 Main battle tank
D2A EA M    y 0.3 0.6 0.1    10    200   1e6   4e6 1.5   0 Armored personnel carrier
D3A EA M    y 0.2 0.7 0.1     6     60   3e6   8e6 0.8   0 Self-propelled howitzer
E3A EA M    y 0.4 0.5 0.1    20    500 100e3 400e3   2 0.5 Truck, tactical, 5-ton
E3B EA M    y 0.4 0.5 0.1    20    500  60e3 250e3   2 0.5 Utility vehicle, light
F2A EA M    y 0.6 0.3 0.1   100   5000   800  2500 1.5   1 Rifle, 5.56 mm
F3A EA M    y 0.6 0.3 0.1    20   1000  5000  20e3   1   1 Machine gun, 7.62 mm
F4A EA M    y 0.5 0.4 0.1    10    200  10e3  60e3 0.7 0.5 Mortar, 81 mm
G2A EA M    y 0.6 0.3 0.1 10000 900000   0.3     2   2   1 Cartridge, 5.56 mm ball
G4A EA M    y 0.5 0.4 0.1   500  50000   500  3000 1.5 0.5 Projectile, 155 mm
G5A EA M    y 0.4 0.5 0.1    50   2000  3000  30e3 1.5 0.3 Bomb, general purpose, 500 lb
G6A EA M    y 0.4 0.5 0.1   100   5000  1000  30e3   1 0.3 Rocket, 70 mm
H4A EA M    y 0.5 0.4 0.1    20   2000  5000  60e3   2 1.5 Radio set, "SINCGARS" type
H4B EA M    y 0.3 0.6 0.1     2    100 100e3   1e6 0.8 0.2 Tactical satellite terminal
# Look-alikes that are NOT reported on C1: excluded codes, near-miss codes, non-EA units.
G5M EA M    y 0.6 0.3 0.1   100   5000   500  5000 0.5 0.3 Mine, anti-tank
G5Y EA M    y 0.6 0.3 0.1   100   5000   100  2000 0.5 0.5 Charge, demolition
G6B EA M    y 0.6 0.3 0.1   100   5000    40   120 0.5 0.5 Grenade, hand, fragmentation
A9C EA M    y   0 0.9 0.1     1      4   5e6  30e6 0.5   0 Flight simulator
G2A LO M    y 0.8 0.2   0     5    200  5000  50e3 0.5 0.5 Cartridge, 5.56 mm, bulk lots
B2A EA TR   y 0.5 0.5   0     2     20 200e3 600e3 0.8   0 Captive air training missile
B1A EA SV   n   0   1   0     1     12 200e3   2e6 0.5   0 Missile system sustainment services
# Spares, support equipment, publications.
R4A LO M    y 0.6 0.1 0.3    10    500  1000  50e3   4   3 Aircraft spares and repair parts
R4B LO M    y 0.6 0.1 0.3    10    500  1000  50e3   3   3 Vehicle spares and repair parts
Q4A SE M    y 0.4 0.4 0.2     1     50  20e3 500e3   2   1 Ground support equipment
K6A KT M    y 0.7 0.2 0.1     5    200   500  20e3   1 1.5 Tool kits
N2A PG M    y   1   0   0     1    100   200  5000   1   2 Technical publications
M2A EA M    y 0.5 0.4 0.1    20   2000  3000  12e3   1 1.5 Night vision goggles
R7A LT M    y   1   0   0     1     20  1000  20e3   1   1 Packing, crating and handling
# Services and training: performance is reported as SERVICE expenditures.
S2A MO SV   n   0   1   0     6     60  20e3 500e3   3   1 Contractor logistics support
R8A MO SV   n   1   0   0     6     36  20e3 150e3   2   1 Technical assistance field team
B3A MO SV   n   0   1   0     6     36  30e3 200e3 0.5   0 Missile test and integration support
T1A HR TR   n 0.7 0.3   0   100   5000   100  1000   2   2 Flight training
T2A HR TR   n   1   0   0    50   2000    80   500 1.5   2 Maintenance training
# The Small Case Management Line (never drawn at random: added to small SCML-era cases).
R6C LO SCML n   1   0   0     1      1     0     0   0   0 SMALL CASE SUPPORT EXPENSES
"""
_LINE_KINDS = {"M": "MATERIEL", "SV": "SERVICES", "TR": "TRAINING", "SCML": "SCML"}


def _catalog(table: str) -> tuple[GenericItem, ...]:
    items = []
    for line in table.strip().splitlines():
        if line.startswith("#"):
            continue
        code, unit, kind, delivered, s, p, x, q_lo, q_hi, p_lo, p_hi, w, w_small, description = (
            line.split(maxsplit=13)
        )
        items.append(
            GenericItem(
                code,
                description,
                unit,
                _LINE_KINDS[kind],
                delivered == "y",
                (float(s), float(p), float(x)),
                (int(q_lo), int(q_hi)),
                (float(p_lo), float(p_hi)),
                float(w),
                float(w_small),
            )
        )
    return tuple(items)


CATALOG = _catalog(_CATALOG_TABLE)
SCML_ITEM = next(i for i, item in enumerate(CATALOG) if item.kind == "SCML")
# One description carries a line break, so a quoted newline inside a record gets exercised.
MULTILINE_DESCRIPTION = "Technical assistance field team\n(two-year tour)"
DESCRIPTIONS: tuple[str, ...] = tuple(item.description for item in CATALOG) + (
    MULTILINE_DESCRIPTION,
)
MULTILINE_DESCRIPTION_INDEX = len(CATALOG)
