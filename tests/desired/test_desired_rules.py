"""Every validation rule of SPEC §2: one passing and one failing case each."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.desired import check_directory, load_desired
from reconciler.errors import Problem
from reconciler.model import CALLING_USER_PACKAGES

Write = Callable[[dict[str, Any]], Path]


def acme(docs: dict[str, Any]) -> dict[str, Any]:
    return docs["customers/acme.yaml"][0]  # type: ignore[no-any-return]


def problems(write: Write, docs: dict[str, Any]) -> list[Problem]:
    return check_directory(write(docs)).problems


def messages(write: Write, docs: dict[str, Any]) -> list[str]:
    return [p.message for p in problems(write, docs)]


def only(write: Write, docs: dict[str, Any]) -> Problem:
    found = problems(write, docs)
    assert len(found) == 1, [str(p) for p in found]
    return found[0]


def test_base_estate_is_valid(write: Write, docs: dict[str, Any]) -> None:
    state = load_desired(write(docs))
    assert set(state.customers) == {"acme"}
    assert set(state.locations) == {("acme", "Dallas"), ("acme", "Austin")}
    assert set(state.users) == {("acme", "ann.lee@acme.example"), ("acme", "bob@acme.example")}


# --- duplicates -------------------------------------------------------------------------------


def test_duplicate_customer_in_two_files_cites_both_places(
    write: Write, docs: dict[str, Any]
) -> None:
    docs["customers/acme-copy.yaml"] = [dict(acme(docs), name="Acme Again")]
    problem = only(write, docs)
    assert problem.file.endswith("customers/acme.yaml") or problem.file.endswith("acme-copy.yaml")
    assert "duplicate customer 'acme'" in problem.message
    other = "acme.yaml" if problem.file.endswith("acme-copy.yaml") else "acme-copy.yaml"
    assert f"{other}:" in problem.message


def test_user_email_is_unique_per_customer_ignoring_case(
    write: Write, docs: dict[str, Any]
) -> None:
    docs["users.yaml"] = [
        {
            "kind": "User",
            "customer": "acme",
            "email": "ANN.LEE@acme.example",
            "package": "webex_meetings",
        }
    ]
    problem = only(write, docs)
    assert problem.file.endswith("users.yaml")
    assert problem.line == 2  # the email line: customer, email, kind, package (sorted keys)
    assert "duplicate user 'ann.lee@acme.example' of customer 'acme'" in problem.message
    assert "customers/acme.yaml:" in problem.message


def test_same_email_under_two_customers_is_refused(write: Write, docs: dict[str, Any]) -> None:
    other = dict(acme(docs), externalId="globex", name="Globex")
    # a phone number is one user's in all of Partner Hub, and so is an email: one org's
    other["users"] = [
        dict(u, phoneNumber="+12145550199") if "phoneNumber" in u else u for u in other["users"]
    ]
    docs["customers/globex.yaml"] = [other]
    found = problems(write, docs)
    assert [p.message.split(" at ")[0] for p in found] == [
        f"user '{u['email'].lower()}' is also a user of customer 'acme'" for u in other["users"]
    ]
    assert all(p.file.endswith("customers/globex.yaml") for p in found)


def test_duplicate_location_name(write: Write, docs: dict[str, Any]) -> None:
    docs["loc.yaml"] = [{"kind": "Location", "customer": "acme", "name": "Austin"}]
    assert "duplicate location 'Austin' of customer 'acme'" in only(write, docs).message


def test_duplicate_template(write: Write, docs: dict[str, Any]) -> None:
    docs["templates/zz-again.yaml"] = [{"kind": "Template", "name": "basic"}]
    assert "duplicate template 'basic'" in only(write, docs).message


def test_at_most_one_settings(write: Write, docs: dict[str, Any]) -> None:
    docs["settings.yaml"] = [{"kind": "Settings", "prune": True}]
    assert load_desired(write(docs)).settings.prune is True
    docs["more-settings.yaml"] = [{"kind": "Settings", "concurrency": 2}]
    assert "a second Settings document" in only(write, docs).message


def test_duplicate_yaml_mapping_key(write: Write, docs: dict[str, Any]) -> None:
    docs["extra.yaml"] = "kind: Template\nname: extra\nname: again\n"
    problem = only(write, docs)
    assert (problem.line, problem.col) == (3, 1)
    assert problem.message == "duplicate key 'name' (first given at line 2)"


# --- references -------------------------------------------------------------------------------


def test_unknown_template(write: Write, docs: dict[str, Any]) -> None:
    acme(docs)["template"] = "basik"
    message = only(write, docs).message
    assert message == "unknown template 'basik' (did you mean 'basic'?)"


def test_unknown_customer_of_a_separate_user(write: Write, docs: dict[str, Any]) -> None:
    docs["users.yaml"] = [
        {
            "kind": "User",
            "customer": "acme",
            "email": "c@acme.example",
            "package": "webex_calling",
            "extension": "1003",
        }
    ]
    assert problems(write, docs) == []
    docs["users.yaml"][0]["customer"] = "acne"  # type: ignore[index]
    assert only(write, docs).message == "unknown customer 'acne' (did you mean 'acme'?)"


def test_unknown_customer_of_a_separate_location(write: Write, docs: dict[str, Any]) -> None:
    docs["loc.yaml"] = [{"kind": "Location", "customer": "nobody", "name": "Waco"}]
    assert only(write, docs).message == "unknown customer 'nobody'"


def test_unknown_location_of_a_user(write: Write, docs: dict[str, Any]) -> None:
    acme(docs)["users"][1]["location"] = "Houston"
    message = only(write, docs).message
    assert message == "unknown location 'Houston' of customer 'acme' (did you mean 'Austin'?)"


def test_user_location_marked_absent(write: Write, docs: dict[str, Any]) -> None:
    acme(docs)["locations"][1]["state"] = "absent"
    assert only(write, docs).message == "location 'Austin' is marked absent"


def test_headquarters_must_be_a_location_of_the_customer(
    write: Write, docs: dict[str, Any]
) -> None:
    acme(docs)["headquarters"] = "Austn"
    message = only(write, docs).message
    assert (
        message
        == "headquarters 'Austn' is not a location of customer 'acme' (did you mean 'Austin'?)"
    )


def test_headquarters_from_a_separate_location_document(write: Write, docs: dict[str, Any]) -> None:
    acme(docs)["headquarters"] = "Houston"
    docs["houston.yaml"] = [{"kind": "Location", "customer": "acme", "name": "Houston"}]
    assert problems(write, docs) == []


# --- packages ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("packages", "ok"),
    [
        (["webex_calling", "cisco_calling_plan"], True),
        (["common_area_calling", "cisco_calling_plan"], True),
        (["webex_meetings", "cisco_calling_plan"], False),
        (["webex_suite", "attendant_console"], True),
        (["webex_voice", "attendant_console"], False),
        (["webex_calling", "attendant_console"], True),
    ],
)
def test_package_dependencies(
    write: Write, docs: dict[str, Any], packages: list[str], ok: bool
) -> None:
    customer = acme(docs)
    customer["packages"] = packages
    if packages[0] == "common_area_calling":  # no subscriber package of its own
        customer.pop("users")
    for user in customer.get("users", ()):
        user["package"] = packages[0]
        user.pop("roles", None)
        if packages[0] not in CALLING_USER_PACKAGES:  # calling settings need a calling package
            for key in ("location", "phoneNumber", "extension"):
                user.pop(key, None)
    found = messages(write, docs)
    if ok:
        assert found == []
    else:
        assert len(found) == 1
        assert found[0].startswith(f"package '{packages[1]}' needs one of: ")


def test_package_rule_applies_to_template_defaults(write: Write, docs: dict[str, Any]) -> None:
    docs["templates/basic.yaml"][0]["defaults"]["packages"] = [
        "webex_meetings",
        "attendant_console",
    ]  # type: ignore[index]
    for user in acme(docs)["users"]:
        user["package"] = "webex_meetings"
        for key in ("location", "phoneNumber", "extension"):
            user.pop(key, None)
    problem = only(write, docs)
    assert problem.message.endswith("(from template 'basic')")
    assert problem.file.endswith("acme.yaml")


def test_bad_package_name(write: Write, docs: dict[str, Any]) -> None:
    acme(docs)["packages"] = ["webex_calling", "webex_calling_pro"]
    message = only(write, docs).message
    assert message.startswith(
        "packages[1]: 'webex_calling_pro' is not one of: common_area_calling,"
    )


def test_subscriber_package_is_a_subscriber_enum(write: Write, docs: dict[str, Any]) -> None:
    acme(docs)["users"][1]["package"] = "cisco_calling_plan"
    assert only(write, docs).message.startswith(
        "users[1].package: 'cisco_calling_plan' is not one of"
    )


def test_calling_package_needs_headquarters(write: Write, docs: dict[str, Any]) -> None:
    del acme(docs)["headquarters"]
    problem = only(write, docs)
    assert problem.message == (
        "customer 'acme' has calling package(s) webex_calling (from template 'basic') "
        "but no 'headquarters'"
    )


def test_meetings_only_customer_needs_no_headquarters(write: Write, docs: dict[str, Any]) -> None:
    customer = acme(docs)
    del customer["headquarters"]
    customer["packages"] = ["webex_meetings"]
    customer["users"] = [
        {"email": "m@acme.example", "package": "webex_meetings", "roles": ["Full Administrator"]}
    ]
    state = load_desired(write(docs))
    assert state.customers["acme"].headquarters is None
    assert state.users[("acme", "m@acme.example")].location is None


@pytest.mark.parametrize(
    ("fields", "ok"),
    [
        ({"extension": "1002"}, True),
        ({"phoneNumber": "+12145550102"}, True),
        ({"phoneNumber": "+12145550102", "extension": "1002"}, True),
        ({}, False),
    ],
)
def test_calling_user_needs_number_or_extension(
    write: Write, docs: dict[str, Any], fields: dict[str, str], ok: bool
) -> None:
    acme(docs)["users"].append({"email": "c@acme.example", "package": "webex_calling", **fields})
    found = messages(write, docs)
    if ok:
        assert found == []
    else:
        assert found == [
            "user 'c@acme.example' has calling package 'webex_calling' "
            "but neither phoneNumber nor extension"
        ]


def test_meetings_user_needs_no_number(write: Write, docs: dict[str, Any]) -> None:
    acme(docs)["packages"] = ["webex_calling", "webex_meetings"]
    acme(docs)["users"].append({"email": "m@acme.example", "package": "webex_meetings"})
    assert problems(write, docs) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("location", "Dallas"), ("phoneNumber", "+12145550177"), ("extension", "4001")],
)
def test_a_user_without_calling_has_no_calling_settings(
    write: Write, docs: dict[str, Any], field: str, value: str
) -> None:
    """Webex sets locationId only when assigning a calling licence; number and extension
    need one too: declared on a meetings-only user they would be ignored, so they are refused
    at their line."""
    acme(docs)["packages"] = ["webex_calling", "webex_meetings"]
    acme(docs)["users"].append({"email": "m@acme.example", "package": "webex_meetings"})
    acme(docs)["users"][-1][field] = value
    problem = only(write, docs)
    assert problem.message == (
        f"user 'm@acme.example' has {field} but package 'webex_meetings' has no calling: Webex "
        "sets it only for a user with a calling licence; remove it, or give the user a calling "
        "package"
    )
    lines = Path(problem.file).read_text().splitlines()
    assert lines[problem.line - 1].strip().startswith(f"{field}:")


def test_full_administrator_holds_a_customer_package(write: Write, docs: dict[str, Any]) -> None:
    acme(docs)["users"][0]["package"] = "webex_suite"
    message = only(write, docs).message
    assert message == (
        "user 'ann.lee@acme.example' is a Full Administrator but package 'webex_suite' is not one "
        "of the customer's packages (webex_calling)"
    )


def test_every_user_package_is_one_of_the_customers(write: Write, docs: dict[str, Any]) -> None:
    user = acme(docs)["users"][0]
    user["package"] = "webex_suite"
    user["roles"] = ["Read-only Administrator"]
    problem = only(write, docs)
    assert problem.message == (
        "user 'ann.lee@acme.example' has package 'webex_suite', which customer 'acme' does not "
        "hold (webex_calling); Partner Hub refuses it"
    )
    assert (problem.file.endswith("customers/acme.yaml"), problem.line) == (True, 21)
    acme(docs)["packages"] = ["webex_calling", "webex_suite"]
    assert problems(write, docs) == []


def test_user_package_rule_follows_template_defaults(write: Write, docs: dict[str, Any]) -> None:
    docs["templates/basic.yaml"][0]["defaults"]["packages"] = ["webex_meetings"]  # type: ignore[index]
    acme(docs).pop("headquarters")
    messages_found = messages(write, docs)
    assert len(messages_found) == 2, messages_found
    assert messages_found[0].startswith("user 'ann.lee@acme.example' is a Full Administrator")
    assert messages_found[1] == (
        "user 'bob@acme.example' has package 'webex_calling', which customer 'acme' does not "
        "hold (webex_meetings); Partner Hub refuses it"
    )


def test_package_is_required_unless_absent(write: Write, docs: dict[str, Any]) -> None:
    acme(docs)["users"].append({"email": "gone@acme.example", "state": "absent"})
    assert problems(write, docs) == []
    acme(docs)["users"].append({"email": "new@acme.example"})
    assert only(write, docs).message == "users[3]: missing required field 'package'"


# --- values -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "value", "ok"),
    [
        ("location", "Europe/Berlin", True),
        ("location", "Europe/Berln", False),
        ("template", "America/Chicago", True),
        ("template", "Central Time", False),
        ("meetings", "Asia/Tokyo", True),
        ("meetings", "Mars/Olympus_Mons", False),
    ],
)
def test_time_zones_are_iana(
    write: Write, docs: dict[str, Any], where: str, value: str, ok: bool
) -> None:
    if where == "location":
        acme(docs)["locations"][1]["timeZone"] = value
    elif where == "template":
        docs["templates/basic.yaml"][0]["defaults"]["timeZone"] = value  # type: ignore[index]
    else:
        acme(docs)["meetings"] = {"timeZone": value}
    found = messages(write, docs)
    if ok:
        assert found == []
    else:
        assert len(found) == 1
        assert found[0].startswith(f"unknown time zone '{value}'")


def test_unknown_time_zone_suggests_a_close_one(write: Write, docs: dict[str, Any]) -> None:
    acme(docs)["locations"][1]["timeZone"] = "Europe/Berln"
    assert (
        only(write, docs).message
        == "unknown time zone 'Europe/Berln' (did you mean 'Europe/Berlin'?)"
    )


@pytest.mark.parametrize(
    ("country", "expected"),
    [
        ("CA", None),
        ("XX", "address.country: unknown country code 'XX'"),
        ("usa", "address.country: 'usa' must be an ISO 3166-1 alpha-2 code such as US or DE"),
    ],
)
def test_country_is_iso_alpha2(
    write: Write, docs: dict[str, Any], country: str, expected: str | None
) -> None:
    acme(docs)["address"]["country"] = country
    found = messages(write, docs)
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1
        assert (
            found[0]
            .replace("address.country: ", "address.country: ")
            .startswith(
                expected.removeprefix("address.country: ") if "unknown" in expected else expected
            )
        )


def test_norway_is_a_country_not_false(write: Write, docs: dict[str, Any]) -> None:
    docs["customers/acme.yaml"] = yaml_text = (  # type: ignore[assignment]
        "kind: Customer\nexternalId: nor\nname: Nordic AS\nadminEmail: a@n.example\n"
        "template: basic\npackages: [webex_meetings]\n"
        "address: {line1: Karl Johans gate 1, city: Oslo, postalCode: 0154, country: NO}\n"
    )
    assert yaml_text
    customer = load_desired(write(docs)).customers["nor"]
    assert customer.address.country == "NO"
    assert customer.address.postal_code == "0154"


def test_country_defaults_to_the_template(write: Write, docs: dict[str, Any]) -> None:
    state = load_desired(write(docs))
    assert state.customers["acme"].address.country == "US"
    del docs["templates/basic.yaml"][0]["defaults"]["country"]  # type: ignore[index]
    assert (
        only(write, docs).message
        == "address has no country and template 'basic' has no defaults.country"
    )


def test_address_lines_at_most_50(write: Write, docs: dict[str, Any]) -> None:
    acme(docs)["address"]["line1"] = "x" * 50
    assert problems(write, docs) == []
    acme(docs)["address"]["line2"] = "y" * 51
    assert only(write, docs).message == "address.line2: longer than 50 characters (51)"


def test_location_name_at_most_80(write: Write, docs: dict[str, Any]) -> None:
    acme(docs)["locations"][1]["name"] = "L" * 80
    acme(docs)["users"][1]["location"] = "L" * 80
    assert problems(write, docs) == []
    acme(docs)["locations"][1]["name"] = "L" * 81
    found = messages(write, docs)
    assert "locations[1].name: longer than 80 characters (81)" in found


def test_customer_name_without_percent(write: Write, docs: dict[str, Any]) -> None:
    acme(docs)["name"] = "Acme 100% Corp"
    assert only(write, docs).message == "name: 'Acme 100% Corp' must not contain '%'"


def test_phone_number_is_e164(write: Write, docs: dict[str, Any]) -> None:
    acme(docs)["users"][1]["phoneNumber"] = "214-555-0101"
    message = only(write, docs).message
    assert (
        message
        == "users[1].phoneNumber: '214-555-0101' must be an E.164 number such as +14155550100"
    )


def test_unquoted_numbers_keep_their_text(write: Write, docs: dict[str, Any]) -> None:
    docs["users.yaml"] = (
        "kind: User\ncustomer: acme\nemail: z@acme.example\npackage: webex_calling\n"
        "phoneNumber: +12145550199\nextension: 0100\n"
    )
    user = load_desired(write(docs)).users[("acme", "z@acme.example")]
    assert (user.phone_number, user.extension) == ("+12145550199", "0100")


def test_location_without_time_zone_and_no_template_default(
    write: Write, docs: dict[str, Any]
) -> None:
    del docs["templates/basic.yaml"][0]["defaults"]["timeZone"]  # type: ignore[index]
    message = only(write, docs).message
    assert (
        message == "location 'Dallas' has no timeZone and template 'basic' has no defaults.timeZone"
    )


# --- envelope ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "ok"), [(None, True), ("reconciler/v1", True), ("reconciler/v2", False)]
)
def test_api_version(write: Write, docs: dict[str, Any], version: str | None, ok: bool) -> None:
    if version:
        acme(docs)["apiVersion"] = version
    found = messages(write, docs)
    if ok:
        assert found == []
    else:
        assert found == ["unsupported apiVersion 'reconciler/v2' (expected reconciler/v1)"]


def test_unknown_kind(write: Write, docs: dict[str, Any]) -> None:
    docs["x.yaml"] = [{"kind": "Costumer", "externalId": "a"}]
    message = only(write, docs).message
    assert message.startswith("unknown kind 'Costumer' (did you mean 'Customer'?)")


def test_missing_kind_and_non_mapping(write: Write, docs: dict[str, Any]) -> None:
    docs["x.yaml"] = "name: nothing\n---\n- a list\n"
    found = problems(write, docs)
    assert [(p.line, p.message.split(" (")[0]) for p in found] == [
        (1, "missing 'kind'"),
        (3, "a document must be a mapping with a 'kind'"),
    ]


def test_unknown_field_suggests_the_right_one(write: Write, docs: dict[str, Any]) -> None:
    acme(docs)["users"][1]["phone"] = "+12145550101"
    problem = only(write, docs)
    assert problem.message == "users[1]: unknown field 'phone' (did you mean 'phoneNumber'?)"


def test_wrong_type(write: Write, docs: dict[str, Any]) -> None:
    acme(docs)["packages"] = "webex_calling"
    assert only(write, docs).message == "packages: expected a list, got 'webex_calling'"


def test_nested_location_must_not_name_its_customer(write: Write, docs: dict[str, Any]) -> None:
    acme(docs)["locations"][1]["customer"] = "acme"
    assert only(write, docs).message == "locations[1]: unknown field 'customer'"


def test_previously_names_are_unambiguous(write: Write, docs: dict[str, Any]) -> None:
    locations = acme(docs)["locations"]
    locations[1]["previously"] = ["Austin Old", "Austin Older"]
    assert problems(write, docs) == []
    locations.append({"name": "Waco", "previously": "Austin Old"})
    assert (
        only(write, docs).message == "previously 'Austin Old' is also claimed by location 'Austin'"
    )
    locations[2]["previously"] = "Dallas"
    assert only(write, docs).message == "previously 'Dallas' is also the name of a current location"


# --- rules Partner Hub enforces across objects -------------------------------------------------


def test_a_phone_number_belongs_to_one_user(write: Write, docs: dict[str, Any]) -> None:
    acme(docs)["users"][0]["phoneNumber"] = "+12145550101"
    problem = only(write, docs)
    assert problem.message.startswith("phoneNumber +12145550101 is also the number of the user at ")
    assert problem.message.endswith("customers/acme.yaml:22:16")


def test_an_extension_belongs_to_one_user_per_location(write: Write, docs: dict[str, Any]) -> None:
    users = acme(docs)["users"]
    users[1]["extension"] = "1001"
    assert problems(write, docs) == []  # Ann is at Dallas (the headquarters), Bob at Austin
    users[1]["location"] = "Dallas"
    assert only(write, docs).message.startswith("extension 1001 is also the extension of the user")


def test_an_email_belongs_to_one_customer(write: Write, docs: dict[str, Any]) -> None:
    beta = {
        **copy.deepcopy(acme(docs)),
        "externalId": "beta",
        "adminEmail": "admin@beta.example",
        "users": [{"email": "BOB@acme.example", "package": "webex_meetings"}],
    }
    beta["packages"] = ["webex_meetings"]
    for key in ("locations", "headquarters"):
        beta.pop(key, None)
    docs["customers/beta.yaml"] = [beta]
    problem = only(write, docs)
    assert problem.message.startswith(
        "user 'bob@acme.example' is also a user of customer 'acme' at "
    )
    assert problem.message.endswith("an email belongs to one Webex organization")
    assert str(problem).split(":")[0].endswith("customers/beta.yaml")
    beta["users"][0]["state"] = "absent"
    assert problems(write, docs) == []


def test_location_names_differ_in_more_than_case(write: Write, docs: dict[str, Any]) -> None:
    acme(docs)["locations"].append({"name": "austin"})
    message = only(write, docs).message
    assert message.startswith("location 'austin' of customer 'acme' differs only in case from")


def test_a_customer_needs_a_package(write: Write, docs: dict[str, Any]) -> None:
    acme(docs)["packages"] = []
    acme(docs).pop("users")
    acme(docs).pop("headquarters")
    assert only(write, docs).message == (
        "customer 'acme' has no packages: Partner Hub needs at least one"
    )


@pytest.mark.parametrize("field", ["language", "preferredLanguage"])
def test_language_codes_use_an_underscore(write: Write, docs: dict[str, Any], field: str) -> None:
    target = acme(docs) if field == "language" else acme(docs)["locations"][1]
    target[field] = "fr-CA"
    assert only(write, docs).message == (
        "language 'fr-CA' must be written 'fr_CA' (Partner Hub takes {ISO-639-1}_{ISO-3166} or "
        "{ISO-639-1})"
    )


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda c: c.update(name="   "), "name: must not be blank"),
        (lambda c: c["address"].update(city=" "), "address.city: must not be blank"),
        (lambda c: c["locations"][1].update(name="  "), "locations[1].name: must not be blank"),
    ],
)
def test_names_and_address_lines_are_not_blank(
    write: Write, docs: dict[str, Any], edit: Any, message: str
) -> None:
    edit(acme(docs))
    found = messages(write, docs)
    assert message in found, found
