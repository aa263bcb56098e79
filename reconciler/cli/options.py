"""Arguments and options shared by the commands: the DIR argument, and the target and scope
options of the commands that talk to Partner Hub (plan, apply, export).

``@target_options`` adds ``--sandbox [FILE]`` (env ``RECONCILER_SANDBOX``; the file defaults to
``.reconciler-sandbox.sqlite``) and ``--api-url`` (env ``WEBEX_API_URL``), reads the credentials
from the environment, and passes one ``target`` argument to the command. With no target and no
credentials the command stops with one message naming both ways (exit 64).

``@scope_options`` adds ``--customer EXTID`` (repeatable) and ``--changed-since GITREF`` and
passes ``customer: tuple[str, ...]`` and ``changed_since: str | None``;
:class:`reconciler.workflow.Selection` carries them to the workflow, which turns them into
the set of externalIds in scope (None = everything) once the directory is loaded.

``@cache_option`` adds ``--cache-dir DIR`` (env ``RECONCILER_CACHE_DIR``) and ``--no-cache`` and
passes ``cache: Path | None``: where checked desired-state documents are kept between runs,
by default ``reconciler-cache`` inside the git directory of the repository holding DIR (none
outside a git working tree).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from reconciler import errors
from reconciler.cli.exits import fail
from reconciler.desired.cache import default_cache
from reconciler.workflow.connect import DEFAULT_SANDBOX_FILE, Target, resolve_target

F = TypeVar("F", bound=Callable[..., Any])


#: The desired-state directory argument every command that reads YAML takes.
directory_argument = click.argument(
    "directory",
    default="desired-state",
    type=click.Path(path_type=Path, file_okay=False),
    metavar="[DIR]",
)


def target_options(func: F) -> F:
    """Add ``--sandbox [FILE]`` / ``--api-url`` and pass the resolved ``target``."""

    @functools.wraps(func)
    def wrapper(
        *args: Any,
        sandbox: str | None,
        api_url: str | None,
        sandbox_providers: Path | None,
        **kwargs: Any,
    ) -> Any:
        try:
            target: Target = resolve_target(
                sandbox=sandbox, api_url=api_url, env=os.environ, providers=sandbox_providers
            )
        except errors.ReconcilerError as exc:
            fail(exc)
        return func(*args, target=target, **kwargs)

    wrapper = click.option(
        "--sandbox-providers",
        "sandbox_providers",
        default=None,
        type=click.Path(path_type=Path, dir_okay=False),
        metavar="FILE",
        help="With --sandbox: the PSTN providers the sandbox stands in for (which customers "
        "get their numbers from a provider, and which numbers); see README.",
    )(wrapper)
    wrapper = click.option(
        "--api-url",
        envvar="WEBEX_API_URL",
        default=None,
        metavar="URL",
        help="Partner Hub API root (default https://webexapis.com/v1; env WEBEX_API_URL). "
        "Credentials: WEBEX_TOKEN, or WEBEX_CLIENT_ID + WEBEX_CLIENT_SECRET + "
        "WEBEX_REFRESH_TOKEN.",
    )(wrapper)
    return click.option(  # type: ignore[return-value]
        "--sandbox",
        envvar="RECONCILER_SANDBOX",
        is_flag=False,
        flag_value=DEFAULT_SANDBOX_FILE,
        default=None,
        metavar="[FILE]",
        help=f"Run against the local sandbox kept in FILE (default {DEFAULT_SANDBOX_FILE}; "
        "env RECONCILER_SANDBOX).",
    )(wrapper)


def scope_options(func: F) -> F:
    """Add ``--customer EXTID`` (repeatable) and ``--changed-since GITREF``."""
    func = click.option(
        "--changed-since",
        "changed_since",
        default=None,
        metavar="GITREF",
        help="Only customers whose YAML changed since GITREF (plus every customer of a "
        "changed template).",
    )(func)
    return click.option(
        "--customer",
        "customer",
        multiple=True,
        metavar="EXTID",
        help="Only this customer (externalId); repeatable.",
    )(func)


def cache_option(func: F) -> F:
    """Add ``--cache-dir DIR`` / ``--no-cache`` and pass the resolved ``cache``."""

    @functools.wraps(func)
    def wrapper(*args: Any, cache_dir: Path | None, no_cache: bool, **kwargs: Any) -> Any:
        cache = None if no_cache else cache_dir or default_cache(kwargs["directory"])
        return func(*args, cache=cache, **kwargs)

    wrapper = click.option(
        "--no-cache",
        is_flag=True,
        help="Check every file of DIR from scratch and keep nothing.",
    )(wrapper)
    return click.option(  # type: ignore[return-value]
        "--cache-dir",
        envvar="RECONCILER_CACHE_DIR",
        type=click.Path(path_type=Path, file_okay=False),
        default=None,
        metavar="DIR",
        help="Keep checked documents of the desired state in DIR between runs (env "
        "RECONCILER_CACHE_DIR; default: reconciler-cache in the repository's git directory). "
        "As trusted as the checkout: an entry vouches for a file.",
    )(wrapper)
