"""Plan renderings: text (a terminal or a log), Markdown (a pull-request comment), JSON; pure.

The renderers only read a ``Plan``; whether to colour is the caller's decision (the CLI colours
only on a terminal without ``NO_COLOR``). Every text that comes from data (addresses, values,
notes, messages) goes through :mod:`reconciler.safetext` for its sink: one line without control
or escape sequences in text, and escaped or in unbreakable code spans in Markdown.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Literal

from reconciler.plan import JSON, Change, Notice, Plan, deletes_phrase
from reconciler.safetext import html_text, md_cell, md_code, md_text, terminal

Format = Literal["text", "markdown", "json"]
FORMATS: tuple[Format, ...] = ("text", "markdown", "json")

#: GitHub refuses comments over 65,536 characters; stay well below.
MARKDOWN_LIMIT = 60_000

SYMBOL = {"create": "+", "update": "~", "delete": "-"}
_ANSI = {"create": "32", "update": "33", "delete": "31", "warning": "33", "blocked": "1;31"}


def render(plan: Plan, fmt: Format, *, color: bool = False) -> str:
    if fmt == "json":
        return as_json(plan)
    if fmt == "markdown":
        return markdown(plan)
    return text(plan, color=color)


def as_json(plan: Plan) -> str:
    return plan.to_json() + "\n"


#: At most this many customer deletes are named in the summary line (the rest are counted).
NAMED_CUSTOMER_DELETES = 5


def summary_line(plan: Plan, *, escape: Callable[[str], str] = terminal) -> str:
    """The counts, then each customer delete with what goes with it (``deletes customer
    HVD-10231 with 3 locations and 41 users``): one delete there can be hundreds of objects.
    ``escape`` makes the externalIds safe for the sink (a terminal by default)."""
    n = {action: sum(kinds.values()) for action, kinds in plan.summary.items()}
    line = f"Plan: {n['create']} to create, {n['update']} to update, {n['delete']} to delete."
    deletes = [c for c in plan.changes if c.kind == "customer" and c.action == "delete"]
    if deletes:
        named = [escape(deletes_phrase(c)) for c in deletes[:NAMED_CUSTOMER_DELETES]]
        more = len(deletes) - len(named)
        line += " Deletes " + "; ".join(named)
        line += f"; and {more} more customer(s)." if more else "."
    return line


def value(v: JSON) -> str:
    """One field value on one line: strings quoted, lists and objects as compact JSON (and
    no control or invisible character, see ``safetext.terminal``)."""
    return terminal(json.dumps(v, ensure_ascii=False, sort_keys=True, separators=(", ", ": ")))


def _paint(s: str, key: str, color: bool) -> str:
    return f"\x1b[{_ANSI[key]}m{s}\x1b[0m" if color else s


def change_lines(change: Change, prechecks: dict[str, str], *, indent: str = "  ") -> list[str]:
    """A change as Terraform-like lines (no colour): the symbol and address, then its fields,
    notes, dependencies and precheck result; each line safe for a terminal."""
    out = [f"{indent}{SYMBOL[change.action]} {terminal(change.address)}"]
    width = max((len(terminal(f.field)) for f in change.fields), default=0)
    for f in change.fields:
        label = f"{terminal(f.field)}:".ljust(width + 1)
        if change.action == "update" and isinstance(f.before, dict) and isinstance(f.after, dict):
            out.append(f"{indent}    {label}")
            for key in sorted(set(f.before) | set(f.after)):
                old, new = f.before.get(key), f.after.get(key)
                if old != new:
                    out.append(f"{indent}      {terminal(key)}: {value(old)} -> {value(new)}")
        elif change.action == "update":
            out.append(f"{indent}    {label} {value(f.before)} -> {value(f.after)}")
        elif change.action == "delete":
            out.append(f"{indent}    {label} {value(f.before)}")
        else:
            out.append(f"{indent}    {label} {value(f.after)}")
    out.extend(f"{indent}    # {terminal(n)}" for n in change.notes)
    if change.depends_on:
        out.append(f"{indent}    # after: {terminal(', '.join(change.depends_on))}")
    if change.address in prechecks:
        out.append(f"{indent}    # precheck: {terminal(prechecks[change.address])}")
    return out


def _notices(title: str, notices: Iterable[Notice], mark: str) -> list[str]:
    items = [f"  {mark} {terminal(n.address)}: {terminal(n.message)}" for n in notices]
    return [title, *items, ""] if items else []


def text(plan: Plan, *, color: bool = False) -> str:
    prechecks = {n.address: n.message for n in plan.prechecks}
    lines: list[str] = []
    if plan.scope:
        lines += [f"Scope: {terminal(', '.join(plan.scope))} (a partial plan)", ""]
    if plan.changes:
        lines.append("Changes (+ create, ~ update, - delete):")
        for change in plan.changes:
            block = change_lines(change, prechecks)
            lines.append(_paint(block[0], change.action, color))
            lines.extend(block[1:])
        lines.append("")
    else:
        lines += ["No changes. Partner Hub matches the desired state.", ""]
    warnings = _notices("Warnings:", plan.warnings, "!")
    if warnings:
        warnings[0] = _paint(warnings[0], "warning", color)
    lines += warnings
    lines += _notices("Unmanaged (left alone):", plan.unmanaged, "?")
    blocked = _notices("Blocked (exit 3 unless --force):", plan.blocked, "x")
    if blocked:
        blocked[0] = _paint(blocked[0], "blocked", color)
    lines += blocked
    planned = {c.address for c in plan.changes}
    orphans = [n for n in plan.prechecks if n.address not in planned]
    lines += _notices("Prechecks:", orphans, "*")
    lines.append(summary_line(plan))
    lines.append(f"Checksum: {plan.checksum}")
    return "\n".join(lines) + "\n"


# --- Markdown --------------------------------------------------------------------------------


def _customer_of(address: str, known: frozenset[str] = frozenset()) -> str:
    """The customer an address belongs to. An externalId may itself contain ``/``, so the
    longest customer the plan knows that the address starts with wins; a customer's own address
    (``customer/EXT``) is all customer; otherwise the first segment."""
    kind, _, rest = address.partition("/")
    if kind == "customer":
        return rest
    best = ""
    for cust in known:
        if len(cust) > len(best) and rest.startswith(cust + "/"):
            best = cust
    return best or rest.split("/", 1)[0]


def _known_customers(plan: Plan) -> frozenset[str]:
    """Every customer ID the plan names outright: its changes', its customer notices'."""
    known = {c.customer for c in plan.changes}
    for n in (*plan.warnings, *plan.blocked, *plan.unmanaged, *plan.prechecks):
        kind, _, rest = n.address.partition("/")
        if kind == "customer":
            known.add(rest)
    return frozenset(known)


def _deletes(changes: list[Change]) -> bool:
    return any(c.action == "delete" for c in changes)


def _section(cust: str, changes: list[Change], prechecks: dict[str, str]) -> tuple[str, list[str]]:
    """One customer's collapsed details: its title and one text block per change (deletes
    first, then the rest in plan order)."""
    ordered = sorted(changes, key=lambda c: c.action != "delete")
    blocks = [
        "\n".join(
            # GitHub's diff highlighting colours `!` lines as changed, not `~` ones.
            "!" + line[1:] if line.startswith("~ ") else line
            for line in change_lines(c, prechecks, indent="")
        ).replace("```", "'''")
        for c in ordered
    ]
    return f"{html_text(cust)}: {len(changes)} change(s)", blocks


def _fit(sections: list[tuple[str, list[str]]], room: int) -> tuple[str, int]:
    """As many changes of the sections, in order, as fit in ``room`` characters; a section
    that does not fit whole shows its first changes and says how many it leaves out. Returns
    the text and the number of changes left out."""
    out: list[str] = []
    used = left = 0
    for title, blocks in sections:
        head = f"<details><summary>{title}</summary>\n\n```diff\n"
        tail = "\n```\n\n</details>\n"
        note_room = 80
        taken: list[str] = []
        size = len(head) + len(tail) + note_room
        for block in blocks:
            if used + size + len(block) + 1 > room:
                break
            taken.append(block)
            size += len(block) + 1
        if not taken:
            left += len(blocks)
            continue
        missing = len(blocks) - len(taken)
        if missing:
            taken.append(f"# ... {missing} more change(s) of this customer: see the JSON plan")
        out.append(head + "\n".join(taken) + tail)
        used += size
        left += missing
    return "".join(out), left


def markdown(plan: Plan, *, limit: int = MARKDOWN_LIMIT) -> str:
    """A pull-request comment: summary table per customer first, details collapsed (customers
    with deletes first), kept under ``limit`` characters: a section that does not fit whole
    shows what fits, and what does not fit is counted in a closing note."""
    prechecks = {n.address: n.message for n in plan.prechecks}
    known = _known_customers(plan)
    per: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    changes_of: dict[str, list[Change]] = defaultdict(list)
    for c in plan.changes:
        per[c.customer][c.action] += 1
        changes_of[c.customer].append(c)
    for key, notices in (
        ("warnings", plan.warnings),
        ("blocked", plan.blocked),
        ("unmanaged", plan.unmanaged),
    ):
        for n in notices:
            per[_customer_of(n.address, known)][key] += 1
    failed = [n for n in plan.prechecks if not n.message.startswith("ok")]
    for n in failed:
        per[_customer_of(n.address, known)]["prechecks"] += 1

    summary = summary_line(plan, escape=md_text).removeprefix("Plan: ")
    head = [f"### reconciler plan: {summary}", ""]
    if plan.scope:
        head += [f"Scoped to: {', '.join(md_code(s) for s in plan.scope)} (a partial plan).", ""]
    if plan.blocked:
        head += [
            f"> [!CAUTION]\n> **Blocked** by {len(plan.blocked)} safety rule(s): `apply` "
            "refuses this plan unless `--force`.",
            "",
        ]
        head += [f"- {md_code(n.address)}: {md_text(n.message)}" for n in plan.blocked] + [""]
    head.append(f"Checksum: `{plan.checksum}`")
    head.append("")

    table_head = [
        "| Customer | + create | ~ update | - delete | Warnings | Blocked | Unmanaged |"
        + (" Prechecks failed |" if plan.prechecks else ""),
        "|---|---:|---:|---:|---:|---:|---:|" + ("---:|" if plan.prechecks else ""),
    ]
    rows = []
    for cust in sorted(per):
        counts = per[cust]
        row = (
            f"| {md_cell(cust) if cust else '(whole plan)'} | {counts['create']} | "
            f"{counts['update']} | {counts['delete']} | {counts['warnings']} | "
            f"{counts['blocked']} | {counts['unmanaged']} |"
        )
        if plan.prechecks:
            row += f" {counts['prechecks']} |"
        rows.append(row + "\n")

    sections = [
        _section(cust, changes_of[cust], prechecks)
        for cust in sorted(changes_of, key=lambda c: (not _deletes(changes_of[c]), c))
    ]
    warnings = [f"- {md_code(n.address)}: {md_text(n.message)}\n" for n in plan.warnings]
    unmanaged = [f"- {md_code(n.address)}: {md_text(n.message)}\n" for n in plan.unmanaged]

    out = "\n".join(head) + "\n"
    reserve = 400  # room for the closing note
    cut: dict[str, int] = {}

    def fill(title: str, items: list[str], what: str) -> None:
        nonlocal out
        if not items:
            return
        if len(out) + len(title) + len(items[0]) > limit - reserve:
            cut[what] = len(items)
            return
        out += title
        for i, item in enumerate(items):
            if len(out) + len(item) > limit - reserve:
                cut[what] = len(items) - i
                break
            out += item
        out += "\n"

    fill("\n".join(table_head) + "\n", rows, "summary rows")
    if not plan.changes:
        out += "No changes: Partner Hub matches the desired state.\n\n"
    fill("#### Warnings\n\n", warnings, "warnings")
    if sections:
        out += "#### Changes (`+` create, `!` update, `-` delete)\n\n"
        shown, left = _fit(sections, limit - reserve - len(out))
        out += shown + "\n"
        if left:
            cut["changes"] = left
    fill("#### Unmanaged (left alone)\n\n", unmanaged, "unmanaged entries")
    if cut:
        parts = ", ".join(f"{n} {what}" for what, n in cut.items())
        out += (
            f"> [!NOTE]\n> Cut to stay under {limit:,} characters: {parts} not shown. "
            "The complete plan is in the JSON plan (`reconciler plan --out plan.json`).\n"
        )
    return out
