"""The sandbox served on a free loopback port for end-to-end tests and benchmarks: in a thread
(``served``) or as the ``reconciler sandbox serve`` command in a child process
(``serve_command``)."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
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


@contextlib.contextmanager
def serve_command(*options: str) -> Iterator[tuple[str, str]]:
    """``python -m reconciler sandbox serve --port 0 OPTIONS`` as a child process until the
    block ends; yields its origin (``http://127.0.0.1:PORT``) and the line it printed."""
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "sandbox", "serve", "--port", "0", *options],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+)/v1", line)
        if not match:
            raise RuntimeError(f"the sandbox did not start: {line}")
        yield match.group(1), line
    finally:
        process.terminate()
        process.wait(10)
        if process.stderr is not None:
            process.stderr.close()
