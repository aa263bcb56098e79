"""The sandbox served with uvicorn on a free loopback port, in a thread, for end-to-end tests."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

import uvicorn

from reconciler.sandbox import SandboxConfig, create_app


@contextlib.contextmanager
def served(config: SandboxConfig) -> Iterator[str]:
    """Serve a sandbox on 127.0.0.1 (a free port) until the block ends; yields ``…/v1``."""
    app = create_app(config)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="critical", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the sandbox did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(10)
        app.state.store.close()
