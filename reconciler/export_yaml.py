"""Writing an export: YAML text for each document, and the output directory handled safely.

- Text is deterministic: keys in the order the document gives them, block style, sequences
  indented under their key (as the example desired-state is written), UTF-8 as is, and strings
  that YAML would read as something else (``'02138'``, ``'+12065550101'``, ``'NO'``) quoted.
- The file starts with the ``yaml-language-server`` modeline for its kind's JSON Schema and
  the document's comment lines.
- The output directory must be empty (or absent) unless ``force``; each file is written to a
  hidden temporary file beside it and renamed over the target, so a file is never half
  written. Failures are one :class:`ConfigError` naming the path.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from reconciler.errors import ConfigError, UsageError
from reconciler.export import Document


class _Dumper(yaml.SafeDumper):
    """Safe dumping, with block sequences indented under their mapping key."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> Any:
        return super().increase_indent(flow, False)


def render(document: Document) -> str:
    """The file text of one document."""
    lines = [f"# yaml-language-server: $schema={document.schema}"]
    for comment in document.comments:
        lines.append("# " + " ".join(comment.split()))
    body = yaml.dump(
        document.data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=4096,
    )
    return "\n".join(lines) + "\n" + body


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


def write_documents(out: Path, documents: Iterable[Document]) -> list[Path]:
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
