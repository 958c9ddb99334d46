"""A realistic demo data set: orchid pollinations and germinations around ``today``.

Dates are placed so that ``alerts.process`` and ``alerts.preventive`` have work to do.
Loading again replaces the previous demo rows (codes ``DEMO-...``) and their alerts.
"""

from __future__ import annotations

import logging
import random
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, select

from handlers import db
from handlers.schema import alerts, germinations, pollinations
from handlers.validation import optional_date

log = logging.getLogger(__name__)

SPECIES = (
    ("Phalaenopsis amabilis", "PHAL"),
    ("Cattleya labiata", "CATT"),
    ("Dendrobium nobile", "DEND"),
    ("Paphiopedilum insigne", "PAPH"),
    ("Oncidium flexuosum", "ONCI"),
    ("Vanda coerulea", "VAND"),
)
PEOPLE = ("Ana Souza", "Bruno Lima", "Carla Mendes", "Diego Rocha")
# Capsules of these orchids take months to mature; harvest follows maturation.
MATURATION_DAYS, HARVEST_AFTER_DAYS = 150, 10
# (days since pollination, state) for the 30 demo pollinations.
POLLINATION_PLAN = [
    (5, "pollinated"), (12, "pollinated"), (20, "pollinated"), (45, "pollinated"),
    (60, "maturing"), (90, "maturing"), (120, "maturing"), (140, "maturing"),
    (145, "maturing"), (148, "maturing"), (151, "maturing"), (155, "maturing"),
    (158, "matured"), (160, "matured"), (162, "matured"), (170, "matured"),
    (175, "matured"), (190, "harvested"), (200, "harvested"), (210, "harvested"),
    (220, "harvested"), (240, "harvested"), (260, "harvested"), (35, "failed"),
    (80, "failed"), (100, "maturing"), (130, "maturing"), (152, "maturing"),
    (395, "maturing"), (30, "pollinated"),
]  # fmt: skip
# (days since sowing, window opens after, window length, state, germinated fraction)
GERMINATION_PLAN = [
    (3, 20, 40, "sown", 0.0), (10, 20, 40, "sown", 0.0), (18, 20, 40, "sown", 0.0),
    (25, 20, 40, "germinating", 0.2), (40, 20, 40, "germinating", 0.45),
    (57, 20, 40, "germinating", 0.5), (59, 20, 40, "germinating", 0.55),
    (61, 20, 40, "sown", 0.0), (70, 20, 40, "germinating", 0.6),
    (90, 20, 40, "completed", 0.72), (100, 20, 40, "completed", 0.81),
    (110, 20, 40, "completed", 0.64), (120, 20, 40, "completed", 0.9),
    (130, 20, 40, "failed", 0.02), (150, 20, 40, "failed", 0.0),
    (58, 14, 45, "germinating", 0.3), (55, 14, 45, "germinating", 0.35),
    (8, 14, 45, "sown", 0.0), (15, 10, 30, "sown", 0.0), (140, 20, 40, "sown", 0.0),
]  # fmt: skip


def _pollination(i: int, age: int, state: str, today: date, rng: random.Random) -> dict[str, Any]:
    species, prefix = SPECIES[i % len(SPECIES)]
    pollinated = today - timedelta(days=age)
    maturation = pollinated + timedelta(days=MATURATION_DAYS)
    harvest = maturation + timedelta(days=HARVEST_AFTER_DAYS)
    matured = harvested = None
    if state in ("matured", "harvested"):
        matured = maturation + timedelta(days=rng.randint(-3, 3))
    if state == "harvested":
        harvested = harvest + timedelta(days=rng.randint(0, 4))
    since = {"pollinated": pollinated, "maturing": pollinated + timedelta(days=30)}.get(state)
    since = harvested or matured or since or pollinated + timedelta(days=rng.randint(20, 40))
    return {
        "code": f"DEMO-P-{i + 1:03d}",
        "species": species,
        "mother_plant": f"{prefix}-{rng.randint(1, 40):02d}",
        "father_plant": f"{prefix}-{rng.randint(41, 80):02d}",
        "pollinated_on": pollinated,
        "responsible": PEOPLE[i % len(PEOPLE)],
        "expected_maturation_on": maturation,
        "matured_on": matured,
        "expected_harvest_on": harvest,
        "harvested_on": harvested,
        "state": state,
        "state_since": min(since, today),
        "notes": "demo",
    }


def _germination(
    i: int, plan: tuple[int, int, int, str, float], today: date, parents: list[dict[str, Any]]
) -> dict[str, Any]:
    age, opens_after, length, state, fraction = plan
    sown = today - timedelta(days=age)
    parent = parents[i % len(parents)] if i % 2 == 0 and parents else None
    species = parent["species"] if parent else SPECIES[(i // 2) % len(SPECIES)][0]
    seeds = 200 + 25 * (i % 9)
    window_start = sown + timedelta(days=opens_after)
    return {
        "code": f"DEMO-G-{i + 1:03d}",
        "species": species,
        "seed_lot": None if parent else f"LOT-{2024 + i % 3}-{i + 1:03d}",
        "pollination_id": parent["id"] if parent else None,
        "responsible": PEOPLE[(i + 1) % len(PEOPLE)],
        "sown_on": sown,
        "window_start": window_start,
        "window_end": window_start + timedelta(days=length),
        "seeds_sown": seeds,
        "seeds_germinated": round(seeds * fraction),
        "state": state,
        "state_since": sown if state == "sown" else min(window_start, today),
    }


def _remove_previous(conn: Any) -> None:
    for table, record_type in ((germinations, "germination"), (pollinations, "pollination")):
        ids = list(conn.scalars(select(table.c.id).where(table.c.code.like("DEMO-%"))))
        if ids:
            conn.execute(
                delete(alerts).where(
                    alerts.c.record_type == record_type, alerts.c.record_id.in_(ids)
                )
            )
            conn.execute(delete(table).where(table.c.id.in_(ids)))


def load_demo(url: str | None = None, today: str | date | None = None) -> dict[str, Any]:
    """Load (or reload) the demo data set with dates around ``today`` (default: UTC today)."""
    day = optional_date("today", today, db.utcnow().date())
    rng = random.Random(42)
    db.init_db(url)
    with db.begin(url) as conn:
        _remove_previous(conn)
        rows = [_pollination(i, a, s, day, rng) for i, (a, s) in enumerate(POLLINATION_PLAN)]
        for row in rows:
            row["id"] = conn.execute(pollinations.insert().values(**row)).inserted_primary_key[0]
        parents = [r for r in rows if r["state"] == "harvested"]
        gers = [_germination(i, plan, day, parents) for i, plan in enumerate(GERMINATION_PLAN)]
        conn.execute(germinations.insert(), gers)
    result = {"today": day.isoformat(), "pollinations": len(rows), "germinations": len(gers)}
    log.info("demo data loaded: %s", result)
    return result
