"""The contract helper itself: it must catch what the official spec does not allow."""

from __future__ import annotations

import httpx
import pytest
from contract import (
    ContractViolation,
    check_exchange,
    check_request,
    check_response,
    find_operation,
)
from sandbox_helpers import customer_body


def test_operations_are_found_with_or_without_the_v1_prefix() -> None:
    found = find_operation("GET", "https://webexapis.com/v1/wholesale/customers/abc")
    assert found is not None
    assert found.template == "/wholesale/customers/{customerId}"
    me = find_operation("GET", "/people/me")
    assert me is not None
    assert me.template == "/people/me"
    assert find_operation("GET", "/access_token") is None


def test_request_bodies_are_checked() -> None:
    check_request("POST", "/v1/wholesale/customers", customer_body())
    with pytest.raises(ContractViolation, match="provisioningId"):
        check_request(
            "POST",
            "/v1/wholesale/customers",
            {k: v for k, v in customer_body().items() if k != "provisioningId"},
        )
    with pytest.raises(ContractViolation, match="webex_teleport"):
        check_request("POST", "/wholesale/customers", customer_body(packages=["webex_teleport"]))
    extra = {**customer_body(), "mainNumber": "+15125550100"}
    with pytest.raises(ContractViolation, match="mainNumber"):
        check_request("POST", "/wholesale/customers", extra)
    check_request("POST", "/wholesale/customers", extra, strict=False)
    with pytest.raises(ContractViolation, match="displayName"):
        check_request("PUT", "/people/abc", {"emails": ["a@b.example.com"]})


def test_responses_are_checked_strictly() -> None:
    good = {"id": "x", "externalId": "e", "status": "provisioned", "packages": ["webex_calling"]}
    check_response("GET", "/v1/wholesale/customers/x", 200, good)
    with pytest.raises(ContractViolation, match="name"):
        check_response("GET", "/v1/wholesale/customers/x", 200, {**good, "name": "Acme"})
    with pytest.raises(ContractViolation, match="status"):
        check_response("GET", "/v1/wholesale/customers/x", 200, {**good, "status": "ready"})
    with pytest.raises(ContractViolation, match="not a documented answer"):
        check_response("POST", "/v1/wholesale/customers", 201, {"url": "u"})
    with pytest.raises(ContractViolation, match="Location"):
        check_response("POST", "/v1/wholesale/customers", 202, {"url": "u"}, {"x": "1"})


def test_error_bodies_must_have_the_standard_shape() -> None:
    check_response(
        "GET",
        "/v1/roles",
        404,
        {"message": "m", "errors": [{"description": "d"}], "trackingId": "t"},
    )
    for bad in (
        {"message": "m"},
        {"message": "m", "errors": [], "trackingId": "t"},
        {"errors": [{"description": "d"}], "trackingId": "t"},
        {"message": "m", "errors": [{"description": "d", "errorCode": "10022"}], "trackingId": "t"},
    ):
        with pytest.raises(ContractViolation):
            check_response("GET", "/v1/roles", 400, bad)


def test_an_accepted_invalid_request_is_a_violation() -> None:
    request = httpx.Request(
        "POST", "http://h/v1/wholesale/subscribers", json={"email": "a@b.example.com"}
    )
    accepted = httpx.Response(200, json={"id": "s"}, request=request)
    with pytest.raises(ContractViolation, match="forbids"):
        check_exchange(request, accepted)
    refused = httpx.Response(
        400,
        json={"message": "m", "errors": [{"description": "d"}], "trackingId": "t"},
        headers={"trackingid": "t"},
        request=request,
    )
    check_exchange(request, refused)
