"""The PSTN provider facts an in-process sandbox stands in for (``--sandbox-providers FILE``).

With Cisco Calling Plans or an integrated cloud-connected PSTN provider, a location's numbers
arrive from the provider, never by a partner's API call. A sandbox started from empty has no
provider, so an example customer on such a provider could never converge; this file tells the
sandbox what the provider would do, and makes it no kinder: the provider's locations still
refuse numbers added by API, and a number the provider never assigned is still refused. It is
a fact of the world, kept apart from the desired state::

    customers:
      SCH-88214:                       # externalId
        pstn: INTEGRATED_CCP           # or CISCO_CALLING_PLAN, NON_INTEGRATED_CCP, LOCAL_GATEWAY
        numbers:                       # location name → the numbers the provider assigns it
          Sydney Head Office: ['+61290000001']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from reconciler.errors import UsageError

PSTN_TYPES = ("LOCAL_GATEWAY", "NON_INTEGRATED_CCP", "INTEGRATED_CCP", "CISCO_CALLING_PLAN")


@dataclass(frozen=True, slots=True)
class ProviderFacts:
    """PSTN connection per customer externalId and the provider's numbers per
    (externalId, location name)."""

    customer_pstn: dict[str, str] = field(default_factory=dict)
    provider_numbers: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)


def read_providers(path: Path) -> ProviderFacts:
    """The facts of ``path``; one UsageError naming the file and what is wrong."""
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"--sandbox-providers {path}: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise UsageError(f"--sandbox-providers {path}: not YAML ({exc})") from exc
    customers = data.get("customers") if isinstance(data, dict) else None
    if not isinstance(customers, dict):
        raise UsageError(f"--sandbox-providers {path}: needs a 'customers' mapping")
    facts = ProviderFacts()
    for ext, entry in customers.items():
        where = f"--sandbox-providers {path}: customer {ext!r}"
        if not isinstance(entry, dict) or entry.get("pstn") not in PSTN_TYPES:
            raise UsageError(f"{where}: pstn must be one of {', '.join(PSTN_TYPES)}")
        facts.customer_pstn[str(ext)] = str(entry["pstn"])
        numbers = entry.get("numbers") or {}
        if not isinstance(numbers, dict):
            raise UsageError(f"{where}: numbers must map location names to lists")
        for location, values in numbers.items():
            if not isinstance(values, list) or not all(
                isinstance(v, str) and v.startswith("+") for v in values
            ):
                raise UsageError(f"{where}: numbers of {location!r} must be quoted E.164 numbers")
            facts.provider_numbers[(str(ext), str(location))] = tuple(values)
    return facts
