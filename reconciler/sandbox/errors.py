"""The API's error shape: ``{message, errors: [{description, errorCode?}], trackingId}``."""

from __future__ import annotations

from typing import Any

import httpx


class ApiError(Exception):
    """An error answer. Raised by handlers; rendered by the app with the tracking ID."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: int | None = None,
        descriptions: list[str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.descriptions = descriptions or [message]
        self.headers = headers or {}

    def body(self, tracking_id: str) -> dict[str, Any]:
        errors: list[dict[str, Any]] = []
        for text in self.descriptions:
            item: dict[str, Any] = {"description": text}
            if self.code is not None:
                item["errorCode"] = self.code
            errors.append(item)
        return {"message": self.message, "errors": errors, "trackingId": tracking_id}


def bad_request(*problems: str, code: int | None = None) -> ApiError:
    """400 listing every problem found in the request."""
    return ApiError(400, problems[0], code=code, descriptions=list(problems))


def email_taken(status: int) -> ApiError:
    """Webex's answer for an email that is already a person (errorCode 10022)."""
    return ApiError(status, "The email is already associated with an existing user.", code=10022)


def not_found(what: str) -> ApiError:
    return ApiError(404, f"{what} not found.")


class ConnectionDropped(httpx.RemoteProtocolError):
    """The write was committed, then the connection dropped without an answer.

    Raised out of the app in ``drop_mode="raise"``; it is an httpx transport error, so a
    client over ``httpx.ASGITransport`` sees exactly what a dropped connection gives it.
    """
