"""Fixtures for the desired-state tests: a small valid estate to break one rule at a time."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

Docs = dict[str, list[dict[str, Any]] | str]


def base_docs() -> Docs:
    """A valid estate: one template, one calling customer with two locations and two users."""
    return {
        "templates/basic.yaml": [
            {
                "kind": "Template",
                "name": "basic",
                "provisioningId": "prov-basic",
                "defaults": {
                    "packages": ["webex_calling"],
                    "language": "en_US",
                    "country": "US",
                    "timeZone": "America/Chicago",
                },
            }
        ],
        "customers/acme.yaml": [
            {
                "kind": "Customer",
                "externalId": "acme",
                "name": "Acme Corp",
                "adminEmail": "admin@acme.example",
                "template": "basic",
                "address": {
                    "line1": "1 Main Street",
                    "city": "Dallas",
                    "state": "TX",
                    "postalCode": "75201",
                },
                "headquarters": "Dallas",
                "locations": [
                    {"name": "Dallas"},
                    {"name": "Austin", "timeZone": "America/Chicago"},
                ],
                "users": [
                    {
                        "email": "Ann.Lee@acme.example",
                        "firstName": "Ann",
                        "lastName": "Lee",
                        "package": "webex_calling",
                        "extension": "1001",
                        "roles": ["Full Administrator"],
                    },
                    {
                        "email": "bob@acme.example",
                        "package": "webex_calling",
                        "phoneNumber": "+12145550101",
                        "location": "Austin",
                    },
                ],
            }
        ],
    }


@pytest.fixture
def docs() -> Docs:
    """A fresh copy of the valid estate, to edit in a test."""
    return copy.deepcopy(base_docs())


@pytest.fixture
def write(tmp_path: Path) -> Callable[[Docs], Path]:
    """Write ``{relative file: [documents] or YAML text}`` below a fresh directory."""

    def _write(files: Docs) -> Path:
        root = tmp_path / "estate"
        for rel, content in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            text = content if isinstance(content, str) else yaml.safe_dump_all(content)
            path.write_text(text, encoding="utf-8")
        return root

    return _write
