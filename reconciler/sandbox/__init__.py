"""A local Partner Hub: the wholesale, locations, people, roles and token APIs at their real
paths, persisted in SQLite, with seeded faults. It shares no code with the client.
"""

from reconciler.sandbox.app import create_app
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.errors import ConnectionDropped
from reconciler.sandbox.store import StoreUnusable

__all__ = ["ConnectionDropped", "SandboxConfig", "StoreUnusable", "create_app"]
