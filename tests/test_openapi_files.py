"""The vendored Webex OpenAPI files are the unmodified official ones the README names."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent / "openapi"
README = (HERE / "README.md").read_text()


@pytest.mark.parametrize("name", ["webex-wholesale.json", "webex-admin.json"])
def test_official_file_matches_its_recorded_checksum(name: str) -> None:
    recorded = re.search(rf"`{re.escape(name)}` \|.*?sha256 `([0-9a-f]{{64}})`", README)
    assert recorded, f"no checksum recorded for {name}"
    assert hashlib.sha256((HERE / name).read_bytes()).hexdigest() == recorded.group(1)


def test_location_request_schemas_are_the_official_ones() -> None:
    official = json.loads((HERE / "webex-wholesale.json").read_text())["components"]["schemas"]
    ours = json.loads((HERE / "webex-locations.json").read_text())["paths"]
    post = ours["/locations"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    put = ours["/locations/{locationId}"]["put"]["requestBody"]["content"]["application/json"]
    assert post == official["PostCommonLocationObject"]
    assert put["schema"] == official["PutCommonLocationObject"]


def test_calling_fragment_names_its_source_for_every_operation() -> None:
    """Each transcribed operation names the extract (document id) it comes from, and the
    fragment carries the licence and attribution the README gives."""
    spec = json.loads((HERE / "webex-cloud-calling.json").read_text())
    assert "CC BY 4.0" in spec["info"]["description"]
    assert "webex-cloud-calling.json" in spec["info"]["description"]
    operations = [
        op
        for item in spec["paths"].values()
        for m, op in item.items()
        if m in ("get", "post", "delete")
    ]
    assert len(operations) == 16
    transcribed = [op for op in operations if re.fullmatch(r"\d{11}", op["x-source"])]
    assert len(transcribed) == 12
    # the rest have no extract: each names its sources and says what is inferred
    for op in operations:
        if op not in transcribed:
            assert "example" in op["x-source"], op["operationId"]
            assert op["x-inferred"].strip(), op["operationId"]
    assert "`webex-cloud-calling.json`" in README
