"""Telephony jobs: move users (``/telephony/config/jobs/person/moveLocation``), disable a
calling location (``…/jobs/locations/deleteCallingLocation``) and the pre-delete check; each
job kind's list (most recent first, under ``items``) and its errors (``…/{jobId}/errors``).

A job runs for ``job_seconds`` on the injected clock; ``jobrun.settle_jobs`` (run before
every request, like the customer lifecycle) finishes the due ones. Checks that Webex makes when
the request arrives answer 400 with the documented codes; the rest are the job's own errors.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from reconciler.sandbox import rules
from reconciler.sandbox.calling import calling_location, is_calling_user
from reconciler.sandbox.errors import ApiError, not_found
from reconciler.sandbox.ids import decode, encode, fixed_uuid
from reconciler.sandbox.jobrun import apply_move, blocking_errors, delete_check, move_errors
from reconciler.sandbox.objects import iso
from reconciler.sandbox.org import org_of
from reconciler.sandbox.shapes import DISABLE_CALLING_POST, MOVE_USERS_POST
from reconciler.sandbox.store import Doc, Store
from reconciler.sandbox.web import Ctx, int_param, json_response, next_link, page_size

MOVE_MAX = 100
#: the job lists' ``max``: "Default is 2000" (the list-move-users-jobs reference); no maximum
#: is documented, so none above the default is granted
JOBS_PAGE = (2000, 2000)
#: who "ran" a job: the partner administrator the sandbox tokens stand for
PARTNER_ADMIN = encode("PEOPLE", fixed_uuid("partner-admin"))


def _refuse(code: int, message: str) -> ApiError:
    return ApiError(400, message, code=code)


def _job(store: Store, now: float, *, kind: str, org_id: str, name: str) -> Doc:
    stamp = iso(now)
    instance = store.counter + 1
    return {
        "name": name,
        "id": store.mint("JOB_ID"),
        "trackingId": f"SANDBOX_{instance}",
        "sourceUserId": PARTNER_ADMIN,
        "sourceCustomerId": org_id,
        "targetCustomerId": org_id,
        "instanceId": instance,
        "jobExecutionStatus": [
            {
                "id": instance,
                "startTime": stamp,
                "lastUpdated": stamp,
                "statusMessage": "STARTED",
                "exitCode": "UNKNOWN",
                "createdTime": stamp,
                "timeElapsed": "PT0S",
            }
        ],
        "latestExecutionStatus": "STARTED",
        "latestExecutionExitCode": "UNKNOWN",
        "_kind": kind,
    }


def _store_job(ctx: Ctx, job: Doc) -> None:
    due = ctx.now() + ctx.cfg.job_seconds
    ctx.store.insert("jobs", job, org_id=job["targetCustomerId"], kind=job["_kind"], due=due)


def _public(job: Doc) -> Doc:
    return {k: v for k, v in job.items() if not k.startswith("_")}


def _load(ctx: Ctx, request: Request, kind: str) -> Doc:
    org_id = org_of(ctx, request)
    job = ctx.store.get("jobs", request.path_params["jobId"])
    if job is None or job["_kind"] != kind or job["targetCustomerId"] != org_id:
        raise not_found("Job")
    return job


# move users -------------------------------------------------------------------------
def _move_requests(body: dict[str, Any]) -> list[tuple[bool, str, dict[str, Any]]]:
    """``(validate, locationId, user)`` of every user asked for; request-level 400s."""
    groups = body.get("usersList")
    if not isinstance(groups, list) or not groups:
        raise _refuse(1026011, "Users list should not be empty.")
    out: list[tuple[bool, str, dict[str, Any]]] = []
    for group in groups:
        if not isinstance(group, dict):
            raise _refuse(1026011, "Users list should not be empty.")
        if not isinstance(group.get("validate"), bool):
            raise _refuse(1026006, "Attribute 'Validate' is required.")
        users = group.get("users")
        if not isinstance(users, list) or not users:
            raise _refuse(1026012, "Users should not be empty.")
        target = group.get("locationId")
        if not isinstance(target, str) or not target:
            raise _refuse(1026021, "Attribute location id is required for Calling user.")
        for user in users:
            if not isinstance(user, dict) or not isinstance(user.get("userId"), str):
                raise ApiError(400, "Attribute 'User ID' is required.")
            phone = user.get("phoneNumber")
            if phone and (not isinstance(phone, str) or not rules.E164.match(phone)):
                raise _refuse(1026017, "Phone number is not in e164 format.")
            out.append((group["validate"], target, user))
    if len(out) > MOVE_MAX:
        raise _refuse(1026018, "Selected Users list exceeds the maximum limit.")
    ids = [u["userId"] for _, _, u in out]
    if len(set(ids)) != len(ids):
        raise _refuse(1026019, "Duplicate entry for user is not allowed.")
    if any(v for v, _, _ in out) and len(out) > 1:
        raise _refuse(1026020, "Validate 'true' is supported only for single user.")
    return out


async def move_users(ctx: Ctx, request: Request) -> Response:
    """``POST /telephony/config/jobs/person/moveLocation``: ``validate: true`` answers 200
    ``{response: [{userId, impacts, errors}]}``; a move answers 201 ``{response: job}``."""
    org_id = org_of(ctx, request)
    moves = _move_requests(await ctx.body(request, MOVE_USERS_POST))
    people: list[Doc] = []
    for _, _, user in moves:
        person = ctx.store.get("people", user["userId"])
        if person is None or person["orgId"] != org_id:
            raise _refuse(2150012, "User was not found")
        calling = is_calling_user(person)
        if not calling and ("phoneNumber" in user or "extension" in user):
            raise _refuse(
                1026023, "Extension and phone number is supported for calling users only."
            )
        people.append(person)
    validate, target_id, user = moves[0]
    if validate:
        if not is_calling_user(people[0]):
            raise _refuse(1026022, "Validate 'true' is supported for calling users only.")
        errors = move_errors(ctx.store, ctx.cfg, org_id, people[0], target_id, user)
        return json_response(
            {"response": [{"userId": user["userId"], "impacts": [], "errors": errors}]}
        )
    if len(moves) == 1 and not is_calling_user(people[0]):
        # "When a single non calling user is moved, it will be moved synchronously"
        target = ctx.store.get("locations", target_id)
        if target is None or target["orgId"] != org_id:
            raise ApiError(404, "Location Not Found", code=4152)
        apply_move(ctx.store, ctx.now(), people[0], target_id, user)
        return json_response({"response": [{"userId": user["userId"]}]})
    if not all(is_calling_user(p) for p in people):
        raise _refuse(1026010, "User is not a valid Calling User.")
    job = _job(ctx.store, ctx.now(), kind="move", org_id=org_id, name="moveusers")
    job["counts"] = {"totalMoves": len(moves), "moved": 0, "failed": 0, "pending": 0, "skipped": 0}
    job["_moves"] = [{"locationId": t, **u} for _, t, u in moves]
    _store_job(ctx, job)
    return json_response({"response": _public(job)}, 201)


async def get_move_job(ctx: Ctx, request: Request) -> Response:
    return json_response(_public(_load(ctx, request, "move")))


# disable calling ---------------------------------------------------------------------
async def precheck_delete(ctx: Ctx, request: Request) -> Response:
    """``POST …/locations/{locationId}/actions/precheckForDeletion/invoke`` (no body)."""
    org_id = org_of(ctx, request)
    location = calling_location(ctx, org_id, request.path_params["locationId"])
    return json_response(delete_check(ctx.store, ctx.cfg, location))


async def disable_calling(ctx: Ctx, request: Request) -> Response:
    """``POST /telephony/config/jobs/locations/deleteCallingLocation``: 202 with the job."""
    org_id = org_of(ctx, request)
    body = await ctx.body(request, DISABLE_CALLING_POST)
    location_id = body.get("locationId")
    if not isinstance(location_id, str) or not location_id:
        raise ApiError(400, "locationId is required.")
    if "forceDelete" in body and not isinstance(body["forceDelete"], bool):
        raise ApiError(400, "forceDelete must be a boolean.")
    location = calling_location(ctx, org_id, location_id)
    blocking = blocking_errors(ctx.store, ctx.cfg, location)
    if blocking and ctx.cfg.disable_calling_blocked == "refuse":
        raise ApiError(
            409, "Safe delete checks failed.", descriptions=[e["message"] for e in blocking]
        )
    job = _job(ctx.store, ctx.now(), kind="disable", org_id=org_id, name="deletecallinglocation")
    job["locationName"] = location["name"]
    job["_locationId"] = location["id"]
    _store_job(ctx, job)
    return json_response(_public(job), 202)


async def get_disable_job(ctx: Ctx, request: Request) -> Response:
    return json_response(_public(_load(ctx, request, "disable")))


# lists and errors ----------------------------------------------------------------------
async def _list(ctx: Ctx, request: Request, kind: str) -> Response:
    org_id = org_of(ctx, request)
    size = page_size(request, JOBS_PAGE)
    start = int_param(request, "start", 0)
    docs = ctx.store.select("jobs", {"org_id": org_id, "kind": kind}, order="rowid DESC")
    page = [_public(d) for d in docs[start : start + size]]
    headers = next_link(ctx, request, start + size, size) if start + size < len(docs) else None
    return json_response({"items": page}, 200, headers)


async def list_move_jobs(ctx: Ctx, request: Request) -> Response:
    """``GET /telephony/config/jobs/person/moveLocation``: the org's move-users jobs."""
    return await _list(ctx, request, "move")


async def list_disable_jobs(ctx: Ctx, request: Request) -> Response:
    """``GET /telephony/config/jobs/locations/deleteCallingLocation``: the org's jobs."""
    return await _list(ctx, request, "disable")


def _message(error: Doc, where: str, location_id: str) -> Doc:
    return {"description": error["message"], "code": str(error["code"]), where: location_id}


async def move_job_errors(ctx: Ctx, request: Request) -> Response:
    """``GET …/moveLocation/{jobId}/errors``: one item per user the job could not move
    (``item`` the user's UUID, as in the published example); none while it runs."""
    job = _load(ctx, request, "move")
    targets = {m["userId"]: m["locationId"] for m in job["_moves"]}
    items = []
    for number, error in enumerate(job.get("_errors") or (), start=1):
        decoded = decode(error["userId"])
        items.append(
            {
                "itemNumber": number,
                "item": decoded[1] if decoded else error["userId"],
                "trackingId": job["trackingId"],
                "error": {
                    "key": "400",
                    "message": [_message(error, "location", targets[error["userId"]])],
                },
            }
        )
    return json_response({"items": items})


async def disable_job_errors(ctx: Ctx, request: Request) -> Response:
    """``GET …/deleteCallingLocation/{jobId}/errors``: the failed job's ``BATCH-…`` errors."""
    job = _load(ctx, request, "disable")
    items = [
        {
            "itemNumber": number,
            "errorType": "ERROR",
            "trackingId": job["trackingId"],
            "error": {"key": "400", "message": [_message(e, "locationId", job["_locationId"])]},
        }
        for number, e in enumerate(job.get("_errors") or (), start=1)
    ]
    return json_response({"items": items})
