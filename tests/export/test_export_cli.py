"""``reconciler export`` through the CLI against the in-process sandbox: an export of an applied
estate and of a seeded one validates and plans clean, scoping, zero writes, deterministic
output, and the failure modes (one message, an exit code, nothing half written)."""

from __future__ import annotations

import filecmp
from pathlib import Path
from typing import Any

import pytest
import yaml
from export_helpers import ESTATE, run_cli, seed

from reconciler.model import has_calling

TOKENS = ("sandbox-full", "sandbox-read")


def example_customers() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in ESTATE.rglob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(doc, dict) and doc.get("kind") == "Customer":
                found[doc["externalId"]] = doc
    return found


def read_customer(out: Path, ext: str) -> dict[str, Any]:
    data = yaml.safe_load((out / "customers" / f"{ext}.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def plans_clean(out: Path, db: Path, *scope: str) -> None:
    code, stdout, stderr = run_cli("validate", str(out))
    assert code == 0, stdout + stderr
    code, stdout, stderr = run_cli(
        "plan", str(out), "--sandbox", str(db), "--detailed-exitcode", *scope
    )
    assert code == 0, stdout + stderr
    assert "No changes" in stdout


def writes(stats: dict[str, Any]) -> dict[str, int]:
    return {r: n for r, n in stats["byRoute"].items() if not r.startswith("GET ")}


# --- the example estate, applied by the tool --------------------------------------------------


def test_export_of_applied_example_plans_clean(
    applied: Path, tmp_path: Path, export_requests: list[dict[str, Any]]
) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = run_cli("export", "--sandbox", str(applied), "--out", str(out))
    assert code == 0, stderr
    assert "shows no changes" in stderr
    plans_clean(out, applied)

    originals = example_customers()
    files = sorted(p.name for p in (out / "customers").iterdir())
    assert files == sorted(f"{ext}.yaml" for ext in originals)
    assert stdout.splitlines() == [str(out / "templates.yaml")] + [
        str(out / "customers" / name) for name in files
    ]
    for ext, original in originals.items():
        exported = read_customer(out, ext)
        # recovered create-only fields: the org's name, the administrator provisioning made
        assert exported["name"] == original["name"]
        assert exported["adminEmail"] == original["adminEmail"]
        assert exported["template"] == "imported"
        assert "language" not in exported  # not recoverable: left out, never guessed
        assert exported.get("headquarters") == original.get("headquarters")
        assert sorted(exported["packages"]) == sorted(
            original.get("packages", exported["packages"])
        )
        # calling and numbers as live has them: a declared list comes back as declared
        for declared in original.get("locations", ()):
            (written,) = [loc for loc in exported["locations"] if loc["name"] == declared["name"]]
            assert written.get("calling", True) == declared.get("calling", True)
            if "numbers" in declared:
                assert written["numbers"] == sorted(declared["numbers"])

    template = yaml.safe_load((out / "templates.yaml").read_text(encoding="utf-8"))
    assert template == {
        "kind": "Template",
        "name": "imported",
        "description": "Customers adopted from Partner Hub by reconciler export.",
    }
    first_lines = {p.read_text(encoding="utf-8").splitlines()[0] for p in out.rglob("*.yaml")}
    assert first_lines == {
        "# yaml-language-server: $schema=../../schemas/customer.schema.json",
        "# yaml-language-server: $schema=../schemas/template.schema.json",
    }

    # one read-only client, only GETs, one organizations list, never one GET per customer
    [export] = export_requests
    assert export["options"].get("read_only") is True
    stats = export["stats"]
    assert writes(stats) == {}
    assert stats["byRoute"]["GET /v1/organizations"] == 1
    assert "GET /v1/organizations/{orgId}" not in stats["byRoute"]
    assert "GET /v1/wholesale/customers/{customerId}" not in stats["byRoute"]
    assert stats["byRoute"]["GET /v1/locations"] == len(originals)
    # plan's full read (two customers pages, locations and people per org, one subscribers
    # page, roles) plus the organizations list, plus the calling locations and the number
    # inventory of each calling customer
    calling = [ext for ext in originals if has_calling(tuple(read_customer(out, ext)["packages"]))]
    assert stats["byRoute"]["GET /v1/telephony/config/numbers"] == len(calling)
    assert stats["total"] == 2 + 2 * len(originals) + 1 + 1 + 1 + 2 * len(calling)
    assert set(stats["byStatus"]) == {"200"}


def test_export_is_deterministic(applied: Path, tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    assert run_cli("export", "--sandbox", str(applied), "--out", str(one))[0] == 0
    assert run_cli("export", "--sandbox", str(applied), "--out", str(two))[0] == 0
    names = sorted(str(p.relative_to(one)) for p in one.rglob("*") if p.is_file())
    assert names == sorted(str(p.relative_to(two)) for p in two.rglob("*") if p.is_file())
    assert len(names) == 9
    _match, mismatch, errors = filecmp.cmpfiles(one, two, names, shallow=False)
    assert (mismatch, errors) == ([], [])
    assert not list(one.rglob(".*"))  # no temporary file left behind
    users = read_customer(one, "CSL-20417")["users"]
    assert [u["email"] for u in users] == sorted(u["email"] for u in users)
    locations = read_customer(one, "CSL-20417")["locations"]
    assert [loc["name"] for loc in locations] == sorted(loc["name"] for loc in locations)


def test_customer_scope(applied: Path, tmp_path: Path, export_requests: list[Any]) -> None:
    out = tmp_path / "out"
    code, _stdout, stderr = run_cli(
        "export", "--sandbox", str(applied), "--out", str(out), "--customer", "HVD-10231"
    )
    assert code == 0, stderr
    assert sorted(p.name for p in (out / "customers").iterdir()) == ["HVD-10231.yaml"]
    exported = read_customer(out, "HVD-10231")
    assert exported["name"] == "Harborview Dental Group"
    assert len(exported["locations"]) == 2
    assert len(exported["users"]) == 12
    plans_clean(out, applied, "--customer", "HVD-10231")
    # unscoped, the other live customers are unmanaged, not changes
    plans_clean(out, applied)
    stats = export_requests[0]["stats"]
    assert writes(stats) == {}
    # a scoped read: the customer by externalId, its org's lists, roles, the org list, and (a
    # calling customer) its calling locations and number inventory
    assert stats["total"] == 8, stats
    assert stats["byRoute"]["GET /v1/telephony/config/locations"] == 1


def test_no_token_in_output_or_files(applied: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = run_cli("export", "--sandbox", str(applied), "--out", str(out))
    assert code == 0
    texts = [stdout, stderr] + [p.read_text(encoding="utf-8") for p in out.rglob("*.yaml")]
    assert not [t for t in texts for token in TOKENS if token in t]


# --- an estate the tool never created ---------------------------------------------------------


def address(
    line1: str, city: str, state: str, zip_code: str, country: str = "US"
) -> dict[str, str]:
    return {
        "addressLine1": line1,
        "city": city,
        "stateOrProvince": state,
        "zipOrPostalCode": zip_code,
        "country": country,
    }


def loc_address(line1: str, city: str, state: str, zip_code: str) -> dict[str, str]:
    return {
        "address1": line1,
        "city": city,
        "state": state,
        "postalCode": zip_code,
        "country": "US",
    }


SEEDED = {
    "customers": [
        {
            # a calling customer with a separate administrator, two locations
            "externalId": "ACME-1",
            "name": "Acme Plumbing Co",
            "adminEmail": "owner@acme.example",
            "packages": ["webex_calling", "common_area_calling"],
            "address": address("1 Main St", "Austin", "TX", "78701"),
            "locations": [
                {
                    "name": "Austin HQ",
                    "timeZone": "America/Chicago",
                    "address": loc_address("1 Main St", "Austin", "TX", "78701"),
                    "calling": True,
                },
                {
                    "name": "Dallas Yard",
                    "timeZone": "America/Chicago",
                    "address": loc_address("9 Elm St", "Dallas", "TX", "75001"),
                    # a calling user is there: Webex has it a calling location
                    "calling": True,
                },
            ],
            "subscribers": [
                {
                    "email": "Ann.Lee@acme.example",
                    "package": "webex_calling",
                    "firstName": "Ann",
                    "lastName": "Lee",
                    "phoneNumber": "+15125550101",
                    "extension": "0101",
                    "location": "Austin HQ",
                    "roles": ["Read-only Administrator"],
                },
                {
                    "email": "bo.ng@acme.example",
                    "package": "webex_calling",
                    "firstName": "Bo",
                    "lastName": "Ng",
                    "extension": "0102",
                    "location": "Dallas Yard",
                },
            ],
        },
        {
            # meetings only; no separate administrator: a user holds the role
            "externalId": "beta-2",
            "name": "Beta Studio",
            "packages": ["webex_meetings"],
            "address": address("5 Rue X", "Paris", "", "75001", "FR"),
            "subscribers": [
                {
                    "email": "chef@beta.example",
                    "package": "webex_meetings",
                    "firstName": "Chef",
                    "lastName": "Beta",
                    "roles": ["Full Administrator"],
                },
                {"email": "staff@beta.example", "package": "webex_meetings", "firstName": "Sam"},
            ],
        },
    ]
}


def test_export_of_seeded_estate_plans_clean(
    tmp_path: Path, export_requests: list[dict[str, Any]]
) -> None:
    db = tmp_path / "sandbox.sqlite"
    seed(db, SEEDED)
    out = tmp_path / "out"
    code, _stdout, stderr = run_cli("export", "--sandbox", str(db), "--out", str(out))
    assert code == 0, stderr
    plans_clean(out, db)
    assert writes(export_requests[0]["stats"]) == {}

    acme = read_customer(out, "ACME-1")
    assert (acme["name"], acme["adminEmail"], acme["headquarters"]) == (
        "Acme Plumbing Co",
        "owner@acme.example",
        "Austin HQ",
    )
    assert acme["packages"] == ["common_area_calling", "webex_calling"]
    assert [u["email"] for u in acme["users"]] == ["ann.lee@acme.example", "bo.ng@acme.example"]
    assert acme["users"][0]["extension"] == "0101"  # stays a string
    assert acme["users"][0]["roles"] == ["Read-only Administrator"]
    assert acme["users"][1]["location"] == "Dallas Yard"
    text = (out / "customers" / "ACME-1.yaml").read_text(encoding="utf-8")
    assert "extension: '0101'" in text
    assert "postalCode: '78701'" in text

    beta = read_customer(out, "beta-2")
    assert beta["adminEmail"] == "chef@beta.example"  # the only full administrator, a user
    assert "headquarters" not in beta  # no calling package
    assert "state" not in beta["address"]  # empty in Partner Hub: left out
    beta_text = (out / "customers" / "beta-2.yaml").read_text(encoding="utf-8")
    assert "# adminEmail: every Full Administrator is also a user" in beta_text


def test_unrecoverable_fields_are_said_not_invented(tmp_path: Path) -> None:
    """No org (status error): the externalId stands in for the name, no adminEmail; the
    file says why, stderr warns, and the self-check names what validate will refuse."""
    db = tmp_path / "sandbox.sqlite"
    seed(
        db,
        {
            "customers": [
                {
                    "externalId": "BROKEN-9",
                    "name": "Broken Ltd",
                    "status": "error",
                    "packages": ["webex_meetings"],
                    "address": address("2 Side St", "Austin", "TX", "78702"),
                },
                {
                    "externalId": "NOADMIN-3",
                    "name": "No Admin Inc",
                    "packages": ["webex_meetings"],
                    "address": address("3 Side St", "Austin", "TX", "78703"),
                },
            ]
        },
    )
    out = tmp_path / "out"
    code, _, stderr = run_cli("export", "--sandbox", str(db), "--out", str(out))
    assert code == 0, stderr
    broken = read_customer(out, "BROKEN-9")
    assert broken["name"] == "BROKEN-9"
    assert "adminEmail" not in broken
    text = (out / "customers" / "BROKEN-9.yaml").read_text(encoding="utf-8")
    assert "# live status is error" in text
    assert "# name: its organization is not listed" in text
    assert "warning: customer/BROKEN-9: name: its organization is not listed" in stderr
    noadmin = (out / "customers" / "NOADMIN-3.yaml").read_text(encoding="utf-8")
    assert "# adminEmail unknown (no person in the org has the Full Administrator role)" in noadmin
    assert "fix 2 thing(s)" in stderr
    assert "NOADMIN-3.yaml" in stderr
    assert "adminEmail" in stderr
    code, stdout, _ = run_cli("validate", str(out))
    assert code == 1
    assert "adminEmail" in stdout


# --- failure modes ---------------------------------------------------------------------------


def test_unknown_customer(applied: Path, tmp_path: Path) -> None:
    out = tmp_path / "new"
    code, stdout, stderr = run_cli(
        "export", "--sandbox", str(applied), "--out", str(out), "--customer", "NOPE-1"
    )
    assert code == 64
    assert stderr.strip() == "error: --customer names no customer in Partner Hub: NOPE-1"
    assert stdout == ""
    assert not out.exists()  # nothing written, not even the directory


def test_non_empty_out_needs_force(applied: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine\n")
    code, _stdout, stderr = run_cli("export", "--sandbox", str(applied), "--out", str(out))
    assert code == 64
    assert stderr.startswith(f"error: --out {out} is not empty")
    assert "--force" in stderr
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]

    (out / "customers").mkdir()
    stale = out / "customers" / "HVD-10231.yaml"
    stale.write_text("kind: Customer\n")
    code, _, stderr = run_cli("export", "--sandbox", str(applied), "--out", str(out), "--force")
    assert code == 0, stderr
    assert (out / "notes.txt").read_text() == "mine\n"  # other files left alone
    assert read_customer(out, "HVD-10231")["name"] == "Harborview Dental Group"  # replaced
    plans_clean(out, applied)


def test_force_reports_yaml_it_did_not_write(applied: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "customers").mkdir(parents=True)
    (out / "customers" / "old.yaml").write_text("kind: Settings\nprune: false\n")
    code, _, stderr = run_cli(
        "export", "--sandbox", str(applied), "--out", str(out), "--force", "--customer", "KSR-70211"
    )
    assert code == 0, stderr
    assert "1 YAML file(s)" in stderr
    assert "old.yaml" in stderr


@pytest.mark.parametrize("kind", ["file", "under-a-file"])
def test_unwritable_out(applied: Path, tmp_path: Path, kind: str) -> None:
    blocker = tmp_path / "plain-file"
    blocker.write_text("x")
    out = blocker if kind == "file" else blocker / "out"
    code, stdout, stderr = run_cli("export", "--sandbox", str(applied), "--out", str(out))
    assert code == 1
    assert stdout == ""
    assert len(stderr.strip().splitlines()) == 1
    assert stderr.startswith("error: ")
    assert str(out) in stderr
    assert "Traceback" not in stderr


def test_empty_template_name_is_a_usage_error(applied: Path, tmp_path: Path) -> None:
    code, _, stderr = run_cli(
        "export", "--sandbox", str(applied), "--out", str(tmp_path / "o"), "--template", " "
    )
    assert code == 64
    assert "--template" in stderr


def test_other_template_name(applied: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, _, stderr = run_cli(
        "export", "--sandbox", str(applied), "--out", str(out), "--template", "legacy-2019"
    )
    assert code == 0, stderr
    assert read_customer(out, "ALU-60094")["template"] == "legacy-2019"
    assert yaml.safe_load((out / "templates.yaml").read_text())["name"] == "legacy-2019"
    plans_clean(out, applied)


def test_token_without_organizations_scope_falls_back_to_external_ids(
    applied: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read token without spark-admin:organizations_read: the export still runs, names
    are the externalIds, and it says so."""
    from reconciler.sandbox import web

    monkeypatch.setattr(web, "READ_SCOPES", web.READ_SCOPES - {"spark-admin:organizations_read"})
    out = tmp_path / "out"
    code, _, stderr = run_cli(
        "export", "--sandbox", str(applied), "--out", str(out), "--customer", "MGA-30552"
    )
    assert code == 0, stderr
    assert "GET /organizations was refused" in stderr
    exported = read_customer(out, "MGA-30552")
    assert exported["name"] == "MGA-30552"
    assert exported["adminEmail"] == "genevieve.tremblay@maplegrovecpa.example"
    plans_clean(out, applied, "--customer", "MGA-30552")  # name is create-only: no change
