"""What the CLI and tests call: one function per command, each through the same opening.

- ``session``: the shared opening (load the desired state, check the ``--customer`` names,
  resolve the scope, open a client with the YAML's templates);
- ``seams``: the one value of everything taken from the world (clock, sleep, poll policy,
  limits, retries, how a client is opened);
- ``connect``: where the tool talks to (the in-process sandbox or Partner Hub) and how a
  client is opened;
- ``plan``, ``apply``, ``export``: the commands' workflows (``prechecks``: Webex's
  ``/validate`` calls for a plan).

Only this package opens a client.
"""

from reconciler.workflow.apply import (
    DEFAULT_CONCURRENCY_FACTOR,
    NO_REVIEW,
    WAITING_PHASE,
    ApplyRun,
    Confirm,
    Review,
    apply_directory,
    describe_mismatch,
    in_flight_customers,
    plan_after_jobs,
)
from reconciler.workflow.connect import (
    ApiTarget,
    SandboxTarget,
    Target,
    open_client,
    resolve_target,
)
from reconciler.workflow.export import Exported, export_directory, read_estate, self_check
from reconciler.workflow.plan import Planned, make_plan, plan_with, read_for_plan
from reconciler.workflow.prechecks import run_prechecks
from reconciler.workflow.seams import REAL_SEAMS, Seams
from reconciler.workflow.session import (
    EVERY_CUSTOMER,
    Selection,
    Session,
    check_named_customers,
    open_session,
    resolve_scope,
    templates_of,
)

__all__ = [
    "DEFAULT_CONCURRENCY_FACTOR",
    "EVERY_CUSTOMER",
    "NO_REVIEW",
    "REAL_SEAMS",
    "WAITING_PHASE",
    "ApiTarget",
    "ApplyRun",
    "Confirm",
    "Exported",
    "Planned",
    "Review",
    "SandboxTarget",
    "Seams",
    "Selection",
    "Session",
    "Target",
    "apply_directory",
    "check_named_customers",
    "describe_mismatch",
    "export_directory",
    "in_flight_customers",
    "make_plan",
    "open_client",
    "open_session",
    "plan_after_jobs",
    "plan_with",
    "read_estate",
    "read_for_plan",
    "resolve_scope",
    "resolve_target",
    "run_prechecks",
    "self_check",
    "templates_of",
]
