"""Request plumbing shared by the handlers: context, auth, bodies, answers, paging."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.errors import ApiError
from reconciler.sandbox.lifecycle import advance
from reconciler.sandbox.parsing import (
    Shape,
    bool_param,
    int_param,
    json_object,
    known_fields,
    read_body,
)
from reconciler.sandbox.store import Store

__all__ = ["body_of", "int_param"]  # re-exported: the routes' one import for parsing

log = logging.getLogger("reconciler.sandbox")

READ_SCOPES = frozenset(
    {
        "spark-admin:wholesale_customers_read",
        "spark-admin:wholesale_subscribers_read",
        "spark-admin:locations_read",
        "spark-admin:people_read",
        "spark-admin:roles_read",
        "spark-admin:licenses_read",
        "spark-admin:organizations_read",
        "spark-admin:telephony_config_read",
        "spark-admin:telephony_pstn_read",
    }
)
ALL_SCOPES = READ_SCOPES | {
    "spark-admin:wholesale_customers_write",
    "spark-admin:wholesale_subscribers_write",
    "spark-admin:locations_write",
    "spark-admin:people_write",
    "spark-admin:telephony_config_write",
    "identity:organizations_rw",
}


class Ctx:
    """What every handler needs: settings, store, and the current time."""

    def __init__(self, cfg: SandboxConfig, store: Store) -> None:
        self.cfg = cfg
        self.store = store

    def now(self) -> float:
        return float(self.cfg.clock())

    def base(self, request: Request) -> str:
        """Absolute base of the API, ``…/v1``, as the client reached it."""
        if self.cfg.base_url:
            return self.cfg.base_url.rstrip("/")
        return f"{request.url.scheme}://{request.url.netloc}/v1"

    def scopes_of(self, token: str) -> frozenset[str]:
        if token == self.cfg.full_token:
            return ALL_SCOPES
        if token == self.cfg.read_token:
            return READ_SCOPES
        return frozenset()

    def scopes(self, request: Request) -> frozenset[str]:
        """Scopes of the request's bearer token; 401 without a valid one."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        held = self.scopes_of(token) if scheme.lower() == "bearer" and token else frozenset()
        if not held:
            raise ApiError(
                401,
                "The request requires a valid access token set in the Authorization request "
                "header.",
            )
        return held

    async def body(self, request: Request, shape: Shape) -> dict[str, Any]:
        """The JSON object body with only the fields of ``shape`` (``put_extra_fields``)."""
        return known_fields(await json_object(request), shape, self.cfg.put_extra_fields)

    def flag(self, request: Request, name: str) -> bool:
        """A boolean query parameter, strict as ``query_bool_ignore_case`` says."""
        return bool_param(request, name, ignore_case=self.cfg.query_bool_ignore_case)

    def flags(self, request: Request, *names: str) -> dict[str, bool]:
        """Every boolean query parameter a route declares, each checked (400 if malformed)."""
        return {name: self.flag(request, name) for name in names}


Handler = Callable[[Ctx, Request], Awaitable[Response]]


def endpoint(
    ctx: Ctx, template: str, scopes: tuple[str, ...], handler: Handler
) -> Callable[[Request], Awaitable[Response]]:
    """Wrap ``handler``: route template for the stats, lifecycle, auth, errors, rollback.

    ``scopes``: the token needs at least one of them (empty: no auth, e.g. /access_token).
    """

    async def run(request: Request) -> Response:
        request.scope.setdefault("state", {})["route"] = template
        tracking = request.scope["state"].get("tracking_id", "")
        try:
            # read the body first: from here on a handler never yields to the event loop, so
            # concurrent requests cannot interleave between its read and its write
            await read_body(request, ctx.cfg.max_body_bytes)
            advance(ctx.store, ctx.cfg, ctx.now())
            if scopes:
                held = ctx.scopes(request)
                if not held & set(scopes):
                    raise ApiError(
                        403,
                        "The server understood the request, but refused to "
                        f"fulfill it: the token lacks the scope {scopes[0]}.",
                    )
            response = await handler(ctx, request)
            ctx.store.commit()
            return response
        except ApiError as exc:
            ctx.store.rollback()
            return error_response(exc, tracking)
        except ClientDisconnect:
            # The client went away before its body arrived (e.g. a killed process): nothing
            # was done and nobody is left to answer.
            ctx.store.rollback()
            log.info("client disconnected before its request body arrived")
            return empty(499)
        except Exception:
            ctx.store.rollback()
            log.exception("sandbox handler failed")
            return error_response(ApiError(500, "Internal server error."), tracking)

    return run


def error_response(exc: ApiError, tracking: str) -> Response:
    return json_response(exc.body(tracking), exc.status, exc.headers)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    data = json.dumps(body, separators=(",", ":")).encode()
    return Response(data, status, headers, media_type="application/json")


def empty(status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(b"", status, headers)


async def body_of(request: Request) -> dict[str, Any]:
    """The JSON object body, unfiltered (the admin API); routes use ``Ctx.body``."""
    return await json_object(request)


def admin_guard(cfg: SandboxConfig, request: Request) -> None:
    """Refuse what a web page could send to the admin API (``admin_cross_origin`` allows it).

    Browsers add ``Origin`` to every cross-origin request that could change something, and
    the only bodies a page may send without a CORS preflight are not ``application/json``.
    """
    if cfg.admin_cross_origin:
        return
    if "origin" in request.headers:
        raise ApiError(403, "The sandbox admin API refuses requests with an Origin header.")
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    length = request.headers.get("content-length", "0")
    sends_body = media or length not in ("", "0") or "transfer-encoding" in request.headers
    if request.method != "GET" and sends_body and media != "application/json":
        raise ApiError(415, "The sandbox admin API takes only application/json bodies.")


def page_size(request: Request, limits: tuple[int, int]) -> int:
    """``max`` clamped to the endpoint's maximum (silently, as Webex does)."""
    default, maximum = limits
    value = int_param(request, "max", default)
    if value == 0:
        raise ApiError(400, "Query parameter max must be at least 1.")
    return min(value, maximum)


def next_link(ctx: Ctx, request: Request, start: int, size: int) -> dict[str, str]:
    """``Link: <…>; rel="next"`` for the page starting at ``start``."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in ("start", "max")]
    params += [("max", "null" if ctx.cfg.next_link_max_null else str(size)), ("start", str(start))]
    url = f"{ctx.base(request)}{request.url.path.removeprefix('/v1')}?{urlencode(params)}"
    return {"Link": f'<{url}>; rel="next"'}


def retry_after(seconds: float) -> dict[str, str]:
    return {"Retry-After": str(max(1, math.ceil(seconds)))}
