"""The JSON Schemas: valid draft 2020-12, strict, documented, in step with the official spec."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from reconciler.desired import schemas

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SCHEMAS = ROOT / "schemas"
OPENAPI = ROOT / "tests" / "openapi" / "webex-wholesale.json"
KIND_FILES = sorted(f"{name}.schema.json" for name in schemas.KINDS.values())


def load(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / name).read_text())  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", [*KIND_FILES, "desired-state.schema.json"])
def test_schema_is_valid_draft_2020_12(name: str) -> None:
    schema = load(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def objects(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        if node.get("type") == "object":
            yield path, node
        for key, value in node.items():
            yield from objects(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from objects(value, f"{path}/{i}")


@pytest.mark.parametrize("name", KIND_FILES)
def test_every_object_is_closed_and_every_property_described(name: str) -> None:
    for path, obj in objects(load(name)):
        if path.endswith(("/email", "/calling")):  # partnerHub label → value maps
            assert obj["additionalProperties"] == {"type": ["string", "boolean", "number"]}
            continue
        assert obj.get("additionalProperties") is False, f"{name}{path} is open"
        for prop, sub in obj["properties"].items():
            described = "description" in sub or sub.get("$ref", "").startswith("#/$defs/address")
            assert described, f"{name}{path}/{prop} has no description"


def test_package_enums_are_the_official_ones() -> None:
    spec = json.loads(OPENAPI.read_text()) if OPENAPI.exists() else None
    if spec is None:
        pytest.skip("official OpenAPI file not present")
    official = spec["components"]["schemas"]
    customer = load("customer.schema.json")["$defs"]
    assert customer["customerPackage"]["enum"] == official["WholesalePackagesCustomer"]["enum"]
    assert customer["subscriberPackage"]["enum"] == official["WholesalePackagesSubscriber"]["enum"]
    assert load("template.schema.json")["$defs"]["customerPackage"] == customer["customerPackage"]
    assert load("user.schema.json")["$defs"]["subscriberPackage"] == customer["subscriberPackage"]


@pytest.mark.parametrize("kind", ["location", "user"])
def test_nested_definitions_match_the_standalone_kinds(kind: str) -> None:
    nested = load("customer.schema.json")["$defs"][kind]
    standalone = load(f"{kind}.schema.json")
    own = {
        k: v
        for k, v in standalone["properties"].items()
        if k not in ("apiVersion", "kind", "customer")
    }
    assert nested["properties"] == own
    assert set(standalone["required"]) - {"kind", "customer"} == set(nested["required"])
    assert nested.get("if") == standalone.get("if")
    assert (
        load("customer.schema.json")["$defs"]["address"]
        == load("location.schema.json")["$defs"]["address"]
    )


def test_the_package_ships_the_same_schemas() -> None:
    shipped = resources.files("reconciler") / "schemas"
    for name in [*KIND_FILES, "desired-state.schema.json"]:
        assert json.loads((shipped / name).read_text()) == load(name)


def editor_validator() -> Draft202012Validator:
    """Resolve relative ``$ref``s against the files, as an editor does."""
    base = SCHEMAS.as_uri() + "/"
    registry: Registry[Any] = Registry().with_resources(
        (base + p.name, DRAFT202012.create_resource(json.loads(p.read_text())))
        for p in SCHEMAS.glob("*.schema.json")
    )
    return Draft202012Validator({"$ref": base + "desired-state.schema.json"}, registry=registry)


def test_example_documents_satisfy_the_editor_schema() -> None:
    validator = editor_validator()
    count = 0
    for path in sorted((ROOT / "desired-state").rglob("*.y*ml")):
        for doc in yaml.safe_load_all(path.read_text()):
            errors = [e.message for e in validator.iter_errors(doc)]
            assert errors == [], f"{path}: {errors}"
            count += 1
    assert count > 20


def test_the_editor_schema_picks_the_kind() -> None:
    validator = editor_validator()
    assert not validator.is_valid({"kind": "Template", "name": "x", "extra": 1})
    assert validator.is_valid({"kind": "Template", "name": "x"})
    assert not validator.is_valid({"kind": "Spaceship"})


def test_example_files_name_their_schema_for_editors() -> None:
    for path in sorted((ROOT / "desired-state").rglob("*.yaml")):
        first = path.read_text().splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), path
        target = (path.parent / first.split("=", 1)[1]).resolve()
        assert target.parent == SCHEMAS, path
        assert target.exists(), path


def test_string_fields_are_derived_from_the_schemas() -> None:
    fields = schemas.string_fields()
    assert {"phoneNumber", "extension", "postalCode", "externalId", "country", "name"} <= fields
    assert not {"prune", "concurrency", "email", "users"} & fields


def mutations(doc: Any, rnd: random.Random) -> Iterator[Any]:
    """Small random breakages of a valid document: drop, retype, add, or empty a value."""
    replacements: list[Any] = [None, 7, 2.5, True, "", "x" * 90, [], {}, ["a"], {"a": 1}, "%"]
    for _ in range(40):
        copy_ = json.loads(json.dumps(doc))
        node = copy_
        while True:
            keys = list(node) if isinstance(node, dict) else list(range(len(node)))
            if not keys:
                break
            key = rnd.choice(keys)
            child = node[key]
            if isinstance(child, dict | list) and child and rnd.random() < 0.6:
                node = child
                continue
            action = rnd.random()
            if action < 0.25 and isinstance(node, dict):
                del node[key]
            elif action < 0.4 and isinstance(node, dict):
                node["unexpected"] = 1
            else:
                node[key] = rnd.choice(replacements)
            break
        yield copy_


def test_fast_and_detailed_engines_agree() -> None:
    """The fast check lets a document through only when jsonschema finds nothing either."""
    rnd = random.Random(7)
    corpus = [
        doc
        for path in sorted(
            [*(ROOT / "desired-state").rglob("*.yaml"), *(HERE / "broken").rglob("*.y*ml")]
        )
        for doc in _safe_docs(path)
    ]
    checked = 0
    for doc in corpus:
        kind = doc.get("kind") if isinstance(doc, dict) else None
        if kind not in schemas.KINDS:
            continue
        for variant in [doc, *mutations(doc, rnd)]:
            fast_ok = schemas.passes(kind, variant)
            assert fast_ok == schemas.validator(kind).is_valid(variant), variant
            checked += 1
    assert checked > 1000


def _safe_docs(path: Path) -> list[Any]:
    try:
        return [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]
    except yaml.YAMLError:
        return []
