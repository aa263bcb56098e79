"""Untrusted text made safe for each place it is printed; pure.

Names, IDs, emails and messages come from YAML in a pull request or from Partner Hub, where a
customer's own admin may have typed them. Each sink has one function here:

- terminal and logs (:func:`terminal`): control characters, escape sequences (CSI cursor codes,
  OSC clipboard writes, C1 controls), Unicode format characters (bidirectional overrides,
  zero-width characters) and line separators are shown as visible escapes (``\\x1b``,
  ``\\u202e``), so a value is one line that moves no cursor and writes no clipboard, and
  the runner's legacy ``##[`` command marker is escaped too; :func:`log_line` for a whole line;
- Markdown (:func:`md_text`, :func:`md_code`, :func:`md_cell`, :func:`html_text`): ASCII
  punctuation backslash-escaped, so no emphasis, link, image or HTML comes from data; a code
  span fenced by a backtick run longer than any inside it, so it cannot be closed early;
  ``@`` and ``#`` followed by an invisible break, so no one is mentioned and no issue linked;
  text inside an HTML block (``<summary>``) entity-escaped;
- GitHub workflow commands (:func:`command_value`, :func:`command_property`,
  :func:`workflow_command`): escaped as GitHub's toolkit escapes them (``%``, ``\\r``, ``\\n``;
  in properties also ``:`` and ``,``);
- an Actions log (:func:`actions_log`): text wrapped in ``::stop-commands::TOKEN`` with a random
  token, so no line of it can act as a workflow command.
"""

from __future__ import annotations

import html
import re
import secrets
import unicodedata

#: General categories shown escaped: controls, format characters, line and paragraph
#: separators, surrogates, private use, unassigned.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
_SAFE_ASCII = re.compile(r"[\x20-\x7e]*")
#: A break GitHub's mention and issue-reference patterns do not cross; invisible.
_BREAK = "\u200b"
#: What can start or end a Markdown element mid-line: emphasis, code, links and images, HTML
#: and entities, tables, strikethrough, math, emoji shortcodes and autolinks (``http:``,
#: ``www.``). ``-``, ``.`` and the like only matter at the start of a line, and the text is
#: always one line placed after the tool's own prefix.
_MD_PUNCT = re.compile(r"([\\`*_{}\[\]()<>#+!|~&$:@=]|(?<=[wW]{3})\.)")


def _escape_char(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def terminal(text: str) -> str:
    """``text`` as one line without control or invisible characters (they become escapes).

    ``##[`` becomes ``#\x23[``: GitHub's runner takes a legacy workflow command from anywhere
    in a log line, and a plan printed in a terminal is also printed in an Actions log.
    """
    if not _SAFE_ASCII.fullmatch(text):
        text = "".join(
            _escape_char(c) if unicodedata.category(c) in _UNSAFE_CATEGORIES else c for c in text
        )
    return text.replace("##[", "#\\x23[")


def log_line(text: str) -> str:
    """A whole line of log output from data (``FILE:LINE: message``): :func:`terminal`, and a
    leading ``::`` escaped, so the line cannot be a workflow command either."""
    safe = terminal(text)
    stripped = safe.lstrip()
    if stripped.startswith("::"):
        safe = safe[: len(safe) - len(stripped)] + "\\x3a" + stripped[1:]
    return safe


def terminal_block(text: str) -> str:
    """Several lines: each made safe by :func:`terminal`; the line breaks kept."""
    return "\n".join(terminal(line) for line in text.split("\n"))


def _unlinked(text: str) -> str:
    return text.replace("@", "@" + _BREAK).replace("#", "#" + _BREAK)


def md_text(text: str) -> str:
    """Markdown text that renders as exactly ``text`` (visible escapes for controls) and
    creates no element: no emphasis, heading, list, link, image, HTML, mention or reference."""
    return _unlinked(_MD_PUNCT.sub(r"\\\1", terminal(text)))


def md_cell(text: str) -> str:
    """:func:`md_text` for a table cell (a ``|`` is already escaped there)."""
    return md_text(text)


def md_code(text: str, *, in_table: bool = False) -> str:
    """``text`` as an inline code span that nothing inside can close.

    The fence is one backtick longer than the longest run in ``text``; a leading or trailing
    backtick is padded with a space, as CommonMark strips one. In a table, ``|`` is escaped
    (GitHub splits cells before reading code spans).
    """
    body = terminal(text)
    if not body:
        return "` `"  # an empty span is two backticks as text; a space is the nearest
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * (longest + 1)
    if body.startswith("`") or body.endswith("`") or (body.startswith(" ") and body.strip()):
        body = f" {body} "
    if in_table:
        body = body.replace("|", "\\|")
    return f"{fence}{body}{fence}"


def html_text(text: str) -> str:
    """Text inside raw HTML (``<summary>…</summary>``): entity-escaped, one line, unlinked."""
    return html.escape(_unlinked(terminal(text)), quote=True)


def md_fence(body: str, info: str = "") -> str:
    """``body`` in a fenced code block whose fence no line of ``body`` can close."""
    longest = max((len(run) for run in re.findall(r"`{3,}", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{body}\n{fence}"


def command_value(text: str) -> str:
    """A workflow command's message, escaped as GitHub's toolkit does (``%``, CR, LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def command_property(text: str) -> str:
    """A workflow command's property value: as :func:`command_value`, and ``:`` and ``,``."""
    return command_value(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(name: str, message: str, **properties: str | int) -> str:
    """``::name key=value,…::message`` with every part escaped (``name`` is the tool's own)."""
    if not re.fullmatch(r"[a-z][a-z-]*", name):
        raise ValueError(f"not a workflow command name: {name!r}")
    props = ",".join(f"{key}={command_property(str(value))}" for key, value in properties.items())
    return f"::{name}{' ' + props if props else ''}::{command_value(message)}"


def actions_log(text: str, *, token: str | None = None) -> str:
    """``text`` for an Actions log: between ``::stop-commands::TOKEN`` and ``::TOKEN::``, so
    no line of it is run as a workflow command (``::add-mask::``, ``::error``, ``##[…]``).

    The token is random (``token`` only for tests) and never one that ``text`` contains, so
    the text cannot end the pause itself.
    """
    while token is None or token in text:
        token = secrets.token_hex(16)
    if not text.endswith("\n"):
        text += "\n"
    return f"::stop-commands::{token}\n{text}::{token}::\n"
