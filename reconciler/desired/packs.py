"""Cache entries kept many to a file: one *pack* per process that parsed files in a run.

One file per entry cost more than the parse it saved on a cold run: creating a file took 0.25 to
0.9 ms of CPU on the 2-core machines measured, 1 to 2 s for a 2,000-file estate, where writing
the same bytes to one file takes 20 ms. A pack is ``<cache>/<aa>/<sha256>.pack``: one line of
JSON, the index (``[[key, offset, length], ...]``), then the entries' bytes; it is written
whole or not at all, and read by its index, so a run decodes only the entries it uses.

Packs only add up, so when there are more than ``MAX_PACKS`` of them, or they hold more than
twice what the run used, the run writes the entries it used into one pack and removes the
others (a pack another run is reading was read whole already; a pack gone missing only costs
that run a parse).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Collection, Iterable
from pathlib import Path

import orjson

#: Packs kept before they are merged into one.
MAX_PACKS = 16
_SUFFIX = ".pack"


def write_atomically(path: Path, body: bytes) -> None:
    """Write ``path`` whole or not at all (two runs at once may write the same file); a
    cache that cannot be written only costs time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=".entry-")
        with os.fdopen(fd, "wb") as out:
            out.write(body)
        os.replace(name, path)
    except OSError:
        return


def write_pack(cache: Path, entries: Iterable[tuple[str, bytes]]) -> Path | None:
    """One pack of ``(key, bytes)`` entries (none: nothing written)."""
    index: list[tuple[str, int, int]] = []
    bodies: list[bytes] = []
    offset = 0
    for key, body in entries:
        index.append((key, offset, len(body)))
        bodies.append(body)
        offset += len(body)
    if not index:
        return None
    data = orjson.dumps(index) + b"\n" + b"".join(bodies)
    name = hashlib.sha256(data).hexdigest()
    path = cache / name[:2] / f"{name}{_SUFFIX}"
    write_atomically(path, data)
    return path


class Packs:
    """The packs of a cache as found when read: entry bytes by key."""

    __slots__ = ("_found", "files", "size")

    def __init__(self, cache: Path) -> None:
        #: key -> every (pack bytes, offset of the entries, offset, length) that holds it
        self._found: dict[str, list[tuple[bytes, int, int, int]]] = {}
        self.files: list[Path] = []
        self.size = 0
        for path in sorted(cache.glob(f"??/*{_SUFFIX}")):
            with contextlib.suppress(OSError, ValueError, TypeError):
                self._add(path, path.read_bytes())

    def _add(self, path: Path, data: bytes) -> None:
        end = data.index(b"\n")
        index = orjson.loads(data[:end])
        self.files.append(path)
        self.size += len(data)
        for key, offset, length in index:
            if not (isinstance(key, str) and isinstance(offset, int) and isinstance(length, int)):
                raise TypeError(key)
            self._found.setdefault(key, []).append((data, end + 1, offset, length))

    def get(self, key: str) -> list[bytes]:
        """The bytes of each copy of the entry ``key`` (usually one; none when missing)."""
        return [
            data[base + offset : base + offset + length]
            for data, base, offset, length in self._found.get(key, ())
        ]

    def tidy(self, cache: Path, used: Collection[str]) -> None:
        """Merge every pack into one of the entries ``used`` when they have piled up."""
        held = sum(self._found[key][0][3] for key in used if key in self._found)
        if len(self.files) <= MAX_PACKS and self.size <= 2 * held + (1 << 20):
            return
        merged = write_pack(cache, ((key, self.get(key)[0]) for key in used if key in self._found))
        for path in self.files:
            if path != merged:
                with contextlib.suppress(OSError):
                    path.unlink()
