"""A lean HTTP/1.1 transport for ``httpx``: keep-alive connections over asyncio streams.

httpx's own transport (httpcore over anyio) spends about 1.3 ms of CPU per request on this
tool's small JSON pages, more than the 20 ms round trip divided by the in-flight cap leaves
(a full read of 2,000 customers sends ~9,000 requests eight at a time); this one spends a
fraction of that, so the reads are bound by the network and not by the client. It speaks
exactly what the tool needs of HTTP/1.1 and refuses the rest:

- one request at a time per connection (no pipelining); idle connections are kept per origin
  and reused, except one the server closed, one idle longer than ``keepalive_expiry``, or one
  whose last answer said ``Connection: close``;
- bodies framed by ``Content-Length``, ``Transfer-Encoding: chunked``, or the end of the
  connection; none for ``HEAD``, 1xx, 204 and 304; interim 1xx answers are skipped;
- TLS with httpx's default context (certifi, ``SSL_CERT_FILE``/``SSL_CERT_DIR``); no proxy
  (``reconciler.workflow.connect`` uses httpx's transport when one is configured);
- failures raise httpx's exceptions, so the retry rules of :mod:`reconciler.api.http` hold as
  before: ``ConnectError``/``ConnectTimeout`` when nothing was sent, ``WriteError``,
  ``ReadError``, ``ReadTimeout`` or ``RemoteProtocolError`` once it may have been.

A connection whose exchange failed or was cancelled half-way is closed, never reused.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx

Origin = tuple[str, str, int]
Clock = Callable[[], float]
T = TypeVar("T")

#: The largest status line + headers accepted (a larger head is a protocol error).
HEAD_LIMIT = 256 * 1024
_NO_BODY = frozenset({204, 304})
#: Idle connections older than this are not reused: a little below the 5 s after which
#: common servers (uvicorn, nginx's default is longer) close an idle keep-alive connection.
KEEPALIVE_EXPIRY = 4.0


class _Connection:
    __slots__ = ("idle_since", "reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.idle_since = 0.0

    def usable(self, now: float, expiry: float) -> bool:
        return (
            not self.writer.is_closing()
            and not self.reader.at_eof()
            and now - self.idle_since <= expiry
        )

    def close(self) -> None:
        self.writer.close()


class LeanTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 with keep-alive (see the module doc). The timeouts are the request's (the
    ``timeout`` extension the ``httpx.AsyncClient`` sets), else these: ``connect_timeout``
    bounds opening a connection (TCP and TLS), ``read_timeout`` each wait for the answer's
    head and for its body, ``write_timeout`` sending the request; None waits forever."""

    def __init__(
        self,
        *,
        connect_timeout: float | None = 10.0,
        read_timeout: float | None = 60.0,
        write_timeout: float | None = 60.0,
        keepalive_expiry: float = KEEPALIVE_EXPIRY,
        ssl_context: ssl.SSLContext | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.write_timeout = write_timeout
        self.keepalive_expiry = keepalive_expiry
        self._ssl = ssl_context
        self._clock = clock
        self._idle: dict[Origin, list[_Connection]] = {}
        #: Connections opened so far (a test reads it to see reuse).
        self.opened = 0

    def _context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = httpx.create_ssl_context()
        return self._ssl

    async def _connect(
        self, origin: Origin, request: httpx.Request, timeout: float | None
    ) -> _Connection:
        scheme, host, port = origin
        tls = self._context() if scheme == "https" else None
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(
                    host, port, ssl=tls, server_hostname=host if tls else None, limit=HEAD_LIMIT
                )
        except TimeoutError:
            raise httpx.ConnectTimeout("timed out connecting", request=request) from None
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ConnectError(f"cannot connect: {exc}", request=request) from None
        self.opened += 1
        return _Connection(reader, writer)

    def _take(self, origin: Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        now = self._clock()
        while idle:
            conn = idle.pop()
            if conn.usable(now, self.keepalive_expiry):
                return conn
            conn.close()
        return None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"unsupported scheme {url.scheme!r}", request=request)
        origin = (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))
        head = _request_head(request)
        body = await request.aread()
        limits = request.extensions.get("timeout") or {}
        read = limits.get("read", self.read_timeout)
        conn = self._take(origin) or await self._connect(
            origin, request, limits.get("connect", self.connect_timeout)
        )
        try:
            try:
                async with asyncio.timeout(limits.get("write", self.write_timeout)):
                    conn.writer.write(head + body if body else head)
                    await conn.writer.drain()
            except TimeoutError:
                raise httpx.WriteTimeout("timed out sending", request=request) from None
            except OSError as exc:
                raise httpx.WriteError(f"sending failed: {exc}", request=request) from None
            status, reason, headers, keep = await self._read_head(conn, request, read)
            content, framed = await self._read_body(conn, request, read, status, headers)
        except BaseException:
            conn.close()
            raise
        if keep and framed:
            conn.idle_since = self._clock()
            self._idle.setdefault(origin, []).append(conn)
        else:
            conn.close()
        # the body as content (not a stream): read once here, decoded by httpx as it is given
        return httpx.Response(
            status,
            headers=headers,
            content=content,
            request=request,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": reason},
        )

    async def _read_head(
        self, conn: _Connection, request: httpx.Request, timeout: float | None
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]], bool]:
        """The final answer's status, reason, headers, and whether the connection stays."""
        while True:
            raw = await self._read(request, conn.reader.readuntil(b"\r\n\r\n"), timeout)
            status, reason, headers, keep = _parse_head(raw, request)
            if not 100 <= status < 200:
                return status, reason, headers, keep
            if status == 101:
                raise httpx.RemoteProtocolError("unexpected protocol switch", request=request)

    async def _read_body(
        self,
        conn: _Connection,
        request: httpx.Request,
        timeout: float | None,
        status: int,
        headers: list[tuple[bytes, bytes]],
    ) -> tuple[bytes, bool]:
        """The body as sent, and whether it was framed (else it ran to the connection's end)."""
        if request.method == "HEAD" or status in _NO_BODY:
            return b"", True
        length: int | None = None
        chunked = False
        for name, value in headers:
            lower = name.lower()
            if lower == b"transfer-encoding":
                chunked = value.strip().lower().endswith(b"chunked")
            elif lower == b"content-length":
                if not value.strip().isdigit() or (length is not None and int(value) != length):
                    raise httpx.RemoteProtocolError("bad Content-Length", request=request)
                length = int(value)
        reader = conn.reader
        if chunked:
            return await self._read(request, _chunks(reader, request), timeout), True
        if length is not None:
            return await self._read(request, reader.readexactly(length), timeout), True
        return await self._read(request, reader.read(), timeout), False

    async def _read(self, request: httpx.Request, step: Awaitable[T], timeout: float | None) -> T:
        """``step`` (a read of the answer) within ``timeout``, its failures as httpx's."""
        try:
            async with asyncio.timeout(timeout):
                return await step
        except TimeoutError:
            raise httpx.ReadTimeout("timed out waiting for the answer", request=request) from None
        except asyncio.IncompleteReadError:
            why = "the server closed the connection before the answer ended"
            raise httpx.RemoteProtocolError(why, request=request) from None
        except asyncio.LimitOverrunError:
            why = "the answer's head is too large"
            raise httpx.RemoteProtocolError(why, request=request) from None
        except OSError as exc:
            raise httpx.ReadError(f"reading failed: {exc}", request=request) from None

    async def aclose(self) -> None:
        idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()


def _request_head(request: httpx.Request) -> bytes:
    """The request line and headers; a CR or LF in any of them is refused (never sent)."""
    lines = [request.method.encode("ascii"), b" ", request.url.raw_path, b" HTTP/1.1\r\n"]
    for name, value in request.headers.raw:
        lines += (name, b": ", value, b"\r\n")
    lines.append(b"\r\n")
    head = b"".join(lines)
    if head.count(b"\n") != len(request.headers.raw) + 2 or head.count(b"\r") != head.count(b"\n"):
        raise httpx.LocalProtocolError("a header holds a line break", request=request)
    return head


def _parse_head(
    raw: bytes, request: httpx.Request
) -> tuple[int, bytes, list[tuple[bytes, bytes]], bool]:
    """Status, reason, headers and keep-alive of one answer's head (``raw`` ends CRLF CRLF)."""
    status_line, *lines = raw[:-4].split(b"\r\n")
    version, _, rest = status_line.partition(b" ")
    code, _, reason = rest.partition(b" ")
    if version not in (b"HTTP/1.1", b"HTTP/1.0") or len(code) != 3 or not code.isdigit():
        raise httpx.RemoteProtocolError("not an HTTP/1.1 answer", request=request)
    headers: list[tuple[bytes, bytes]] = []
    keep = version == b"HTTP/1.1"
    for line in lines:
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip():
            raise httpx.RemoteProtocolError("a malformed header line", request=request)
        value = value.strip()
        if name.lower() == b"connection":
            tokens = {t.strip().lower() for t in value.split(b",")}
            keep = b"close" not in tokens and (keep or b"keep-alive" in tokens)
        headers.append((name, value))
    return int(code), reason, headers, keep


async def _chunks(reader: asyncio.StreamReader, request: httpx.Request) -> bytes:
    """A chunked body (chunk extensions ignored, trailers read and dropped)."""
    parts: list[bytes] = []
    while True:
        line = await reader.readuntil(b"\r\n")
        size = line.split(b";", 1)[0].strip()
        try:
            n = int(size, 16)
        except ValueError:
            raise httpx.RemoteProtocolError("a malformed chunk size", request=request) from None
        if n < 0:
            raise httpx.RemoteProtocolError("a malformed chunk size", request=request)
        if n == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass  # a trailer field
            return b"".join(parts)
        parts.append(await reader.readexactly(n))
        if await reader.readexactly(2) != b"\r\n":
            raise httpx.RemoteProtocolError("a chunk without its line end", request=request)
