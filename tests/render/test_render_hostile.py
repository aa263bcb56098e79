"""A hostile estate (YAML values and live names made of Markdown, HTML, workflow commands and
escape sequences, and a 70,000-character value) planned through the CLI in every format: no
output line starts a workflow command, no control character reaches the output, and the
Markdown, rendered by GitHub's own cmark-gfm, has no element that came from data."""

from __future__ import annotations

import asyncio
import re
import unicodedata
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import cmarkgfm
import pytest
from admin_client import sandbox_admin
from click.testing import CliRunner
from cmarkgfm.cmark import Options

from reconciler.cli import cli
from reconciler.plan import Plan
from reconciler.workflow.connect import SandboxTarget, open_client

ESTATE = Path(__file__).parent / "hostile-estate"
EXT = "x</details><img src=x>@org/team"
LONG = "<b>" + "A" * 70_000 + "</b>"
LIVE_NAMES = [
    "live\n::error file=a,line=1::LIVE\n::add-mask::Plan",
    "\x1b]52;c;SGVsbG8=\x07\x1b[2K\x1b[1Aerased",
    "[x](javascript:alert(1)) ![i](https://evil.example/p.png) <img src=x> @octocat #1",
    "## heading\n\n</details>\n\n<details><summary>forged",
    "::stop-commands::t",
    LONG,
]
#: Tags the Markdown renderer writes itself; anything else came from data.
OWN_TAGS = {
    "h3",
    "h4",
    "p",
    "code",
    "pre",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "ul",
    "li",
    "blockquote",
    "strong",
    "details",
    "summary",
}


def leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in leaves(v)]
    return [value]


def seed_body() -> dict[str, Any]:
    address = {"addressLine1": LIVE_NAMES[1], "city": LIVE_NAMES[2], "country": "US"}
    return {
        "templates": [{"name": "std", "provisioningId": "PID-HOSTILE"}],
        "customers": [
            {
                "externalId": EXT,
                "name": LIVE_NAMES[0],
                "packages": ["webex_calling"],
                "address": address,
                "locations": [
                    {"name": name, "calling": i == 0} for i, name in enumerate(LIVE_NAMES)
                ],
                "subscribers": [
                    {
                        "email": "ann@hostile.example",
                        "package": "webex_calling",
                        "lastName": LIVE_NAMES[3],
                        "extension": "1001",
                    },
                    {
                        "email": "evil\n::add-mask::x@hostile.example",
                        "package": "webex_meetings",
                        "firstName": LIVE_NAMES[3],
                    },
                ],
            },
            {
                "externalId": "\x1b]52;c;eA==\x07\n::warning::FOREIGN @admins",
                "packages": ["webex_meetings"],
                "address": {"addressLine1": "1 Elsewhere", "city": "Oslo", "country": "NO"},
            },
        ],
    }


async def seed(db: str) -> None:
    async with open_client(SandboxTarget(db=db), read_only=False) as client:
        await sandbox_admin(client, "POST", "/seed", seed_body())


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    db = str(tmp_path_factory.mktemp("hostile") / "sandbox.sqlite")
    asyncio.run(seed(db))
    out = {}
    for fmt in ("text", "markdown", "json"):
        result = CliRunner().invoke(
            cli,
            ["plan", str(ESTATE), "--sandbox", db, "--format", fmt, "--force"],
            env={"RECONCILER_SANDBOX": None, "WEBEX_API_URL": None, "WEBEX_TOKEN": None},
        )
        assert result.exit_code == 0, result.output
        out[fmt] = result.stdout
    return out


def test_the_plan_carries_the_hostile_data(outputs: dict[str, str]) -> None:
    plan = Plan.from_json(outputs["json"])
    addresses = {c.address for c in plan.changes} | {n.address for n in plan.unmanaged}
    assert f"customer/{EXT}" in addresses
    assert any("\n::add-mask::" in a for a in addresses)
    assert any(LONG in a for a in addresses)  # the 70,000-character live location name
    befores = [leaf for c in plan.changes for f in c.fields for leaf in leaves(f.before)]
    assert LIVE_NAMES[1] in befores  # the live address
    assert LIVE_NAMES[3] in befores  # the live last name


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_no_line_is_a_workflow_command(outputs: dict[str, str], fmt: str) -> None:
    for line in outputs[fmt].splitlines():
        stripped = line.strip()
        assert not stripped.startswith("::"), line[:200]
        assert "##[" not in line or fmt == "json", line[:200]


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_no_control_or_invisible_character_reaches_the_output(
    outputs: dict[str, str], fmt: str
) -> None:
    unsafe = {
        c for c in outputs[fmt] if c != "\n" and unicodedata.category(c) in ("Cc", "Zl", "Zp")
    }
    assert unsafe == set()
    assert "\u202e" not in outputs[fmt]
    assert "\\x1b]52;c;" in outputs[fmt]  # shown, visibly


def test_text_shows_every_value_on_its_own_line(outputs: dict[str, str]) -> None:
    text = outputs["text"]
    assert "live\\x0a::error file=a,line=1::LIVE" in text
    assert LONG in text  # kept whole, not cut
    assert "#\\x23[error]v1 command" in text


def test_markdown_cuts_the_long_value_instead_of_breaking(outputs: dict[str, str]) -> None:
    md = outputs["markdown"]
    assert len(md) < 60_000
    assert "A" * 1000 not in md
    assert "unmanaged entries not shown" in md


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: Counter[str] = Counter()
        self.text: list[str] = []
        self._code = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        self._code += tag in ("code", "pre")

    def handle_endtag(self, tag: str) -> None:
        self._code -= tag in ("code", "pre")

    def handle_data(self, data: str) -> None:
        if not self._code:
            self.text.append(data)


def test_markdown_creates_no_element_from_data(outputs: dict[str, str]) -> None:
    md = outputs["markdown"]
    html = cmarkgfm.github_flavored_markdown_to_html(md, options=Options.CMARK_OPT_UNSAFE)
    parser = Tags()
    parser.feed(html)
    assert set(parser.tags) <= OWN_TAGS, set(parser.tags) - OWN_TAGS
    sections = md.count("\n<details><summary>")
    assert sections >= 1
    assert parser.tags["details"] == parser.tags["summary"] == sections
    prose = "".join(parser.text)
    assert not re.search(r"(?<![\w`])@[A-Za-z0-9]", prose)  # no mention
    assert not re.search(r"(?<![\w&])#\d", prose)  # no issue reference
    assert "x</details><img src=x>@\u200borg/team: 5 change(s)" in prose  # the summary, as text


def test_markdown_code_spans_hold_the_whole_address(outputs: dict[str, str]) -> None:
    html = cmarkgfm.github_flavored_markdown_to_html(outputs["markdown"])
    forged = "## heading\\x0a\\x0a&lt;/details&gt;\\x0a\\x0a&lt;details&gt;&lt;summary&gt;forged"
    assert f"<code>location/x&lt;/details&gt;&lt;img src=x&gt;@org/team/{forged}</code>" in html
