"""``reconciler sandbox serve``: the local Partner Hub over HTTP (loopback by default)."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from reconciler.cli.exits import handle_errors
from reconciler.errors import UsageError
from reconciler.sandbox import SandboxConfig, StoreUnusable, create_app, switches


def _share(ctx: click.Context, param: click.Parameter, value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise click.BadParameter("must be a share between 0 and 1")
    return value


def _non_negative(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    if value is not None and value < 0:
        raise click.BadParameter("must not be negative")
    return value


class _DroppedFilter(logging.Filter):
    """A dropped connection is an injected fault, not a server error worth a log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "returned without completing response" not in record.getMessage()


@click.group(name="sandbox")
def command() -> None:
    """The local Partner Hub the tool, its tests and its benchmarks run against."""


@command.command()
@click.option(
    "--db",
    "db",
    default=":memory:",
    show_default=True,
    help="SQLite file the sandbox keeps its state in (created when missing).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8700,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0: any free port).",
)
@click.option(
    "--token", default="sandbox-full", show_default=True, help="Access token with every scope."
)
@click.option(
    "--read-token",
    default="sandbox-read",
    show_default=True,
    help="Access token with only the *_read scopes.",
)
@click.option(
    "--latency-ms",
    default=0.0,
    type=float,
    callback=_non_negative,
    help="Delay added to every API request.",
)
@click.option(
    "--rate-limit",
    default=None,
    type=float,
    callback=_non_negative,
    help="Requests per second before answering 429 with Retry-After.",
)
@click.option(
    "--fail-rate",
    default=0.0,
    type=float,
    callback=_share,
    help="Share of API requests answered 5xx (not performed).",
)
@click.option(
    "--drop-rate",
    default=0.0,
    type=float,
    callback=_share,
    help="Share of writes performed, then their connection closed without an answer.",
)
@click.option(
    "--provision-seconds",
    default=1.0,
    type=float,
    callback=_non_negative,
    show_default=True,
    help="How long a customer stays provisioning (0: at once).",
)
@click.option(
    "--provision-error-rate",
    default=0.0,
    type=float,
    callback=_share,
    help="Share of customer provisionings that end in status error.",
)
@click.option(
    "--provision-partial-rate",
    default=0.0,
    type=float,
    callback=_share,
    help="Share of customer provisionings that end provisioned_with_errors.",
)
@click.option(
    "--seed",
    default=0,
    type=int,
    show_default=True,
    help="Seed for IDs and every injected fault (same seed, same run).",
)
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="NAME=VALUE",
    help="Set one of the sandbox's named switches (repeatable); `sandbox switches` lists them.",
)
@handle_errors
def serve(
    db: str,
    host: str,
    port: int,
    token: str,
    read_token: str,
    latency_ms: float,
    rate_limit: float | None,
    fail_rate: float,
    drop_rate: float,
    provision_seconds: float,
    provision_error_rate: float,
    provision_partial_rate: float,
    seed: int,
    settings: tuple[str, ...],
) -> None:
    """Serve the sandbox over HTTP until interrupted."""
    if token == read_token:
        raise UsageError("--token and --read-token must differ")
    if rate_limit == 0:
        raise UsageError("--rate-limit must be above 0 (omit it for no limit)")
    if db != ":memory:" and not Path(db).parent.exists():
        raise UsageError(f"--db: folder {Path(db).parent} does not exist")
    try:
        chosen = switches.parse(settings)
    except switches.SwitchError as exc:
        raise UsageError(f"--set: {exc}") from None
    config = SandboxConfig(
        db=db,
        full_token=token,
        read_token=read_token,
        latency_ms=latency_ms,
        rate_limit=rate_limit,
        fail_rate=fail_rate,
        drop_rate=drop_rate,
        drop_mode="close",
        provision_seconds=provision_seconds,
        provision_error_rate=provision_error_rate,
        provision_partial_rate=provision_partial_rate,
        seed=seed,
        **chosen,  # type: ignore[arg-type]
    )
    run_server(config, host=host, port=port)


@command.command(name="switches")
def list_switches() -> None:
    """The named switches `serve --set` takes, with their defaults (Webex's likeliest
    behaviour; the others are readings the notes leave open)."""
    defaults = SandboxConfig()
    for name in switches.names():
        value = getattr(defaults, name)
        if value is None or isinstance(value, bool):
            value = str(value).lower()
        click.echo(f"{name}={value}")


def run_server(config: SandboxConfig, *, host: str, port: int) -> None:
    """Serve the sandbox with uvicorn until interrupted, saying where once it listens."""
    import uvicorn

    db = config.db
    try:
        app = create_app(config)
    except StoreUnusable as exc:
        raise UsageError(f"--db {exc.path}: {exc.reason}") from None
    logging.getLogger("uvicorn.error").addFilter(_DroppedFilter())
    server = uvicorn.Server(
        uvicorn.Config(
            app, host=host, port=port, log_level="warning", access_log=False, lifespan="on"
        )
    )
    original = server.startup

    async def startup(sockets: object = None) -> None:
        await original(sockets)  # type: ignore[arg-type]
        for sock in server.servers[0].sockets if server.servers else []:
            bound_host, bound_port = sock.getsockname()[:2]
            shown = f"[{bound_host}]" if ":" in bound_host else bound_host
            click.echo(
                f"sandbox serving at http://{shown}:{bound_port}/v1 (db {db}; Ctrl-C to stop)",
                err=True,
            )

    server.startup = startup  # type: ignore[method-assign]
    server.run()
