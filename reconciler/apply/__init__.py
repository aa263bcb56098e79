"""Apply a plan: ``engine`` executes one (dependency order, bounded concurrency, failure
isolation; knows nothing about HTTP), ``run`` is the workflow around it (re-plan against live
Partner Hub, wait for jobs an interrupted run left going, refuse a stale or blocked plan,
confirm, execute through ``reconciler.operations``)."""

from __future__ import annotations

from reconciler.apply.engine import (
    STATUSES,
    ApplyResult,
    ChangeResult,
    Operations,
    Reporter,
    Status,
    apply_plan,
    dependency_indices,
    waves,
)
from reconciler.apply.run import (
    DEFAULT_CONCURRENCY_FACTOR,
    WAITING_PHASE,
    ApplyRun,
    Confirm,
    apply_directory,
    describe_mismatch,
    in_flight_customers,
    plan_after_jobs,
)

__all__ = [
    "DEFAULT_CONCURRENCY_FACTOR",
    "STATUSES",
    "WAITING_PHASE",
    "ApplyResult",
    "ApplyRun",
    "ChangeResult",
    "Confirm",
    "Operations",
    "Reporter",
    "Status",
    "apply_directory",
    "apply_plan",
    "dependency_indices",
    "describe_mismatch",
    "in_flight_customers",
    "plan_after_jobs",
    "waves",
]
