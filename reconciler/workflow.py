"""What the CLI and tests call: load desired state, read live state, plan, precheck.

The commands stay thin (options → one call here → render → exit code); apply re-plans through
the same ``make_plan`` so the plan it executes is computed exactly as the reviewed one was.
"""

from __future__ import annotations

from reconciler.plan import Plan

EXIT_OK = 0
EXIT_CHANGES = 2
EXIT_BLOCKED = 3


def plan_exit_code(plan: Plan, *, detailed_exitcode: bool, force: bool) -> int:
    """SPEC §3: 3 when blocked (unless forced); with ``--detailed-exitcode`` 2 when there are
    changes and 0 when there are none; otherwise 0."""
    if plan.is_blocked and not force:
        return EXIT_BLOCKED
    if detailed_exitcode and not plan.is_empty:
        return EXIT_CHANGES
    return EXIT_OK
