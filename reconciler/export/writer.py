"""Writing an export: YAML text for each document, and the output directory handled safely.

- Text is deterministic: keys in the order the document gives them, block style, sequences
  indented under their key (as the example desired-state is written), UTF-8 as is, and strings
  that YAML would read as something else (``'02138'``, ``'+12065550101'``, ``'NO'``) quoted.
  The documents are plain mappings, lists and strings, so a small emitter writes them (a
  generic YAML dumper costs milliseconds per customer file); the scalar rules are checked
  against PyYAML's loader property by property in the tests.
- The file starts with the ``yaml-language-server`` modeline for its kind's JSON Schema and
  the document's comment lines.
- The output directory must be empty (or absent) unless ``force``; each file is written to a
  hidden temporary file beside it and renamed over the target, so a file is never half
  written. Failures are one :class:`ConfigError` naming the path.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from reconciler.errors import ConfigError, UsageError
from reconciler.export.documents import ExportFile

#: The implicit types a YAML 1.1 loader gives plain scalars (ints, floats, booleans, nulls,
#: timestamps, ``<<``…), by first character: a string matching one of them is quoted.
_IMPLICIT = yaml.SafeLoader.yaml_implicit_resolvers


#: Quoted as well: what a YAML 1.2 loader (e.g. an editor's) might read as a number
#: (``0o17``, ``1e3``, ``0x1F``) though YAML 1.1 does not.
_NUMBERISH = re.compile(r"[0-9][0-9A-Za-z._+-]*")


def _plain_ok(text: str) -> bool:
    if not text or not text[0].isalnum() or text != text.strip():
        return False
    if _NUMBERISH.fullmatch(text):
        return False
    if not text.isprintable() or ":" in text or "#" in text:
        return False
    return not any(regexp.match(text) for _, regexp in _IMPLICIT.get(text[0], ()))


def _double_quoted(text: str) -> str:
    out = []
    for ch in text:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) <= 0xFF:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def scalar(value: Any) -> str:
    """One scalar as YAML text that every YAML 1.1 or 1.2 loader reads back as ``value``:
    plain when unambiguous (a letter or digit first, printable, no ``:`` or ``#``, and not
    an implicit number, boolean, null or date), else single-quoted, else (non-printable
    characters) double-quoted with escapes."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, str):
        raise TypeError(f"cannot write {type(value).__name__} to YAML")
    return _text(value)


@functools.lru_cache(maxsize=1 << 16)
def _text(value: str) -> str:
    if _plain_ok(value):
        return value
    if value.isprintable():
        return "'" + value.replace("'", "''") + "'"
    return _double_quoted(value)


def _block(value: Any, indent: int, lines: list[str]) -> None:
    """Append ``value`` (a mapping or a sequence) in block style at ``indent`` spaces."""
    pad = " " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            head = f"{pad}{scalar(key)}:"
            if isinstance(item, dict | list) and item:
                lines.append(head)
                _block(item, indent + 2, lines)
            elif isinstance(item, dict | list):
                lines.append(f"{head} {'{}' if isinstance(item, dict) else '[]'}")
            else:
                lines.append(f"{head} {scalar(item)}")
        return
    for item in value:
        if isinstance(item, dict) and item:
            nested: list[str] = []
            _block(item, indent + 2, nested)
            lines.append(f"{pad}- {nested[0][indent + 2 :]}")
            lines.extend(nested[1:])
        elif isinstance(item, list) and item:
            lines.append(f"{pad}-")
            _block(item, indent + 2, lines)
        elif isinstance(item, dict | list):
            lines.append(f"{pad}- {'{}' if isinstance(item, dict) else '[]'}")
        else:
            lines.append(f"{pad}- {scalar(item)}")


def render(document: ExportFile) -> str:
    """The file text of one document."""
    lines = [f"# yaml-language-server: $schema={document.schema}"]
    for comment in document.comments:
        lines.append("# " + " ".join(comment.split()))
    _block(document.data, 0, lines)
    return "\n".join(lines) + "\n"


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def prepare(out: Path, *, force: bool) -> bool:
    """Make sure ``out`` can take the export; True when this call created it.

    Refuses a file, a non-empty directory without ``force`` (``UsageError``), and a place
    that cannot be written (``ConfigError``).
    """
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file, not a directory")
    if out.is_dir() and not force:
        try:
            occupied = any(out.iterdir())
        except OSError as exc:
            raise ConfigError(f"cannot read --out {out}: {_reason(exc)}") from None
        if occupied:
            raise UsageError(
                f"--out {out} is not empty: choose an empty or new directory, or use --force "
                "to write into it (exported files are replaced, other files are left as they are)"
            )
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise ConfigError(f"cannot write to --out {out}: {_reason(exc)}") from None
    return created


def write_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all (temporary file, then rename)."""
    tmp: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        tmp = Path(name)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        tmp.replace(path)
    except OSError as exc:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise ConfigError(f"cannot write {path}: {_reason(exc)}") from None


def write_documents(out: Path, documents: Iterable[ExportFile]) -> list[Path]:
    """Write every document below ``out``; the paths written, in order."""
    written = []
    for document in documents:
        path = out / document.path
        write_file(path, render(document))
        written.append(path)
    return written


def other_yaml_files(out: Path, written: Iterable[Path]) -> list[Path]:
    """YAML files below ``out`` that this export did not write (``validate`` and ``plan``
    read them too), hidden folders skipped as the loader skips them."""
    mine = {p.resolve() for p in written}
    found = []
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.suffix in (".yaml", ".yml") and path.is_file() and path.resolve() not in mine:
            found.append(path)
    return found
