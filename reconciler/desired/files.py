"""Which files of the desired-state directory are read, and reading one within bounds.

Only regular files inside the directory are read: a symbolic link that leads out of it, a FIFO,
a device (``/dev/zero`` behind a link), a socket or a file over ``MAX_FILE_BYTES`` is a problem
at ``FILE:1:1`` that names the file given, never where a link leads nor anything found there.
A FIFO is opened without blocking and nothing over the limit is read past it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from reconciler.errors import ConfigError, Problem

#: A desired-state file larger than this is not read (the largest realistic one, a customer
#: with thousands of users, is a few megabytes).
MAX_FILE_BYTES = 16 << 20

_SUFFIXES = (".yaml", ".yml")


def _inside(real: str, root: str) -> bool:
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def yaml_files(directory: Path) -> tuple[list[Path], list[Problem]]:
    """``*.yaml``/``*.yml`` below ``directory``, sorted, skipping hidden folders and files;
    and a problem for each symbolic link among them (file or folder) that leads outside."""
    root = os.path.realpath(directory)
    found: list[Path] = []
    problems: list[Problem] = []
    for base, dirs, files in os.walk(directory):
        kept = []
        for d in dirs:
            if d.startswith("."):
                continue
            path = Path(base, d)
            if path.is_symlink():
                # never walked (os.walk does not follow links); one leading out is reported
                if not _inside(os.path.realpath(path), root):
                    problems.append(Problem(str(path), 1, 1, _OUTSIDE))
                continue
            kept.append(d)
        dirs[:] = kept
        found.extend(
            Path(base, f) for f in files if not f.startswith(".") and f.endswith(_SUFFIXES)
        )
    return sorted(found), problems


_OUTSIDE = "a symbolic link that leads outside the directory; not read"


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"


def read_bytes(path: Path, shown: str, root: str) -> tuple[bytes | None, Problem | None]:
    """The bytes of one file, or None and the problem why it is not read.

    ``root`` is the real path of the directory being read. ``ConfigError`` when a regular
    file cannot be read (permissions): that is the environment, not the data.
    """
    if path.is_symlink():
        real = os.path.realpath(path)
        if not os.path.exists(real):
            return None, Problem(shown, 1, 1, "a symbolic link that leads nowhere; not read")
        if not _inside(real, root):
            return None, Problem(shown, 1, 1, _OUTSIDE)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise ConfigError(f"cannot read {shown}: {exc.strerror}") from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None, Problem(
                shown, 1, 1, f"{_kind(info.st_mode)}, not a regular file; not read"
            )
        if info.st_size > MAX_FILE_BYTES:
            return None, _too_large(shown)
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(fd, 1 << 20):
            size += len(chunk)
            if size > MAX_FILE_BYTES:  # grew while being read
                return None, _too_large(shown)
            chunks.append(chunk)
        return b"".join(chunks), None
    except OSError as exc:
        raise ConfigError(f"cannot read {shown}: {exc.strerror}") from exc
    finally:
        os.close(fd)


def _too_large(shown: str) -> Problem:
    return Problem(shown, 1, 1, f"larger than {MAX_FILE_BYTES >> 20} MiB; not read")
