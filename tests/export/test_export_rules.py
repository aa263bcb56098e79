"""The export's choices, one rule at a time: the administrator, the headquarters, file names,
YAML text, and the organizations list of the API client."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest
import yaml
from contract import check_exchange
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.api import WebexClient
from reconciler.desired.yamlio import read_directory
from reconciler.export.documents import (
    ExportFile,
    admin_email,
    build_export,
    file_names,
    headquarters,
    user_yaml,
)
from reconciler.export.writer import render, scalar
from reconciler.model import Address, Customer, LiveRef, Location, State, User

FULL = "Full Administrator"


def person(email: str, created: str, *roles: str, pid: str = "") -> dict[str, Any]:
    return {
        "id": pid or f"P-{email}",
        "emails": [email],
        "created": created,
        "roleNames": list(roles),
    }


def user(email: str, person_id: str = "") -> User:
    return User(
        customer="C", email=email.lower(), live=LiveRef(id=f"S-{email}", person_id=person_id)
    )


# --- adminEmail --------------------------------------------------------------------------------


def test_admin_is_the_full_administrator_who_is_not_a_user() -> None:
    people = [
        person("boss@c.example", "2024-01-01T10:00:00.000Z", FULL),
        person("owner@c.example", "2024-03-01T10:00:00.000Z", FULL),
        person("reader@c.example", "2023-01-01T10:00:00.000Z", "Read-only Administrator"),
    ]
    email, note = admin_email(people, [user("boss@c.example")])
    assert (email, note) == ("owner@c.example", None)


def test_subscriber_is_recognised_by_person_id_too() -> None:
    people = [
        person("renamed@c.example", "2024-01-01T10:00:00Z", FULL, pid="P1"),
        person("owner@c.example", "2024-02-01T10:00:00Z", FULL),
    ]
    email, _ = admin_email(people, [user("other@c.example", person_id="P1")])
    assert email == "owner@c.example"


def test_earliest_of_several_non_user_admins_with_a_note() -> None:
    people = [
        person("late@c.example", "2024-05-01T00:00:00+00:00", FULL),
        person("early@c.example", "2024-05-01T00:00:00-02:00", FULL),  # later in UTC
        person("first@c.example", "2024-04-30T23:00:00Z", FULL),
    ]
    email, note = admin_email(people, [])
    assert email == "first@c.example"
    assert note is not None
    assert "earliest created of 3" in note


def test_all_admins_are_users_takes_the_earliest_created() -> None:
    people = [
        person("b@c.example", "2024-02-01T00:00:00Z", FULL),
        person("a@c.example", "2024-03-01T00:00:00Z", FULL),
        person("undated@c.example", "", FULL),
    ]
    users = [user("a@c.example"), user("B@c.example"), user("undated@c.example")]
    email, note = admin_email(people, users)
    assert email == "b@c.example"
    assert note is not None
    assert "also a user" in note


def test_no_full_administrator() -> None:
    email, note = admin_email([person("x@c.example", "2024-01-01T00:00:00Z", "Support")], [])
    assert email is None
    assert note == "no person in the org has the Full Administrator role"


# --- headquarters -----------------------------------------------------------------------------

HOME = Address(line1="1 Main St", city="Austin", country="US", state="TX", postal_code="78701")


def cust(*packages: str) -> Customer:
    return Customer(external_id="C", address=HOME, packages=packages)


def loc(name: str, address: Address | None) -> Location:
    return Location(customer="C", name=name, address=address)


def test_headquarters_rules() -> None:
    other = Address(line1="9 Elm", city="Dallas", country="US")
    same = Address(line1="1 MAIN ST", city="austin", country="us", state="TX", postal_code="78701")
    assert headquarters(cust("webex_meetings"), [loc("A", HOME)]) == (None, None)
    assert headquarters(cust("webex_calling"), [loc("Only", other)]) == ("Only", None)
    name, note = headquarters(cust("webex_calling"), [loc("A", other), loc("B", same)])
    assert name == "B"
    assert note is not None
    assert "customer's address" in note
    name, note = headquarters(cust("webex_voice"), [loc("A", other), loc("B", None)])
    assert name == "A"
    assert note is not None
    assert "guess" in note
    assert headquarters(cust("webex_calling"), []) == (
        None,
        "calling packages but no location to name as headquarters",
    )


# --- file names and YAML text -----------------------------------------------------------------


def test_file_names_are_safe_and_unique() -> None:
    names = file_names(["ACME-1", "../etc/passwd", "a/b", "a_b", "Case", "case", "..", "x y"])
    assert names["ACME-1"] == "ACME-1.yaml"
    assert names["a_b"] == "a_b.yaml"
    assert all("/" not in n and not n.startswith(".") for n in names.values())
    assert len(set(names.values())) == len(names)
    assert len({n.lower() for n in names.values()}) == len(names)  # case-insensitive disks
    assert names["a/b"].startswith("a_b-")
    assert names["Case"] != names["case"]


def test_yaml_text_reads_back_as_written(tmp_path: Any) -> None:
    data = {
        "kind": "Customer",
        "externalId": "007",
        "name": "Ærø Café: \"quoted\" & 'single' #hash",
        "template": "imported",
        "packages": ["webex_calling"],
        "address": {
            "line1": "yes",
            "city": "null",
            "postalCode": "02138",
            "country": "NO",
        },
        "users": [{"email": "x@y.example", "phoneNumber": "+4930123456", "extension": "0100"}],
    }
    text = render(
        ExportFile(
            path="customers/007.yaml",
            schema="../../schemas/customer.schema.json",
            comments=("first line\nsecond line",),
            data=data,
        )
    )
    lines = text.splitlines()
    assert lines[0] == "# yaml-language-server: $schema=../../schemas/customer.schema.json"
    assert lines[1] == "# first line second line"  # a comment never spills into YAML
    assert "  - webex_calling" in lines  # sequences indented under their key
    assert "Ærø" in text  # UTF-8 as is
    assert yaml.safe_load(text) == data  # plain YAML 1.1 readers agree
    (tmp_path / "c.yaml").write_text(text, encoding="utf-8")
    docs, problems, _ = read_directory(tmp_path, frozenset())
    assert problems == []
    assert docs[0].data == data  # and so does the tool's own stricter loader


def test_build_export_is_pure_and_sorted() -> None:
    live = State(
        customers={
            "B": Customer("B", HOME, packages=("webex_meetings",), live=LiveRef("1", "ORG-B")),
            "A": Customer("A", HOME, packages=("webex_meetings",), live=LiveRef("2", "ORG-A")),
        },
        users={
            ("A", "z@a.example"): User("A", "z@a.example"),
            ("A", "m@a.example"): User("A", "m@a.example"),
        },
    )
    people = {"A": [person("boss@a.example", "2024-01-01T00:00:00Z", FULL)], "B": []}
    orgs = [{"id": "ORG-A", "displayName": "Alpha"}, {"id": "ORG-B", "displayName": "  "}]
    result = build_export(live, people, orgs, template="t1")
    assert [d.path for d in result.documents] == [
        "templates.yaml",
        "customers/A.yaml",
        "customers/B.yaml",
    ]
    alpha = result.documents[1].data
    assert alpha["name"] == "Alpha"
    assert alpha["adminEmail"] == "boss@a.example"
    assert [u["email"] for u in alpha["users"]] == ["m@a.example", "z@a.example"]
    beta = result.documents[2].data
    assert beta["name"] == "B"  # a blank displayName is no name
    assert "adminEmail" not in beta
    assert result.counts == {"customers": 2, "locations": 0, "users": 2}
    assert any(w.startswith("customer/B: name:") for w in result.warnings)
    assert build_export(live, people, orgs, template="t1") == result


# --- WebexClient.list_organizations -----------------------------------------------------------


def test_list_organizations_one_request_no_parameters_follows_next() -> None:
    seen: list[httpx.Request] = []
    base = "https://webexapis.com/v1"

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.params.get("cursor") == "2":
            response = httpx.Response(200, json={"items": [{"id": "O2", "displayName": "Two"}]})
        else:
            response = httpx.Response(
                200,
                json={"items": [{"id": "O1", "displayName": "One", "created": "2024-01-01"}]},
                headers={"Link": f'<{base}/organizations?cursor=2>; rel="next"'},
            )
        response.request = request
        check_exchange(request, response)
        return response

    async def go() -> list[dict[str, Any]]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            client = WebexClient(http, base_url=base, tokens="t", read_only=True)
            return await client.list_organizations()

    items = asyncio.run(go())
    assert [o["id"] for o in items] == ["O1", "O2"]
    assert str(seen[0].url) == f"{base}/organizations"  # no undocumented parameters
    assert len(seen) == 2


def test_list_organizations_refuses_a_next_link_to_another_host() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={"items": []},
            headers={"Link": '<https://evil.example/v1/organizations?p=2>; rel="next"'},
        )

    async def go() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            client = WebexClient(http, base_url="https://webexapis.com/v1", tokens="secret-t")
            await client.list_organizations()

    with pytest.raises(Exception, match="refusing") as caught:
        asyncio.run(go())
    assert "secret-t" not in str(caught.value)


# --- the YAML emitter against PyYAML's loader, property by property --------------------------

_texts = st.text(max_size=40)
YAML12_NUMBER = re.compile(
    r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?"
)
_values = st.recursive(
    _texts | st.booleans() | st.integers() | st.none(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(min_size=1, max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=12), _values, min_size=1, max_size=6))
def test_any_document_reads_back_as_written(data: dict[str, Any]) -> None:
    text = render(ExportFile(path="x.yaml", schema="s.json", comments=(), data=data))
    assert yaml.safe_load(text) == data


@settings(max_examples=300, deadline=None)
@given(_texts)
def test_a_plain_scalar_is_never_something_else(text: str) -> None:
    written = scalar(text)
    assert yaml.safe_load(f"k: {written}\n") == {"k": text}
    if written == text:  # left plain: no YAML 1.2 core-schema number either
        assert not YAML12_NUMBER.fullmatch(text)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("Seattle HQ", "Seattle HQ"),
        ("02138", "'02138'"),
        ("+12065550101", "'+12065550101'"),
        ("0o17", "'0o17'"),
        ("NO", "'NO'"),
        ("yes", "'yes'"),
        ("~", "'~'"),
        ("", "''"),
        ("a: b", "'a: b'"),
        ("it's", "it's"),
        ("-lead", "'-lead'"),
        ("tab\there", '"tab\\x09here"'),
        ("Lumière", "Lumière"),
        ("1e3", "'1e3'"),
        ("0x1F", "'0x1F'"),
    ],
)
def test_scalar_style(value: str, written: str) -> None:
    assert scalar(value) == written


def test_a_user_without_calling_is_exported_without_calling_settings() -> None:
    """A person keeps its location, number and extension after a downgrade to meetings; the
    export leaves them out, as validate refuses them on a user without a calling package."""
    downgraded = User(
        customer="C",
        email="m@c.example",
        package="webex_meetings",
        location="HQ",
        phone_number="+12145550100",
        extension="1001",
    )
    assert user_yaml(downgraded) == {"email": "m@c.example", "package": "webex_meetings"}
    calling = User(customer="C", email="c@c.example", package="webex_calling", extension="1002")
    assert user_yaml(calling) == {
        "email": "c@c.example",
        "package": "webex_calling",
        "extension": "1002",
    }
