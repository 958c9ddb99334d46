"""The tables, in SQLAlchemy Core. Times are naive UTC; dates are calendar dates."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

pollinations = Table(
    "pollinations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(40), nullable=False, unique=True),
    Column("species", String(120), nullable=False),
    Column("mother_plant", String(80), nullable=False),
    Column("father_plant", String(80), nullable=False),
    Column("pollinated_on", Date, nullable=False),
    Column("responsible", String(80), nullable=False),
    Column("expected_maturation_on", Date),
    Column("matured_on", Date),
    Column("expected_harvest_on", Date),
    Column("harvested_on", Date),
    Column("state", String(20), nullable=False),
    Column("state_since", Date, nullable=False),
    Column("notes", Text, nullable=False, default=""),
)

germinations = Table(
    "germinations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(40), nullable=False, unique=True),
    Column("species", String(120), nullable=False),
    Column("seed_lot", String(40)),
    Column("pollination_id", Integer, ForeignKey("pollinations.id", ondelete="SET NULL")),
    Column("responsible", String(80), nullable=False),
    Column("sown_on", Date, nullable=False),
    Column("window_start", Date, nullable=False),
    Column("window_end", Date, nullable=False),
    Column("seeds_sown", Integer, nullable=False),
    Column("seeds_germinated", Integer, nullable=False, default=0),
    Column("state", String(20), nullable=False),
    Column("state_since", Date, nullable=False),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("severity", String(10), nullable=False),
    Column("record_type", String(20), nullable=False),
    Column("record_id", Integer, nullable=False),
    Column("responsible", String(80)),
    Column("message", Text, nullable=False),
    Column("event_on", Date, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("resolved_at", DateTime),
    # kind:record_type:record_id:day; the unique constraint is the idempotency guarantee.
    Column("dedup_key", String(160), nullable=False),
    UniqueConstraint("dedup_key", name="uq_alerts_dedup_key"),
    Index("ix_alerts_record", "record_type", "record_id"),
    Index("ix_alerts_resolved_at", "resolved_at"),
)

digests = Table(
    "digests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("week_start", Date, nullable=False),
    Column("responsible", String(80), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("body", JSON, nullable=False),
    UniqueConstraint("week_start", "responsible", name="uq_digests_week_person"),
)

reports = Table(
    "reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("summary", JSON, nullable=False),
)
