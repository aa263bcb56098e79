"""The loader: which files, multi-document files, positions, safe loading, syntax errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.desired import check_directory, load_desired
from reconciler.desired.yamlio import parse
from reconciler.errors import ConfigError, ValidationFailed
from reconciler.model import Settings, Source

Write = Callable[[dict[str, Any]], Path]

TEMPLATE = "kind: Template\nname: {name}\n"


def test_reads_yaml_and_yml_recursively_and_skips_hidden_folders(write: Write) -> None:
    root = write(
        {
            "a.yaml": TEMPLATE.format(name="a"),
            "deep/er/b.yml": TEMPLATE.format(name="b"),
            ".hidden/c.yaml": TEMPLATE.format(name="c"),
            "deep/.git/d.yaml": TEMPLATE.format(name="d"),
            ".e.yaml": TEMPLATE.format(name="e"),
            "notes.txt": "kind: nonsense",
            "f.json": "{}",
        }
    )
    assert set(load_desired(root).templates) == {"a", "b"}
    assert check_directory(root).files == 2


def test_multi_document_files_and_empty_documents(write: Write) -> None:
    root = write(
        {
            "all.yaml": "---\n"
            + TEMPLATE.format(name="a")
            + "---\n---\n"
            + TEMPLATE.format(name="b")
            + "...\n"
        }
    )
    state = load_desired(root)
    assert set(state.templates) == {"a", "b"}
    assert state.templates["b"].source == Source(str(root / "all.yaml"), 6, 1)


def test_empty_directory_is_an_error_unless_settings_allow_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=f"^no objects found under {tmp_path} "):
        load_desired(tmp_path)
    (tmp_path / "settings.yaml").write_text("kind: Settings\nallowEmpty: true\n")
    state = load_desired(tmp_path)
    assert (state.templates, state.customers, state.settings) == ({}, {}, Settings())


def test_missing_directory_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such directory"):
        load_desired(tmp_path / "nope")
    (tmp_path / "file.yaml").write_text("{}")
    with pytest.raises(ConfigError, match="not a directory"):
        load_desired(tmp_path / "file.yaml")


def test_sources_point_at_each_nested_object(write: Write, docs: dict[str, Any]) -> None:
    docs["customers/acme.yaml"] = (
        "# a comment\n"
        "kind: Customer\n"
        "externalId: acme\n"
        "name: Acme\n"
        "adminEmail: a@acme.example\n"
        "template: basic\n"
        "address: {line1: 1 Main St, city: Dallas}\n"
        "headquarters: HQ\n"
        "locations:\n"
        "  - name: HQ\n"
        "users:\n"
        "  - email: a@acme.example\n"
        "    package: webex_calling\n"
        "    extension: '100'\n"
    )
    root = write(docs)
    state = load_desired(root)
    file = str(root / "customers" / "acme.yaml")
    assert state.customers["acme"].source == Source(file, 2, 1)
    assert state.locations[("acme", "HQ")].source == Source(file, 10, 5)
    assert state.users[("acme", "a@acme.example")].source == Source(file, 12, 5)


def test_file_names_are_shown_joined_to_the_directory_as_given(
    write: Write, docs: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write(docs)
    monkeypatch.chdir(root.parent)
    state = load_desired(Path(root.name))
    assert state.customers["acme"].source is not None
    assert state.customers["acme"].source.file == "estate/customers/acme.yaml"


def test_yaml_syntax_error_has_a_position_and_other_files_still_count(
    write: Write, docs: dict[str, Any]
) -> None:
    docs["broken.yaml"] = TEMPLATE.format(name="ok") + "---\nkind: Template\nname: [unclosed\n"
    docs["users.yaml"] = [
        {"kind": "User", "customer": "nobody", "email": "x@y.example", "package": "webex_meetings"}
    ]
    found = check_directory(write(docs)).problems
    assert [(Path(p.file).name, p.line) for p in found] == [("broken.yaml", 5), ("users.yaml", 1)]
    assert found[0].message.startswith("YAML syntax error: while parsing a flow sequence")
    assert found[1].message == "unknown customer 'nobody'"


def test_tabs_and_bad_indentation_are_syntax_errors(write: Write) -> None:
    found = check_directory(write({"a.yaml": "kind: Template\n\tname: x\n"})).problems
    assert len(found) == 1
    assert found[0].message.startswith("YAML syntax error")


def test_only_safe_tags(write: Write) -> None:
    root = write(
        {
            "a.yaml": "kind: Template\nname: !!python/object/apply:os.system [echo hi]\n",
            "b.yaml": "kind: Template\nname: !!python/name:os.system\n",
        }
    )
    found = check_directory(root).problems
    assert [(Path(p.file).name, p.line, p.col) for p in found] == [
        ("a.yaml", 2, 7),
        ("b.yaml", 2, 7),
    ]
    assert found[0].message == "unsupported tag 'tag:yaml.org,2002:python/object/apply:os.system'"


def test_not_utf8_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "latin1.yaml").write_bytes("kind: Template\nname: caf\xe9\n".encode("latin-1"))
    found = check_directory(tmp_path).problems
    assert [p.message.split(" (")[0] for p in found] == ["not UTF-8 text"]


def test_duplicate_keys_are_found_at_every_depth() -> None:
    _, found = parse("a:\n  b: 1\n  b: 2\nc: [{d: 1, d: 2}]\n", "f.yaml", frozenset())
    assert [(p.line, p.col, p.message) for p in found] == [
        (3, 3, "duplicate key 'b' (first given at line 2)"),
        (4, 12, "duplicate key 'd' (first given at line 4)"),
    ]


def test_only_true_and_false_are_booleans() -> None:
    docs, _ = parse("a: yes\nb: NO\nc: true\nd: off\n", "f.yaml", frozenset())
    assert docs[0].data == {"a": "yes", "b": "NO", "c": True, "d": "off"}


def test_string_fields_keep_the_text_of_plain_scalars() -> None:
    text = "extension: 0100\nphoneNumber: +4930123456\nother: 0100\nnone: ~\nquoted: '7'\n"
    docs, _ = parse(text, "f.yaml", frozenset({"extension", "phoneNumber", "none"}))
    assert docs[0].data == {
        "extension": "0100",
        "phoneNumber": "+4930123456",
        "other": 64,
        "none": None,
        "quoted": "7",
    }


def test_anchors_and_merge_keys(write: Write, docs: dict[str, Any]) -> None:
    docs["customers/acme.yaml"] = (
        "kind: Customer\nexternalId: acme\nname: Acme\nadminEmail: a@acme.example\n"
        "template: basic\nheadquarters: HQ\n"
        "address: &hq {line1: 1 Main St, city: Dallas, state: TX}\n"
        "locations:\n  - name: HQ\n    address: {<<: *hq, postalCode: '75201'}\n"
    )
    state = load_desired(write(docs))
    address = state.locations[("acme", "HQ")].address
    assert address is not None
    assert (address.line1, address.state, address.postal_code) == ("1 Main St", "TX", "75201")


def test_validation_failed_lists_every_problem_sorted(write: Write, docs: dict[str, Any]) -> None:
    docs["b.yaml"] = [{"kind": "Nope"}]
    docs["a.yaml"] = [{"kind": "Template"}]
    with pytest.raises(ValidationFailed) as caught:
        load_desired(write(docs))
    problems = caught.value.problems
    assert [Path(p.file).name for p in problems] == ["a.yaml", "b.yaml"]
    assert str(caught.value).count("\n") == 1


def test_positions_in_a_file_that_breaks_later(write: Write) -> None:
    """A problem in an early document still points right when a later one is malformed."""
    root = write(
        {
            "a.yaml": "kind: Template\nname: a\n---\n# two\nkind: Template\nname: b\n"
            "defaults: {timeZone: Mars/Base}\n---\nkind: 'unclosed\n"
        }
    )
    found = check_directory(root).problems
    assert [(p.line, p.col, p.message.split(" (")[0]) for p in found] == [
        (7, 22, "unknown time zone 'Mars/Base'"),
        (
            9,
            7,
            "YAML syntax error: while scanning a quoted scalar, found unexpected end of stream",
        ),
    ]


def test_keys_point_at_the_key_and_values_at_the_value(write: Write, docs: dict[str, Any]) -> None:
    docs["customers/acme.yaml"][0]["users"][1]["colour"] = "blue"
    docs["customers/acme.yaml"][0]["users"][1]["package"] = "webex_bogus"
    root = write(docs)
    found = check_directory(root).problems
    lines = (root / "customers/acme.yaml").read_text().splitlines()
    colour = next(p for p in found if "colour" in p.message)
    bogus = next(p for p in found if "webex_bogus" in p.message)
    assert lines[colour.line - 1][colour.col - 1 :].startswith("colour:")
    assert lines[bogus.line - 1][bogus.col - 1 :] == "webex_bogus"


def test_a_duplicate_key_does_not_hide_other_problems_of_its_document(write: Write) -> None:
    root = write({"t.yaml": "kind: Template\nname: a\nname: b\ncolour: red\n"})
    found = check_directory(root).problems
    assert [(p.line, p.message) for p in found] == [
        (3, "duplicate key 'name' (first given at line 2)"),
        (4, "unknown field 'colour'"),
    ]
    assert check_directory(write({"t.yaml": "kind: Template\nname: a\nname: b\n"})).problems
