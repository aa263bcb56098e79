"""Nested ``locations:``/``users:`` and separate documents with ``customer:`` are one model."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reconciler.desired import load_desired

Write = Callable[[dict[str, Any]], Path]


def split(docs: dict[str, Any]) -> dict[str, Any]:
    """The same estate with the customer's locations and users in files of their own."""
    out = copy.deepcopy(docs)
    customer = out["customers/acme.yaml"][0]
    ext = customer["externalId"]
    locations = customer.pop("locations")
    users = customer.pop("users")
    out["customers/acme/locations.yaml"] = [
        {"kind": "Location", "customer": ext, **loc} for loc in locations
    ]
    out["customers/acme/users/first.yaml"] = [{"kind": "User", "customer": ext, **users[0]}]
    out["customers/acme/users/rest.yml"] = [
        {"apiVersion": "reconciler/v1", "kind": "User", "customer": ext, **u} for u in users[1:]
    ]
    return out


def test_nested_and_separate_documents_give_the_same_state(
    write: Write, docs: dict[str, Any], tmp_path: Path
) -> None:
    nested = load_desired(write(docs))
    (tmp_path / "estate").rename(tmp_path / "nested")
    separate = load_desired(write(split(docs)))
    assert separate == nested
    assert separate.users == nested.users
    assert separate.locations == nested.locations
    # Sources differ (they are not compared) and point at the separate files.
    user = separate.users[("acme", "bob@acme.example")]
    assert user.source is not None
    assert user.source.file.endswith("customers/acme/users/rest.yml")


def test_mixed_nested_and_separate(write: Write, docs: dict[str, Any]) -> None:
    nested = load_desired(write(docs))
    mixed = copy.deepcopy(docs)
    customer = mixed["customers/acme.yaml"][0]
    moved = customer["users"].pop()
    mixed["customers/acme.yaml"].append({"kind": "User", "customer": "acme", **moved})
    assert load_desired(write(mixed)) == nested


def test_template_defaults_are_applied(write: Write, docs: dict[str, Any]) -> None:
    state = load_desired(write(docs))
    acme = state.customers["acme"]
    assert acme.packages == ("webex_calling",)
    assert acme.language == "en_US"
    assert acme.address.country == "US"
    assert acme.meetings_time_zone is None  # no meetings package
    dallas = state.locations[("acme", "Dallas")]
    assert dallas.time_zone == "America/Chicago"
    assert dallas.address == acme.address
    assert dallas.preferred_language == dallas.announcement_language == "en_us"
    ann = state.users[("acme", "ann.lee@acme.example")]
    assert ann.location == "Dallas"  # a calling user defaults to the headquarters
    assert ann.roles == ("Full Administrator",)


def test_own_values_win_over_defaults(write: Write, docs: dict[str, Any]) -> None:
    customer = docs["customers/acme.yaml"][0]
    customer.update(
        packages=["webex_suite", "webex_calling"],
        language="fr_CA",
        meetings={"timeZone": "America/Toronto"},
    )
    customer["address"]["country"] = "CA"
    customer["locations"][1].update(
        address={"line1": "2 Rue Principale", "city": "Gatineau"},
        preferredLanguage="fr_ca",
        announcementLanguage="en_us",
        previously="Old Austin",
    )
    state = load_desired(write(docs))
    acme = state.customers["acme"]
    assert acme.packages == ("webex_calling", "webex_suite")
    assert (acme.language, acme.meetings_time_zone) == ("fr_CA", "America/Toronto")
    austin = state.locations[("acme", "Austin")]
    assert austin.address is not None
    assert (austin.address.city, austin.address.country) == ("Gatineau", "CA")
    assert (austin.preferred_language, austin.announcement_language) == ("fr_ca", "en_us")
    assert austin.previously == ("Old Austin",)


def test_meetings_time_zone_defaults_for_meetings_packages(
    write: Write, docs: dict[str, Any]
) -> None:
    docs["customers/acme.yaml"][0]["packages"] = ["webex_calling", "webex_meetings"]
    assert load_desired(write(docs)).customers["acme"].meetings_time_zone == "America/Chicago"


def test_settings_document(write: Write, docs: dict[str, Any]) -> None:
    docs["settings.yaml"] = [
        {
            "kind": "Settings",
            "prune": True,
            "maxDeletePercent": 5,
            "maxUpdatePercent": 50.5,
            "concurrency": 4,
            "maxRequestsPerSecond": 2,
        }
    ]
    settings = load_desired(write(docs)).settings
    assert (settings.prune, settings.max_delete_percent, settings.max_update_percent) == (
        True,
        5.0,
        50.5,
    )
    assert (settings.concurrency, settings.max_requests_per_second) == (4, 2.0)


def test_template_fields(write: Write, docs: dict[str, Any]) -> None:
    docs["templates/basic.yaml"][0].update(
        description="Basic calling",
        partnerHub={"authentication": "partner_sso", "calling": {"Region": "US"}},
    )
    template = load_desired(write(docs)).templates["basic"]
    assert (template.provisioning_id, template.description) == ("prov-basic", "Basic calling")
    assert template.defaults.packages == ("webex_calling",)
    assert template.partner_hub == {"authentication": "partner_sso", "calling": {"Region": "US"}}


def test_absent_objects(write: Write, docs: dict[str, Any]) -> None:
    customer = docs["customers/acme.yaml"][0]
    customer["state"] = "absent"
    state = load_desired(write(docs))
    assert state.customers["acme"].state == "absent"
