"""``WebexClient``: one async method per Partner Hub endpoint the tool uses; plain dicts in/out.

Lists are read completely, with the largest page each endpoint allows:

- wholesale lists page by ``offset``/``max``. Subscribers document ``max`` up to 100, so a
  shorter page is the last one. The customers list documents no maximum; a server may clamp
  ``max`` silently, so a short page ends the list only once the server's real page size is
  known (a full page was seen, or a page shorter than an earlier one); until then one more
  page is asked for. That costs one request only when the whole list fits in one page.
- ``/locations``, ``/people`` and ``/roles`` follow the ``Link: <…>; rel="next"`` header as-is,
  except that a stray ``max=null`` (a known server defect) is replaced by the page size, and a
  link to another host is refused (it would receive the token). ``/organizations`` is one
  unpaginated answer per the spec (a ``next`` link would still be followed).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from reconciler.api.auth import DEFAULT_API_URL, StaticToken, TokenProvider
from reconciler.api.http import ApiSession
from reconciler.api.limits import Limiter, RetryPolicy
from reconciler.errors import ApiError

Json = dict[str, Any]

#: Page sizes: the largest each endpoint allows (customers: undocumented, clamped by servers).
CUSTOMERS_PAGE = 1000
SUBSCRIBERS_PAGE = 100
#: ``/locations`` documents a default of 500 and no maximum; a server clamps an oversized
#: ``max`` silently, and ``Link`` paging makes a clamp harmless.
LOCATIONS_PAGE = 1000
#: ``/people`` allows at most 100 with ``callingData=true``, which the tool needs (extension,
#: location, numbers).
PEOPLE_PAGE = 100

PageHook = Callable[[int], Awaitable[None] | None]


def _id_from_url(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def _items(response: httpx.Response, method: str, path: str) -> list[Json]:
    body = _json(response, method, path)
    items = body.get("items")
    # a list answer without ``items`` is not an empty list: it is not a list answer at all
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ApiError(response.status_code, "list response without an items array", method, path)
    return items


def _json(response: httpx.Response, method: str, path: str) -> Json:
    if not response.content:
        return {}
    try:
        body = response.json()
    except ValueError:
        raise ApiError(response.status_code, "response is not JSON", method, path) from None
    if not isinstance(body, dict):
        raise ApiError(response.status_code, "response is not a JSON object", method, path)
    return body


def fix_next_link(link: str, page_size: int) -> str:
    """The next link as sent, with a non-numeric ``max`` (e.g. ``max=null``) repaired."""
    url = httpx.URL(link)
    value = url.params.get("max")
    if value is not None and not value.isdigit():
        url = url.copy_set_param("max", str(page_size))
    return str(url)


class WebexClient:
    """Partner Hub endpoints over an injected ``httpx.AsyncClient``.

    Every call goes through one :class:`ApiSession` (read-only guard, limits, retries, error
    mapping). ``tokens`` is an access token or a :class:`TokenProvider`; ``base_url`` is the
    API root (``https://webexapis.com/v1``); the injected client needs no base URL.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str = DEFAULT_API_URL,
        tokens: str | TokenProvider,
        read_only: bool = False,
        limiter: Limiter | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        provider = StaticToken(tokens) if isinstance(tokens, str) else tokens
        self.session = ApiSession(
            http,
            base_url=base_url,
            tokens=provider,
            read_only=read_only,
            limiter=limiter,
            retry=retry,
        )
        #: Number of list pages fetched (the server counts requests; this is a hint).
        self.pages = 0

    @property
    def http(self) -> httpx.AsyncClient:
        return self.session.http

    def __repr__(self) -> str:
        return f"WebexClient({self.session!r})"

    @property
    def read_only(self) -> bool:
        return self.session.read_only

    # -- plumbing -----------------------------------------------------------------------

    async def _call(
        self, method: str, path: str, *, params: dict[str, str] | None = None, json: Any = None
    ) -> httpx.Response:
        return await self.session.request(method, path, params=params, json=json)

    async def _offset_list(
        self, path: str, params: dict[str, str], page: int, *, documented_max: bool
    ) -> list[Json]:
        items: list[Json] = []
        offset = 0
        server_page: int | None = page if documented_max else None
        while True:
            query = {**params, "offset": str(offset), "max": str(page)}
            batch = _items(await self._call("GET", path, params=query), "GET", path)
            self.pages += 1
            items.extend(batch)
            offset += len(batch)
            if not batch or (server_page is not None and len(batch) < server_page):
                return items
            if len(batch) >= page:
                server_page = page
            elif server_page is None:
                server_page = len(batch)  # short first page: the end, or a clamp; ask once more

    async def _link_list(self, path: str, params: dict[str, str], page: int | None) -> list[Json]:
        """Every item, following ``Link: rel="next"``. ``page``: the ``max`` to ask for (and
        to mend a next link's ``max=null`` with); ``None`` sends no ``max``."""
        items: list[Json] = []
        target: str = path
        query: dict[str, str] | None = params if page is None else {**params, "max": str(page)}
        while True:
            response = await self._call("GET", target, params=query or None)
            items.extend(_items(response, "GET", path))
            self.pages += 1
            link = response.links.get("next", {}).get("url")
            if not link:
                return items
            target = str(response.url.join(link))
            if page is not None:
                target = fix_next_link(target, page)
            query = None  # the next link carries every parameter

    # -- wholesale customers ------------------------------------------------------------

    async def list_customers(
        self, external_id: str | None = None, status: str | None = None
    ) -> list[Json]:
        """All customers, or the one with ``external_id`` (unique: a single request)."""
        params: dict[str, str] = {}
        if status:
            params["status"] = status
        if external_id is not None:
            params["externalId"] = external_id
            query = {**params, "max": str(CUSTOMERS_PAGE)}
            found = _items(
                await self._call("GET", "/wholesale/customers", params=query),
                "GET",
                "/wholesale/customers",
            )
            self.pages += 1
            return [c for c in found if c.get("externalId") == external_id]
        return await self._offset_list(
            "/wholesale/customers", params, CUSTOMERS_PAGE, documented_max=False
        )

    async def get_customer(self, customer_id: str) -> Json:
        return _json(
            await self._call("GET", f"/wholesale/customers/{customer_id}"),
            "GET",
            "/wholesale/customers/{id}",
        )

    async def create_customer(self, body: Json) -> str:
        """POST; returns the new customer's id (from the ``Location`` header or ``url``)."""
        response = await self._call("POST", "/wholesale/customers", json=body)
        url = response.headers.get("location") or _json(response, "POST", "").get("url")
        if not isinstance(url, str) or not url:
            raise ApiError(
                response.status_code,
                "provisioning answered without a customer URL",
                "POST",
                "/wholesale/customers",
            )
        return _id_from_url(url)

    async def update_customer(self, customer_id: str, body: Json) -> None:
        await self._call("PUT", f"/wholesale/customers/{customer_id}", json=body)

    async def delete_customer(self, customer_id: str) -> None:
        await self._call("DELETE", f"/wholesale/customers/{customer_id}")

    async def precheck_customer(self, body: Json) -> Json:
        response = await self._call("POST", "/wholesale/customers/validate", json=body)
        return _json(response, "POST", "/wholesale/customers/validate")

    # -- wholesale subscribers ----------------------------------------------------------

    async def list_subscribers(
        self, customer_id: str | None = None, email: str | None = None
    ) -> list[Json]:
        params: dict[str, str] = {}
        if customer_id is not None:
            params["customerId"] = customer_id
        if email is not None:
            params["email"] = email
        return await self._offset_list(
            "/wholesale/subscribers", params, SUBSCRIBERS_PAGE, documented_max=True
        )

    async def get_subscriber(self, subscriber_id: str) -> Json:
        return _json(
            await self._call("GET", f"/wholesale/subscribers/{subscriber_id}"),
            "GET",
            "/wholesale/subscribers/{id}",
        )

    async def create_subscriber(self, body: Json) -> Json:
        response = await self._call("POST", "/wholesale/subscribers", json=body)
        return _json(response, "POST", "/wholesale/subscribers")

    async def update_subscriber(self, subscriber_id: str, body: Json) -> Json:
        response = await self._call("PUT", f"/wholesale/subscribers/{subscriber_id}", json=body)
        return _json(response, "PUT", "/wholesale/subscribers/{id}")

    async def delete_subscriber(self, subscriber_id: str) -> None:
        await self._call("DELETE", f"/wholesale/subscribers/{subscriber_id}")

    async def precheck_subscriber(self, body: Json) -> Json:
        response = await self._call("POST", "/wholesale/subscribers/validate", json=body)
        return _json(response, "POST", "/wholesale/subscribers/validate")

    # -- locations ----------------------------------------------------------------------

    async def list_locations(self, org_id: str, name: str | None = None) -> list[Json]:
        """Locations of an org; with ``name``, only exact matches (the server's filter is a
        case-insensitive substring match)."""
        params = {"orgId": org_id}
        if name is not None:
            params["name"] = name
        found = await self._link_list("/locations", params, LOCATIONS_PAGE)
        return found if name is None else [loc for loc in found if loc.get("name") == name]

    async def get_location(self, location_id: str, org_id: str) -> Json:
        response = await self._call("GET", f"/locations/{location_id}", params={"orgId": org_id})
        return _json(response, "GET", "/locations/{id}")

    async def create_location(self, org_id: str, body: Json) -> str:
        response = await self._call("POST", "/locations", params={"orgId": org_id}, json=body)
        new_id = _json(response, "POST", "/locations").get("id")
        if not isinstance(new_id, str) or not new_id:
            raise ApiError(
                response.status_code, "location created without an id", "POST", "/locations"
            )
        return new_id

    async def update_location(self, location_id: str, org_id: str, body: Json) -> None:
        await self._call("PUT", f"/locations/{location_id}", params={"orgId": org_id}, json=body)

    async def delete_location(self, location_id: str, org_id: str) -> None:
        await self._call("DELETE", f"/locations/{location_id}", params={"orgId": org_id})

    # -- people and roles ---------------------------------------------------------------

    async def list_people(self, org_id: str, email: str | None = None) -> list[Json]:
        """People of an org, with calling data (extension, location, numbers)."""
        params = {"orgId": org_id, "callingData": "true"}
        if email is not None:
            params["email"] = email
        return await self._link_list("/people", params, PEOPLE_PAGE)

    async def get_person(self, person_id: str) -> Json:
        response = await self._call("GET", f"/people/{person_id}", params={"callingData": "true"})
        return _json(response, "GET", "/people/{id}")

    async def update_person(self, person_id: str, body: Json) -> Json:
        """Full replacement (``PUT``): send every field, starting from ``get_person``."""
        response = await self._call(
            "PUT", f"/people/{person_id}", params={"callingData": "true"}, json=body
        )
        return _json(response, "PUT", "/people/{id}")

    async def list_roles(self) -> list[Json]:
        return await self._link_list("/roles", {}, PEOPLE_PAGE)

    # -- organizations ------------------------------------------------------------------

    async def list_organizations(self) -> list[Json]:
        """Every organization the caller sees (a partner: its own and its managed orgs), with
        ``id``, ``displayName`` and ``created``. The spec documents one unpaginated answer
        and no parameters, so none are sent; a ``Link: rel="next"`` is still followed."""
        return await self._link_list("/organizations", {}, None)
