"""IDs minted like Webex's: unpadded base64 of ``ciscospark://us/TYPE/uuid``."""

from __future__ import annotations

import base64
import hashlib
import uuid


def encode(kind: str, raw_uuid: str) -> str:
    text = f"ciscospark://us/{kind}/{raw_uuid}"
    return base64.b64encode(text.encode()).decode().rstrip("=")


def decode(value: str) -> tuple[str, str] | None:
    """``(TYPE, uuid)`` of an ID, or None when it is not one."""
    try:
        text = base64.b64decode(value + "=" * (-len(value) % 4), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    prefix = "ciscospark://us/"
    if not text.startswith(prefix) or text.count("/") != 4:
        return None
    kind, _, raw = text[len(prefix) :].partition("/")
    return kind, raw


def seeded_uuid(seed: int, counter: int) -> str:
    """The ``counter``-th UUID of a seed: the same seed mints the same IDs."""
    digest = hashlib.sha256(f"{seed}:{counter}".encode()).digest()[:16]
    return str(uuid.UUID(bytes=digest, version=4))


def fixed_uuid(name: str) -> str:
    """A UUID that depends only on ``name`` (roles are the same in every sandbox)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox-role:{name}"))
