"""Numbers a location's PSTN provider supplies (pure): a user's number at a location whose
calling this plan enables (or whose customer's provisioning makes it a calling location),
and that the plan does not add, can only come from the provider (Cisco Calling Plans, an
integrated cloud-connected PSTN). The location's inventory is empty until then, so the plan
cannot check the number: it marks the user change (``UserFacts.provider_number``; apply
waits for the number before sending it, :mod:`reconciler.operations.provider`) and warns
once per location, naming the numbers.
"""

from __future__ import annotations

from dataclasses import replace

from reconciler.plan import Change, Kind, Notice, NumberFacts, UserFacts, address_of
from reconciler.planner.calling import Scene
from reconciler.planner.common import Findings, merged


def with_provider_numbers(
    scene: Scene, calling: Findings, people: Findings, wait: float
) -> Findings:
    """``calling`` and ``people`` (the users' findings) as one, with each user change whose
    number the location's PSTN provider must supply marked ``provider_number``, and a
    warning per such location,
    at its calling step (or its location, when the customer's provisioning enables it)
    naming the numbers apply will wait for (up to ``wait`` seconds). ``calling``:
    :func:`plan_calling`'s findings."""
    ext = scene.cust.external_id
    enabled = {c.name for c in calling.changes if c.kind == "calling" and c.action == "create"}
    if scene.carried is not None:
        enabled.add(scene.carried)
    if not enabled:
        return merged((calling, people))
    added = {
        (c.facts.location, c.facts.number)
        for c in calling.changes
        if isinstance(c.facts, NumberFacts) and c.action == "create"
    }
    awaited: dict[str, dict[str, str]] = {}
    changes: list[Change] = []
    for change in people.changes:
        facts = change.facts
        user = facts.user if isinstance(facts, UserFacts) else None
        number = facts.sets_number if isinstance(facts, UserFacts) else None
        place = user.location if user is not None else None
        live_user = scene.live_users.get(user.email.lower()) if user is not None else None
        if (
            not isinstance(facts, UserFacts)
            or not number
            or place is None
            or place not in enabled
            or (place, number) in added
            or (live_user is not None and live_user.phone_number == number)
        ):
            changes.append(change)
            continue
        awaited.setdefault(place, {})[number] = change.name or ""
        changes.append(replace(change, facts=replace(facts, provider_number=True)))
    if not awaited:
        return merged((calling, people))
    warnings = []
    for place, numbers in sorted(awaited.items()):
        listed = ", ".join(sorted(numbers))
        message = (
            f"{len(numbers)} number(s) of location '{place}' come from its PSTN provider once "
            f"calling is enabled there (the plan adds no numbers to it): {listed}; apply waits "
            f"up to {wait:g} s (Settings providerNumbersWaitSeconds) for them to reach the "
            f"location's number inventory before sending the {len(set(numbers.values()))} "
            "user(s) that take them, and fails those users unsent if they do not arrive"
        )
        kind: Kind = "location" if place == scene.carried else "calling"
        warnings.append(Notice(address_of(kind, ext, place), message))
    marked = Findings(tuple(changes), people.warnings, people.unmanaged, people.blocked)
    return merged((calling, marked, Findings(warnings=tuple(warnings))))
