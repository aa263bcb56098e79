"""``create_app``: the Starlette app at the real ``/v1`` paths, behind the fault layer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler.sandbox import (
    admin,
    customers,
    identity,
    jobs,
    numbers,
    org,
    subscribers,
    telephony,
)
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.errors import ApiError
from reconciler.sandbox.faults import Faults
from reconciler.sandbox.parsing import read_body
from reconciler.sandbox.store import Store
from reconciler.sandbox.web import (
    Ctx,
    Handler,
    admin_guard,
    endpoint,
    error_response,
    json_response,
    log,
)

CUST_R, CUST_W = "spark-admin:wholesale_customers_read", "spark-admin:wholesale_customers_write"
SUB_R, SUB_W = "spark-admin:wholesale_subscribers_read", "spark-admin:wholesale_subscribers_write"
LOC_R, LOC_W = "spark-admin:locations_read", "spark-admin:locations_write"
PPL_R, PPL_W = "spark-admin:people_read", "spark-admin:people_write"
ROLES_R = "spark-admin:roles_read"
ORGS_R = "spark-admin:organizations_read"
TEL_R, TEL_W = "spark-admin:telephony_config_read", "spark-admin:telephony_config_write"
TEL = "/telephony/config"
IDENTITY_ORGS_RW = "identity:organizations_rw"

#: (method, path template under /v1, scopes (any of), handler)
API: list[tuple[str, str, tuple[str, ...], Handler]] = [
    ("GET", "/wholesale/customers", (CUST_R,), customers.list_customers),
    ("POST", "/wholesale/customers", (CUST_W,), customers.provision),
    # precheck runs under the read scope: ``plan --precheck`` works with a read-only token
    ("POST", "/wholesale/customers/validate", (CUST_R,), customers.precheck),
    ("GET", "/wholesale/customers/{customerId}", (CUST_R,), customers.get_customer),
    ("PUT", "/wholesale/customers/{customerId}", (CUST_W,), customers.update),
    ("DELETE", "/wholesale/customers/{customerId}", (CUST_W,), customers.remove),
    ("GET", "/wholesale/subscribers", (SUB_R,), subscribers.list_subscribers),
    ("POST", "/wholesale/subscribers", (SUB_W,), subscribers.provision),
    ("POST", "/wholesale/subscribers/validate", (SUB_R,), subscribers.precheck),
    ("GET", "/wholesale/subscribers/{subscriberId}", (SUB_R,), subscribers.get_subscriber),
    ("PUT", "/wholesale/subscribers/{subscriberId}", (SUB_W,), subscribers.update),
    ("DELETE", "/wholesale/subscribers/{subscriberId}", (SUB_W,), subscribers.remove),
    ("GET", "/organizations", (ORGS_R,), org.list_organizations),
    ("GET", "/organizations/{orgId}", (ORGS_R,), org.get_organization),
    (
        "PATCH",
        "/identity/organizations/{orgUuid}",
        (IDENTITY_ORGS_RW,),
        identity.update_organization,
    ),
    ("GET", "/locations", (LOC_R, PPL_R), org.list_locations),
    ("POST", "/locations", (LOC_W,), org.create_location),
    ("GET", "/locations/{locationId}", (LOC_R, PPL_R), org.get_location),
    ("PUT", "/locations/{locationId}", (LOC_W,), org.update_location),
    ("DELETE", "/locations/{locationId}", (LOC_W,), org.delete_location),
    ("GET", "/people", (PPL_R,), org.list_people),
    ("GET", "/people/{personId}", (PPL_R,), org.get_person),
    ("PUT", "/people/{personId}", (PPL_W,), org.update_person),
    ("DELETE", "/people/{personId}", (PPL_W,), org.delete_person),
    ("GET", "/roles", (ROLES_R,), org.list_roles),
    ("GET", "/roles/{roleId}", (ROLES_R,), org.get_role),
    ("POST", "/access_token", (), org.access_token),
    ("GET", f"{TEL}/locations", (TEL_R,), telephony.list_calling_locations),
    ("POST", f"{TEL}/locations", (TEL_W,), telephony.enable_location),
    ("GET", f"{TEL}/locations/{{locationId}}", (TEL_R,), telephony.get_calling_location),
    ("GET", f"{TEL}/countries/{{countryCode}}", (TEL_R,), telephony.get_country),
    (
        "GET",
        "/telephony/pstn/locations/{locationId}/connection",
        ("spark-admin:telephony_pstn_read",),
        telephony.get_pstn_connection,
    ),
    ("GET", f"{TEL}/numbers", (TEL_R,), numbers.list_numbers),
    ("POST", f"{TEL}/locations/{{locationId}}/numbers", (TEL_W,), numbers.add_numbers),
    ("DELETE", f"{TEL}/locations/{{locationId}}/numbers", (TEL_W,), numbers.remove_numbers),
    ("POST", f"{TEL}/jobs/person/moveLocation", (TEL_W,), jobs.move_users),
    ("GET", f"{TEL}/jobs/person/moveLocation", (TEL_R,), jobs.list_move_jobs),
    ("GET", f"{TEL}/jobs/person/moveLocation/{{jobId}}", (TEL_R,), jobs.get_move_job),
    ("GET", f"{TEL}/jobs/person/moveLocation/{{jobId}}/errors", (TEL_R,), jobs.move_job_errors),
    ("GET", f"{TEL}/jobs/locations/deleteCallingLocation", (TEL_R,), jobs.list_disable_jobs),
    (
        "GET",
        f"{TEL}/jobs/locations/deleteCallingLocation/{{jobId}}/errors",
        (TEL_R,),
        jobs.disable_job_errors,
    ),
    (
        "POST",
        f"{TEL}/jobs/locations/deleteCallingLocation",
        (TEL_W,),
        jobs.disable_calling,
    ),
    (
        "GET",
        f"{TEL}/jobs/locations/deleteCallingLocation/{{jobId}}",
        (TEL_R,),
        jobs.get_disable_job,
    ),
    # the check is documented under the read scope
    (
        "POST",
        f"{TEL}/locations/{{locationId}}/actions/precheckForDeletion/invoke",
        (TEL_R,),
        jobs.precheck_delete,
    ),
]

ADMIN: list[tuple[str, str, Handler]] = [
    ("POST", "/_sandbox/templates", admin.post_template),
    ("GET", "/_sandbox/templates", admin.get_templates),
    ("POST", "/_sandbox/seed", admin.seed),
    ("GET", "/_sandbox/dump", admin.dump),
]


def create_app(config: SandboxConfig | None = None) -> Starlette:
    """A sandbox serving ``config``. ``app.state.store`` / ``app.state.stats`` for tests."""
    cfg = config or SandboxConfig()
    store = Store(cfg.db, cfg.seed)
    ctx = Ctx(cfg, store)
    stats = admin.Stats()

    routes = [
        Route(f"/v1{path}", endpoint(ctx, path, scopes, handler), methods=[method])
        for method, path, scopes, handler in API
    ]

    async def admin_call(handler: Handler, request: Request) -> Response:
        try:
            admin_guard(cfg, request)
            await read_body(request, cfg.admin_max_body_bytes)
            return await handler(ctx, request)
        except ApiError as exc:
            ctx.store.rollback()
            return error_response(exc, "")
        except Exception:
            ctx.store.rollback()
            log.exception("sandbox admin handler failed")
            return error_response(ApiError(500, "Internal server error."), "")

    def admin_route(method: str, path: str, handler: Handler) -> Route:
        async def run(request: Request) -> Response:
            return await admin_call(handler, request)

        return Route(path, run, methods=[method])

    async def get_stats(ctx: Ctx, request: Request) -> Response:
        return json_response(stats.snapshot())

    async def reset_stats(ctx: Ctx, request: Request) -> Response:
        stats.reset()
        return json_response(stats.snapshot())

    admin_routes = [*ADMIN, ("GET", "/_sandbox/stats", get_stats)]
    admin_routes.append(("POST", "/_sandbox/stats/reset", reset_stats))
    routes += [admin_route(m, p, h) for m, p, h in admin_routes]

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        tracking = request.scope.get("state", {}).get("tracking_id", "")
        headers = dict(exc.headers or {})
        message = (
            "The requested resource could not be found." if exc.status_code == 404 else (exc.detail)
        )
        return error_response(ApiError(exc.status_code, message, headers=headers), tracking)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        store.close()

    app = Starlette(
        routes=routes, exception_handlers={HTTPException: http_error}, lifespan=lifespan
    )
    app.state.store = store
    app.state.stats = stats
    app.state.config = cfg
    wrapped: Any = Faults(app, cfg, stats)
    # Faults is the outermost layer; expose Starlette's attributes through it for callers
    return _Front(wrapped, app)  # type: ignore[return-value]


class _Front:
    """The fault layer, looking like the Starlette app it wraps (``.state``, ``.routes``)."""

    def __init__(self, front: Any, app: Starlette) -> None:
        self._front = front
        self._app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self._front(scope, receive, send)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._app, name)
