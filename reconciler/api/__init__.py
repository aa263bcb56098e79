"""The Partner Hub API client: endpoints, limits, retries, auth and the read-only guard.

Plain dicts in and out; this package knows nothing of the desired-state model.
"""

from reconciler.api.auth import (
    DEFAULT_API_URL,
    Credentials,
    RefreshGrant,
    StaticToken,
    TokenProvider,
    check_api_url,
    credentials_from_env,
)
from reconciler.api.client import WebexClient
from reconciler.api.http import READ_ONLY_POSTS, ApiSession
from reconciler.api.limits import Limiter, RetryPolicy

__all__ = [
    "DEFAULT_API_URL",
    "READ_ONLY_POSTS",
    "ApiSession",
    "Credentials",
    "Limiter",
    "RefreshGrant",
    "RetryPolicy",
    "StaticToken",
    "TokenProvider",
    "WebexClient",
    "check_api_url",
    "credentials_from_env",
]
