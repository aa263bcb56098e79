"""Running telephony jobs, and the checks a job and its request share.

No request handling here (no web imports): the lifecycle settles due jobs before every
request through :func:`settle_jobs`.
"""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.calling import headquarters_id, place_number, work_number
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.objects import iso, location_cols, person_cols
from reconciler.sandbox.store import Doc, Store


def move_errors(
    store: Store, cfg: SandboxConfig, org_id: str, person: Doc, target_id: str, user: Doc
) -> list[dict[str, Any]]:
    """The errors a move of ``person`` to ``target_id`` meets (the validate answer's)."""
    target = store.get("locations", target_id)
    if target is None or target["orgId"] != org_id or not target.get("_calling"):
        return [{"code": 4152, "message": "Location Not Found"}]
    if person.get("locationId") == target_id:
        return [{"code": 25378, "message": "Target location is same as user's current location."}]
    errors: list[dict[str, Any]] = []
    phone = user.get("phoneNumber")
    keep = phone is None  # "If not provided, the existing phone number will be moved"
    if keep:
        phone = work_number(person)
        if phone and not cfg.move_keeps_number:
            errors.append({"code": 27966, "message": "A number of the new group must be given."})
            phone = ""
    if phone:
        held = store.get("numbers", phone)
        owners = [i for i in store.ids("people", {"phone": phone}) if i != person["id"]]
        usable = (
            held is not None
            and held["orgId"] == org_id
            and not owners
            and (keep or held["locationId"] == target_id)
        )
        if not usable:
            errors.append(
                {
                    "code": 27966,
                    "message": f"The phone number, {phone}, is not available in the new group.",
                }
            )
    extension = user.get("extension")
    if extension:
        taken = [
            i
            for i in store.ids(
                "people", {"org_id": org_id, "extension": extension, "location_id": target_id}
            )
            if i != person["id"]
        ]
        if taken:
            errors.append(
                {
                    "code": 4202,
                    "message": "The extension is not available. It is already "
                    f"assigned to a user : {extension}",
                }
            )
    return errors


def apply_move(store: Store, now: float, person: Doc, target_id: str, user: Doc) -> None:
    old_number = work_number(person)
    phone = user.get("phoneNumber")
    if phone is None:
        if old_number:
            place_number(store, old_number, person["orgId"], target_id, "ACTIVE")
    elif phone:
        person["phoneNumbers"] = [{"type": "work", "value": phone, "primary": True}]
    else:
        person["phoneNumbers"] = []
    if "extension" in user:
        if user["extension"]:
            person["extension"] = user["extension"]
        else:
            person.pop("extension", None)
    person["locationId"] = target_id
    person["lastModified"] = iso(now)
    store.update("people", person, **person_cols(person))


def delete_check(store: Store, cfg: SandboxConfig, location: Doc) -> dict[str, Any]:
    """The pre-delete check of a calling location (trunks and features are not modelled).

    With ``headquarters_disable_blocked`` the headquarters is BLOCKED even when other
    calling locations exist: it can never be deleted, so disabling it leads nowhere
    (INFERRED; Webex documents only the last calling location as blocking)."""
    org_id = location["orgId"]
    others = [d for d in store.select("locations", {"org_id": org_id}) if d.get("_calling")]
    # calling users: a person at the location with a number or an extension
    users = sum(
        1
        for person in store.select("people", {"org_id": org_id, "location_id": location["id"]})
        if person.get("extension")
        or any(p.get("type") == "work" for p in person.get("phoneNumbers", []))
    )
    last = len(others) <= 1
    numbers = store.count("numbers", {"location_id": location["id"]})
    hq = cfg.headquarters_disable_blocked and headquarters_id(store, org_id) == location["id"]
    blocked = last or users > 0 or hq
    return {
        "locationDeleteStatus": "BLOCKED" if blocked else "UNBLOCKED",
        "blocking": {
            "lastLocation": last,
            "trunksInUseCount": 0,
            "usersInUseCount": users,
            "workspacesInUseCount": 0,
            "virtualLineInUseCount": 0,
            "numbersOrderPending": False,
        },
        "nonBlocking": {"numbersPresent": numbers > 0},
        "blockingUnlessForced": {"nonUserEntitiesInUse": False, "trunksCount": 0},
    }


def blocking_errors(store: Store, cfg: SandboxConfig, location: Doc) -> list[dict[str, Any]]:
    check = delete_check(store, cfg, location)
    errors: list[dict[str, Any]] = []
    hq = headquarters_id(store, location["orgId"]) == location["id"]
    if check["blocking"]["lastLocation"] or (hq and cfg.headquarters_disable_blocked):
        errors.append(
            {
                "code": "BATCH-1012012",
                "message": "Not allowed to delete the last calling location (or the headquarters).",
            }
        )
    users = check["blocking"]["usersInUseCount"]
    if users:
        errors.append({"code": "BATCH-1012007", "message": f"Users associated ({users})."})
    return errors


# running -----------------------------------------------------------------------------
def _finish(job: Doc, now: float, exit_code: str) -> None:
    stamp = iso(now)
    step = job["jobExecutionStatus"][0]
    step.update(endTime=stamp, lastUpdated=stamp, exitCode=exit_code)
    step["statusMessage"] = "FAILED" if exit_code == "FAILED" else "COMPLETED"
    job["latestExecutionStatus"] = step["statusMessage"]
    job["latestExecutionExitCode"] = exit_code


def _run_move(store: Store, cfg: SandboxConfig, job: Doc, now: float) -> None:
    errors: list[dict[str, Any]] = []
    for move in job["_moves"]:
        person = store.get("people", move["userId"])
        found = (
            [{"code": 4003, "message": "User Not Found"}]
            if person is None
            else move_errors(store, cfg, job["targetCustomerId"], person, move["locationId"], move)
        )
        if found or person is None:
            job["counts"]["failed"] += 1
            errors += [{"userId": move["userId"], **e} for e in found]
            continue
        apply_move(store, now, person, move["locationId"], move)
        job["counts"]["moved"] += 1
    job["_errors"] = errors
    moved = job["counts"]["moved"]
    _finish(job, now, "COMPLETED" if not errors else "COMPLETED_WITH_ERRORS" if moved else "FAILED")


def _run_disable(store: Store, cfg: SandboxConfig, job: Doc, now: float) -> None:
    location = store.get("locations", job["_locationId"])
    if location is None or not location.get("_calling"):
        job["_errors"] = [{"code": "BATCH-1012014", "message": "Location not found."}]
        _finish(job, now, "FAILED")
        return
    errors = blocking_errors(store, cfg, location)
    if errors:
        job["_errors"] = errors
        _finish(job, now, "FAILED")
        return
    location["_calling"] = False
    location.pop("_main", None)
    store.update("locations", location, **location_cols(location))
    store.delete_where("numbers", {"location_id": location["id"]})
    job["_errors"] = []
    _finish(job, now, "COMPLETED")


def settle_jobs(store: Store, cfg: SandboxConfig, now: float) -> None:
    """Finish every job whose time has come (in start order)."""
    due = store.select("jobs", None, order="due, rowid", extra=("due <= ?", [now]))
    for job in due:
        if job["_kind"] == "move":
            _run_move(store, cfg, job, now)
        else:
            _run_disable(store, cfg, job, now)
        store.update("jobs", job, org_id=job["targetCustomerId"], kind=job["_kind"], due=None)
    if due:
        store.commit()
