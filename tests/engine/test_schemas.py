"""The published JSON Schemas: valid schemas, and what an editor's YAML language server
sees when it checks the repository's files with them (no poli code in between)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parent.parent.parent
KINDS = ["queues", "tasks", "schedules"]


def schema(kind: str) -> dict:
    return json.loads((ROOT / "engine" / "schemas" / f"{kind}.schema.json").read_text())


@pytest.mark.parametrize("kind", KINDS)
def test_schema_is_a_valid_draft_2020_12_schema(kind):
    Draft202012Validator.check_schema(schema(kind))


@pytest.mark.parametrize("kind", KINDS)
def test_repository_file_passes_its_schema_as_an_editor_checks_it(kind):
    text = (ROOT / f"{kind}.yaml").read_text()
    assert text.startswith(f"# yaml-language-server: $schema=engine/schemas/{kind}.schema.json")
    errors = list(Draft202012Validator(schema(kind)).iter_errors(yaml.safe_load(text)))
    assert errors == []


def test_an_editor_sees_a_typo():
    data = yaml.safe_load((ROOT / "schedules.yaml").read_text())
    data["schedules"]["process-alerts"]["crn"] = "0 * * * *"
    assert list(Draft202012Validator(schema("schedules")).iter_errors(data))
