"""Locations of one customer: match by name (or a ``previously`` name), diff, prune."""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.model import Customer, Location
from reconciler.plan import Change, FieldDiff, address_of
from reconciler.planner.builder import Builder, address_data, cust_addr, diff


def plan_locations(
    b: Builder,
    cust: Customer,
    desired: Mapping[str, Location],
    live: Mapping[str, Location],
) -> None:
    ext = cust.external_id
    b.managed["location"] += len(live)
    claimed: set[str] = set()
    renames: dict[str, str] = {}
    # Every change under a customer waits for that customer's create or update: Partner Hub
    # runs it asynchronously (provisioning / updating) and the org is settled only after it.
    deps = (cust_addr(ext),) if cust_addr(ext) in b.changes else ()

    # Present locations first, by their own name, so `previously` never steals a live
    # location that another desired location names directly.
    present = [loc for _, loc in sorted(desired.items()) if loc.state == "present"]
    claimed.update(loc.name for loc in present if loc.name in live)
    for loc in present:
        addr = address_of("location", ext, loc.name)
        match = live.get(loc.name)
        old_name = None
        if match is None:
            for prev in loc.previously:
                if prev in live and prev not in claimed:
                    match, old_name = live[prev], prev
                    claimed.add(prev)
                    renames[prev] = loc.name
                    break
        if match is None:
            if b.carried_hq.get(ext) == loc.name:
                continue
            new = (
                FieldDiff("name", None, loc.name),
                FieldDiff("address", None, address_data(loc.address)),
                FieldDiff("timeZone", None, loc.time_zone),
                FieldDiff("preferredLanguage", None, loc.preferred_language),
                FieldDiff("announcementLanguage", None, loc.announcement_language),
            )
            b.add(
                Change(
                    "create",
                    "location",
                    ext,
                    loc.name,
                    fields=tuple(f for f in new if f.after is not None),
                    depends_on=deps,
                )
            )
            continue
        if (
            loc.announcement_language is not None
            and match.announcement_language is not None
            and loc.announcement_language != match.announcement_language
        ):
            b.warn(
                addr,
                "announcementLanguage cannot change after creation: live "
                f"{match.announcement_language!r}, YAML {loc.announcement_language!r} (ignored)",
            )
        diffs = [
            diff("name", loc.name, match.name),
            diff("address", address_data(loc.address), address_data(match.address)),
            diff("timeZone", loc.time_zone, match.time_zone),
            diff("preferredLanguage", loc.preferred_language, match.preferred_language),
        ]
        changed = tuple(d for d in diffs if d is not None)
        if changed:
            notes = (f"rename from {old_name!r}",) if old_name else ()
            b.add(
                Change(
                    "update",
                    "location",
                    ext,
                    loc.name,
                    fields=changed,
                    depends_on=deps,
                    notes=notes,
                )
            )

    b.renamed[ext] = renames
    for loc in (loc for _, loc in sorted(desired.items()) if loc.state == "absent"):
        if loc.name in live and loc.name not in claimed:
            claimed.add(loc.name)
            b.add(
                Change(
                    "delete", "location", ext, loc.name, depends_on=deps, notes=("state: absent",)
                )
            )
    for name in sorted(set(live) - claimed):
        b.prune_or_list("location", ext, name, deps)
