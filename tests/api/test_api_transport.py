"""The lean HTTP/1.1 transport against a scripted loopback server: framing, keep-alive and
failures as httpx's exceptions (so the retry rules of the API session hold as before)."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx
import pytest

from reconciler.api import Limiter, RetryPolicy, WebexClient
from reconciler.api.transport import LeanTransport
from reconciler.errors import OutcomeUnknown

Answer = bytes | None  # None: close the connection without answering


@dataclass
class Server:
    """Answers each request with the next scripted bytes; records what it was sent."""

    answers: list[Answer]
    requests: list[bytes] = field(default_factory=list)
    connections: int = 0
    port: int = 0
    close_after: bool = False  # close each connection after its answer

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while self.answers:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                self.requests.append(head + await reader.readexactly(length))
                answer = self.answers.pop(0)
                if answer is None:
                    break
                writer.write(answer)
                await writer.drain()
                if self.close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def serve(
    answers: list[Answer], test: Callable[[Server, str], Awaitable[None]], **options: bool
) -> Server:
    server = Server(answers, **options)

    async def main() -> None:
        listening = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        server.port = listening.sockets[0].getsockname()[1]
        async with listening:
            await test(server, f"http://127.0.0.1:{server.port}")

    asyncio.run(main())
    return server


def ok(body: bytes = b'{"items": []}', *extra: bytes) -> bytes:
    head = [b"HTTP/1.1 200 OK", b"Content-Type: application/json", *extra]
    head.append(b"Content-Length: " + str(len(body)).encode())
    return b"\r\n".join(head) + b"\r\n\r\n" + body


def client(transport: httpx.AsyncBaseTransport, **options: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=transport, timeout=options.get("timeout", 5.0))


def test_keep_alive_reuses_one_connection_for_length_framed_answers() -> None:
    got: list[bytes] = []

    async def test(server: Server, origin: str) -> None:
        transport = LeanTransport()
        async with client(transport) as http:
            for i in range(3):
                response = await http.get(f"{origin}/v1/people", params={"n": str(i)})
                got.append(response.content)
            assert transport.opened == 1

    server = serve([ok(b'{"a": 1}'), ok(b'{"a": 2}'), ok(b"{}")], test)
    assert got == [b'{"a": 1}', b'{"a": 2}', b"{}"]
    assert server.connections == 1
    first = server.requests[0].split(b"\r\n")
    assert first[0] == b"GET /v1/people?n=0 HTTP/1.1"
    assert f"Host: 127.0.0.1:{server.port}".encode() in first


def test_a_post_sends_its_body_and_reads_a_chunked_answer_with_trailers() -> None:
    chunked = (
        b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'5;ext=1\r\n{"id"\r\n6\r\n: "C1"\r\n1\r\n}\r\n0\r\nX-Trailer: t\r\n\r\n'
    )

    async def test(server: Server, origin: str) -> None:
        async with client(LeanTransport()) as http:
            response = await http.post(f"{origin}/v1/wholesale/customers", json={"a": 1})
            assert response.status_code == 201
            assert response.json() == {"id": "C1"}
            again = await http.get(f"{origin}/v1/x")  # the same connection, still in step
            assert again.json() == {"items": []}

    server = serve([chunked, ok()], test)
    assert server.requests[0].endswith(b'{"a":1}')
    assert server.connections == 1


def test_an_answer_framed_by_the_connection_end_is_read_whole_and_not_reused() -> None:
    async def test(server: Server, origin: str) -> None:
        transport = LeanTransport()
        async with client(transport) as http:
            first = await http.get(f"{origin}/v1/a")
            assert first.json() == {"items": [1]}
            second = await http.get(f"{origin}/v1/b")
            assert second.status_code == 204
            assert second.content == b""
            third = await http.get(f"{origin}/v1/c")  # after Connection: close
            assert third.json() == {"items": []}
        assert transport.opened == 3

    serve(
        [
            b'HTTP/1.0 200 OK\r\n\r\n{"items": [1]}',
            b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n",
            ok(),
        ],
        test,
        close_after=True,
    )


def test_interim_answers_are_skipped_and_gzip_is_decoded() -> None:
    body = gzip.compress(b'{"items": ["z"]}')
    answer = ok(body, b"Content-Encoding: gzip")

    async def test(server: Server, origin: str) -> None:
        async with client(LeanTransport()) as http:
            response = await http.get(f"{origin}/v1/z")
            assert response.json() == {"items": ["z"]}

    serve([b"HTTP/1.1 100 Continue\r\n\r\n" + answer], test)


def test_a_connection_the_server_closed_while_idle_is_not_reused() -> None:
    async def test(server: Server, origin: str) -> None:
        transport = LeanTransport()
        async with client(transport) as http:
            await http.get(f"{origin}/v1/a")
            await asyncio.sleep(0.05)  # the server's close reaches the idle connection
            response = await http.get(f"{origin}/v1/b")
            assert response.json() == {"items": []}
        assert transport.opened == 2

    serve([ok(), ok()], test, close_after=True)


def test_an_idle_connection_past_its_expiry_is_not_reused() -> None:
    now = [0.0]

    async def test(server: Server, origin: str) -> None:
        transport = LeanTransport(keepalive_expiry=4.0, clock=lambda: now[0])
        async with client(transport) as http:
            await http.get(f"{origin}/v1/a")
            now[0] = 3.9
            await http.get(f"{origin}/v1/b")
            now[0] = 8.0
            await http.get(f"{origin}/v1/c")
        assert transport.opened == 2

    serve([ok(), ok(), ok()], test)


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (None, httpx.RemoteProtocolError),  # closed without an answer
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}", httpx.RemoteProtocolError),
        (b"SPDY/3 200 OK\r\n\r\n", httpx.RemoteProtocolError),
        (b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", httpx.RemoteProtocolError),
        (b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n", httpx.RemoteProtocolError),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", httpx.RemoteProtocolError),
    ],
)
def test_broken_answers_are_httpx_protocol_errors(answer: Answer, error: type[Exception]) -> None:
    async def test(server: Server, origin: str) -> None:
        async with client(LeanTransport()) as http:
            with pytest.raises(error):
                await http.get(f"{origin}/v1/a")

    serve([answer], test)


def test_a_slow_answer_is_a_read_timeout_and_a_refused_connection_a_connect_error() -> None:
    async def test(server: Server, origin: str) -> None:
        async with client(LeanTransport(), timeout=0.2) as http:
            with pytest.raises(httpx.ReadTimeout):
                await http.get(f"{origin}/v1/slow")

    serve([b"HTTP/1.1 200 OK\r\n", ok()], test)  # a head that never ends, kept open

    async def refused() -> None:
        async with client(LeanTransport()) as http:
            with pytest.raises(httpx.ConnectError):
                await http.get("http://127.0.0.1:1/v1/a")

    asyncio.run(refused())


def test_a_line_break_in_a_header_is_refused_before_anything_is_sent() -> None:
    async def test(server: Server, origin: str) -> None:
        async with client(LeanTransport()) as http:
            request = http.build_request("GET", f"{origin}/v1/a")
            request.headers["X-Bad"] = "a\r\nX-Injected: 1"
            with pytest.raises(httpx.LocalProtocolError):
                await http.send(request)

    server = serve([ok()], test)
    assert server.requests == []
    assert server.connections == 0


def test_through_the_api_session_a_lost_get_is_retried_and_a_lost_post_never_replayed() -> None:
    async def test(server: Server, origin: str) -> None:
        async with client(LeanTransport()) as http:
            api = WebexClient(
                http,
                base_url=f"{origin}/v1",
                tokens="T",
                limiter=Limiter(rate=None),
                retry=RetryPolicy(backoff_base=0.001),
            )
            assert await api.list_roles() == []  # lost once, answered on a new connection
            with pytest.raises(OutcomeUnknown):
                await api.create_subscriber({"email": "a@example.com"})

    server = serve([None, ok(), None], test)
    assert [r.split(b" ", 2)[:2] for r in server.requests] == [
        [b"GET", b"/v1/roles?max=100"],
        [b"GET", b"/v1/roles?max=100"],
        [b"POST", b"/v1/wholesale/subscribers"],
    ]
