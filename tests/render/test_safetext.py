"""``reconciler.safetext``: each sink's function, checked against the sink's own rules (GitHub's
cmark-gfm for Markdown, the runner's command grammar for workflow commands)."""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

import cmarkgfm
from cmarkgfm.cmark import Options
from hypothesis import given
from hypothesis import strategies as st

from reconciler.safetext import (
    actions_log,
    command_property,
    command_value,
    html_text,
    log_line,
    md_code,
    md_fence,
    md_text,
    terminal,
    workflow_command,
)

#: Text that leans on every sink's special characters.
hostile = st.text(
    st.sampled_from(
        list("`*_[]()<>!#@|~&$:=\\/%,.-+ \n\r\t\x1b\x07\x00\x7f\x9b\u202e\u200b\u2028aZ9é")
    )
    | st.characters(),
    max_size=60,
)
UNSAFE = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}


class Parsed(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: dict[str, str] = {}
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        where = self._open[-1] if self._open else ""
        self.text[where] = self.text.get(where, "") + data


def rendered(markdown: str) -> Parsed:
    parser = Parsed()
    # raw HTML kept, as GitHub keeps <details>: any tag from data would show
    parser.feed(
        cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    )
    return parser


def test_terminal_shows_escape_sequences_visibly() -> None:
    assert terminal("a\x1b]52;c;SGk=\x07b") == "a\\x1b]52;c;SGk=\\x07b"
    assert terminal("\x1b[2K\x1b[1A\r") == "\\x1b[2K\\x1b[1A\\x0d"
    assert (
        terminal("\x9b31m \u202egnp.exe \u2028 \u200b") == "\\x9b31m \\u202egnp.exe \\u2028 \\u200b"
    )
    assert terminal("Léa Fournier 😀") == "Léa Fournier 😀"
    assert terminal("x ##[add-mask]y") == "x #\\x23[add-mask]y"


@given(hostile)
def test_terminal_output_is_one_safe_line(text: str) -> None:
    safe = terminal(text)
    assert not {unicodedata.category(c) for c in safe} & UNSAFE
    assert "##[" not in safe
    if not {unicodedata.category(c) for c in text} & UNSAFE and "##[" not in text:
        assert safe == text


def test_log_line_cannot_start_a_command() -> None:
    assert log_line("::error file=x::y") == "\\x3a:error file=x::y"
    assert log_line("  ::warning::y") == "  \\x3a:warning::y"
    assert log_line("a.yaml:1:2: x") == "a.yaml:1:2: x"


@given(hostile)
def test_code_span_cannot_be_broken_out_of(text: str) -> None:
    page = rendered(f"x {md_code(text)} y")
    assert page.tags == ["p", "code"]
    expected = terminal(text) or " "
    assert page.text["code"] == expected


@given(hostile)
def test_code_span_in_a_table_cell_stays_in_its_cell(text: str) -> None:
    page = rendered(f"| a | b |\n|---|---|\n| {md_code(text, in_table=True)} | z |\n")
    assert page.tags.count("td") == 2
    assert page.tags.count("code") == 1
    assert page.text["code"] == (terminal(text) or " ")


@given(hostile)
def test_markdown_text_renders_as_text_only(text: str) -> None:
    page = rendered(f"x {md_text(text)} y")
    assert page.tags == ["p"]
    shown = page.text["p"].replace("\u200b", "")
    assert shown == f"x {terminal(text)} y".strip()
    assert not re.search(r"@[A-Za-z0-9]", page.text["p"])  # no mention can form
    assert not re.search(r"#[0-9]", page.text["p"])  # no issue reference


def test_markdown_text_neutralizes_known_attacks() -> None:
    for attack in [
        "</details><img src=x onerror=alert(1)>",
        "[click](https://evil.example) ![i](x.png) **b** _i_ ~~s~~ `c` $x$",
        "www.evil.example https://evil.example a@b.example :smile: @org/team #12 &amp;",
    ]:
        page = rendered(md_text(attack))
        assert page.tags == ["p"], attack


@given(hostile)
def test_html_text_stays_text_inside_a_summary(text: str) -> None:
    page = rendered(f"<details><summary>{html_text(text)}</summary>\n\nbody\n\n</details>\n")
    assert page.tags == ["details", "summary", "p"]
    assert page.text.get("summary", "").replace("\u200b", "") == terminal(text)


@given(st.text(st.sampled_from(list("`a\n ")), max_size=30))
def test_fenced_block_cannot_be_closed_from_inside(body: str) -> None:
    page = rendered(md_fence(body, "diff") + "\n\nafter\n")
    assert page.tags[:2] == ["pre", "code"]
    assert page.tags.count("pre") == 1


def unescape_value(text: str) -> str:
    """The runner's unescaping of a command's data (``%0D``, ``%0A``, ``%25``)."""
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def unescape_property(text: str) -> str:
    return (
        text.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
    )


def parse_command(line: str) -> tuple[str, dict[str, str], str]:
    """A ``::name k=v,…::data`` line as the runner splits it."""
    assert line.startswith("::")
    head, sep, data = line[2:].partition("::")
    assert sep
    name, _, props = head.partition(" ")
    properties = {}
    for pair in props.split(",") if props else []:
        key, _, value = pair.partition("=")
        properties[key] = unescape_property(value)
    return name, properties, unescape_value(data)


@given(message=hostile, file=hostile, title=hostile)
def test_workflow_command_round_trips_and_is_one_line(message: str, file: str, title: str) -> None:
    line = workflow_command("error", message, file=file, line=3, title=title)
    assert "\n" not in line
    assert "\r" not in line
    assert parse_command(line) == ("error", {"file": file, "line": "3", "title": title}, message)


def test_command_escapes_follow_github() -> None:
    assert command_value("50%\r\nx") == "50%25%0D%0Ax"
    assert command_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def run_log(log: str) -> list[str]:
    """The commands GitHub's runner would run from ``log``: lines end at CR, LF or CRLF; a
    ``::`` command must start the line (after spaces), a ``##[`` one may be anywhere; after
    ``::stop-commands::T`` nothing runs until ``::T::``."""
    ran: list[str] = []
    stop: str | None = None
    for line in re.split(r"\r\n|\r|\n", log):
        stripped = line.lstrip()
        if stop is not None:
            if stripped == f"::{stop}::":
                stop = None
                ran.append("resume")
            continue
        if stripped.startswith("::stop-commands::"):
            stop = stripped.removeprefix("::stop-commands::")
            ran.append("stop")
        elif stripped.startswith("::") or "##[" in line:
            ran.append(line)
    return ran


@given(hostile)
def test_actions_log_runs_no_command_from_the_text(text: str) -> None:
    assert run_log(actions_log(text)) == ["stop", "resume"]


def test_actions_log_pause_cannot_be_ended_by_the_text() -> None:
    text = "::add-mask::Plan\r::error::x\n##[set-output name=a]b\n::abc::\n"
    wrapped = actions_log(text, token="abc")
    assert "::stop-commands::abc\n" not in wrapped
    assert run_log(wrapped) == ["stop", "resume"]
    assert text in wrapped
