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


M, SV, TR, SCML = "MATERIEL", "SERVICES", "TRAINING", "SCML"

CATALOG: tuple[GenericItem, ...] = (
    # Major end items with Table C9.T17 codes, unit of issue EA (reported on C1).
    GenericItem(
        "A1A", "Fighter aircraft", "EA", M, True, (0, 0.9, 0.1), (2, 36), (30e6, 90e6), 3, 0
    ),
    GenericItem(
        "A2A", "Transport aircraft", "EA", M, True, (0, 0.9, 0.1), (1, 12), (40e6, 120e6), 1.5, 0
    ),
    GenericItem(
        "A3A", "Trainer aircraft", "EA", M, True, (0.1, 0.8, 0.1), (2, 24), (5e6, 25e6), 1.5, 0
    ),
    GenericItem(
        "A4A", "Helicopter, utility", "EA", M, True, (0.1, 0.8, 0.1), (2, 24), (10e6, 40e6), 3, 0
    ),
    GenericItem(
        "A5A", "Maritime patrol aircraft", "EA", M, True, (0, 1, 0), (1, 8), (100e6, 200e6), 0.6, 0
    ),
    GenericItem(
        "A9B",
        "Unmanned aircraft system",
        "EA",
        M,
        True,
        (0, 0.8, 0.2),
        (2, 20),
        (2e6, 30e6),
        1.5,
        0,
    ),
    GenericItem(
        "B1A",
        "Missile, surface-to-air",
        "EA",
        M,
        True,
        (0.2, 0.7, 0.1),
        (10, 400),
        (0.5e6, 4e6),
        2,
        0,
    ),
    GenericItem(
        "B2A", "Missile, air-to-air", "EA", M, True, (0.2, 0.7, 0.1), (10, 300), (0.4e6, 2e6), 2, 0
    ),
    GenericItem(
        "B3A",
        "Missile, air-to-surface",
        "EA",
        M,
        True,
        (0.2, 0.7, 0.1),
        (10, 300),
        (0.2e6, 1.5e6),
        1.5,
        0,
    ),
    GenericItem(
        "B4A",
        "Missile, surface-to-surface",
        "EA",
        M,
        True,
        (0.2, 0.7, 0.1),
        (10, 200),
        (0.2e6, 3e6),
        1,
        0,
    ),
    GenericItem("C1A", "Frigate", "EA", M, True, (0, 1, 0), (1, 2), (200e6, 500e6), 0.3, 0),
    GenericItem("C2A", "Patrol boat", "EA", M, True, (0.3, 0.7, 0), (1, 6), (5e6, 40e6), 0.7, 0),
    GenericItem(
        "D1A", "Main battle tank", "EA", M, True, (0.3, 0.6, 0.1), (10, 150), (5e6, 10e6), 1, 0
    ),
    GenericItem(
        "D2A",
        "Armored personnel carrier",
        "EA",
        M,
        True,
        (0.3, 0.6, 0.1),
        (10, 200),
        (1e6, 4e6),
        1.5,
        0,
    ),
    GenericItem(
        "D3A",
        "Self-propelled howitzer",
        "EA",
        M,
        True,
        (0.2, 0.7, 0.1),
        (6, 60),
        (3e6, 8e6),
        0.8,
        0,
    ),
    GenericItem(
        "E3A",
        "Truck, tactical, 5-ton",
        "EA",
        M,
        True,
        (0.4, 0.5, 0.1),
        (20, 500),
        (100e3, 400e3),
        2,
        0.5,
    ),
    GenericItem(
        "E3B",
        "Utility vehicle, light",
        "EA",
        M,
        True,
        (0.4, 0.5, 0.1),
        (20, 500),
        (60e3, 250e3),
        2,
        0.5,
    ),
    GenericItem(
        "F2A", "Rifle, 5.56 mm", "EA", M, True, (0.6, 0.3, 0.1), (100, 5000), (800, 2500), 1.5, 1
    ),
    GenericItem(
        "F3A", "Machine gun, 7.62 mm", "EA", M, True, (0.6, 0.3, 0.1), (20, 1000), (5e3, 20e3), 1, 1
    ),
    GenericItem(
        "F4A", "Mortar, 81 mm", "EA", M, True, (0.5, 0.4, 0.1), (10, 200), (10e3, 60e3), 0.7, 0.5
    ),
    GenericItem(
        "G2A",
        "Cartridge, 5.56 mm ball",
        "EA",
        M,
        True,
        (0.6, 0.3, 0.1),
        (10_000, 900_000),
        (0.3, 2.0),
        2,
        1,
    ),
    GenericItem(
        "G4A",
        "Projectile, 155 mm",
        "EA",
        M,
        True,
        (0.5, 0.4, 0.1),
        (500, 50_000),
        (500, 3000),
        1.5,
        0.5,
    ),
    GenericItem(
        "G5A",
        "Bomb, general purpose, 500 lb",
        "EA",
        M,
        True,
        (0.4, 0.5, 0.1),
        (50, 2000),
        (3e3, 30e3),
        1.5,
        0.3,
    ),
    GenericItem(
        "G6A", "Rocket, 70 mm", "EA", M, True, (0.4, 0.5, 0.1), (100, 5000), (1e3, 30e3), 1, 0.3
    ),
    GenericItem(
        "H4A",
        'Radio set, "SINCGARS" type',
        "EA",
        M,
        True,
        (0.5, 0.4, 0.1),
        (20, 2000),
        (5e3, 60e3),
        2,
        1.5,
    ),
    GenericItem(
        "H4B",
        "Tactical satellite terminal",
        "EA",
        M,
        True,
        (0.3, 0.6, 0.1),
        (2, 100),
        (100e3, 1e6),
        0.8,
        0.2,
    ),
    # Look-alikes that are NOT reported on C1: excluded codes, near-miss codes, non-EA units.
    GenericItem(
        "G5M", "Mine, anti-tank", "EA", M, True, (0.6, 0.3, 0.1), (100, 5000), (500, 5000), 0.5, 0.3
    ),
    GenericItem(
        "G5Y",
        "Charge, demolition",
        "EA",
        M,
        True,
        (0.6, 0.3, 0.1),
        (100, 5000),
        (100, 2000),
        0.5,
        0.5,
    ),
    GenericItem(
        "G6B",
        "Grenade, hand, fragmentation",
        "EA",
        M,
        True,
        (0.6, 0.3, 0.1),
        (100, 5000),
        (40, 120),
        0.5,
        0.5,
    ),
    GenericItem(
        "A9C", "Flight simulator", "EA", M, True, (0, 0.9, 0.1), (1, 4), (5e6, 30e6), 0.5, 0
    ),
    GenericItem(
        "G2A",
        "Cartridge, 5.56 mm, bulk lots",
        "LO",
        M,
        True,
        (0.8, 0.2, 0),
        (5, 200),
        (5e3, 50e3),
        0.5,
        0.5,
    ),
    GenericItem(
        "B2A",
        "Captive air training missile",
        "EA",
        TR,
        True,
        (0.5, 0.5, 0),
        (2, 20),
        (0.2e6, 0.6e6),
        0.8,
        0,
    ),
    GenericItem(
        "B1A",
        "Missile system sustainment services",
        "EA",
        SV,
        False,
        (0, 1, 0),
        (1, 12),
        (0.2e6, 2e6),
        0.5,
        0,
    ),
    # Spares, support equipment, publications.
    GenericItem(
        "R4A",
        "Aircraft spares and repair parts",
        "LO",
        M,
        True,
        (0.6, 0.1, 0.3),
        (10, 500),
        (1e3, 50e3),
        4,
        3,
    ),
    GenericItem(
        "R4B",
        "Vehicle spares and repair parts",
        "LO",
        M,
        True,
        (0.6, 0.1, 0.3),
        (10, 500),
        (1e3, 50e3),
        3,
        3,
    ),
    GenericItem(
        "Q4A",
        "Ground support equipment",
        "SE",
        M,
        True,
        (0.4, 0.4, 0.2),
        (1, 50),
        (20e3, 500e3),
        2,
        1,
    ),
    GenericItem("K6A", "Tool kits", "KT", M, True, (0.7, 0.2, 0.1), (5, 200), (500, 20e3), 1, 1.5),
    GenericItem(
        "N2A", "Technical publications", "PG", M, True, (1, 0, 0), (1, 100), (200, 5e3), 1, 2
    ),
    GenericItem(
        "M2A",
        "Night vision goggles",
        "EA",
        M,
        True,
        (0.5, 0.4, 0.1),
        (20, 2000),
        (3e3, 12e3),
        1,
        1.5,
    ),
    GenericItem(
        "R7A", "Packing, crating and handling", "LT", M, True, (1, 0, 0), (1, 20), (1e3, 20e3), 1, 1
    ),
    # Services and training: performance is reported as SERVICE expenditures.
    GenericItem(
        "S2A",
        "Contractor logistics support",
        "MO",
        SV,
        False,
        (0, 1, 0),
        (6, 60),
        (20e3, 500e3),
        3,
        1,
    ),
    GenericItem(
        "R8A",
        "Technical assistance field team",
        "MO",
        SV,
        False,
        (1, 0, 0),
        (6, 36),
        (20e3, 150e3),
        2,
        1,
    ),
    GenericItem(
        "B3A",
        "Missile test and integration support",
        "MO",
        SV,
        False,
        (0, 1, 0),
        (6, 36),
        (30e3, 200e3),
        0.5,
        0,
    ),
    GenericItem(
        "T1A", "Flight training", "HR", TR, False, (0.7, 0.3, 0), (100, 5000), (100, 1000), 2, 2
    ),
    GenericItem(
        "T2A", "Maintenance training", "HR", TR, False, (1, 0, 0), (50, 2000), (80, 500), 1.5, 2
    ),
    # The Small Case Management Line (never drawn at random: added to small SCML-era cases).
    GenericItem(
        "R6C", "SMALL CASE SUPPORT EXPENSES", "LO", SCML, False, (1, 0, 0), (1, 1), (0, 0), 0, 0
    ),
)
SCML_ITEM = next(i for i, item in enumerate(CATALOG) if item.kind == SCML)
# One description carries a line break, so a quoted newline inside a record gets exercised.
MULTILINE_DESCRIPTION = "Technical assistance field team\n(two-year tour)"
DESCRIPTIONS: tuple[str, ...] = tuple(item.description for item in CATALOG) + (
    MULTILINE_DESCRIPTION,
)
MULTILINE_DESCRIPTION_INDEX = len(CATALOG)
