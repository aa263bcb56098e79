"""Running git on the desired-state repository: one place that calls it and words its errors."""

from __future__ import annotations

import subprocess
from pathlib import Path

from reconciler.errors import ConfigError


def git(where: Path, *args: str) -> str:
    """``git -C WHERE ARGS`` and its standard output; ``ConfigError`` with git's last line of
    complaint when it fails, or when git cannot be run at all."""
    try:
        done = subprocess.run(  # noqa: S603 - fixed argv, no shell
            ["git", "-C", str(where), *args],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as exc:
        raise ConfigError(f"cannot run git: {exc.strerror}") from exc
    if done.returncode != 0:
        message = done.stderr.strip().splitlines()[-1:] or ["failed"]
        raise ConfigError(f"git {args[0]}: {message[0]}")
    return done.stdout
