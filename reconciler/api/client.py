"""``WebexClient``: one async method per Partner Hub endpoint the tool uses; plain dicts in/out.

Lists are read completely, with the largest page each endpoint allows:

- wholesale lists page by ``offset``/``max``. Subscribers document ``max`` up to 100, so a
  shorter page is the last one. The customers list documents no maximum; a server may clamp
  ``max`` silently, so a short page ends the list only once the server's real page size is
  known (a full page was seen, or a page shorter than an earlier one); until then one more
  page is asked for. That costs one request only when the whole list fits in one page.
  After the first page, pages are read several at once (1, 2, 4 … up to the in-flight cap):
  a long list costs at most that cap − 1 empty pages past its end, a one-page list nothing.
- every list is checked as it comes: an item twice (a server that ignores ``offset``, or a
  next link back to a page already read), items after the end, or more than
  ``max_list_items`` items is an :class:`ApiError` naming the request, never a loop or a
  silently wrong list.
- ``/locations``, ``/people`` and ``/roles`` follow the ``Link: <…>; rel="next"`` header as-is,
  except that a stray ``max=null`` (a known server defect) is replaced by the page size, and a
  link to another host is refused (it would receive the token). ``/organizations`` is one
  unpaginated answer per the spec (a ``next`` link would still be followed).
"""

from __future__ import annotations

import asyncio
import base64
import uuid as uuid_module
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import orjson

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

#: ``/telephony/config/locations`` documents no maximum (``Link`` paging makes a clamp harmless).
CALLING_LOCATIONS_PAGE = 1000
#: ``/telephony/config/numbers`` documents a default of 2000 and no maximum.
NUMBERS_PAGE = 2000
#: ``DELETE …/locations/{id}/numbers``: "The maximum limit is 5".
REMOVE_NUMBERS_MAX = 5
TELEPHONY = "/telephony/config"


def _id_from_url(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def _items(response: httpx.Response, method: str, path: str, key: str = "items") -> list[Json]:
    """The list under ``key`` (``items``; telephony lists name theirs, e.g. ``phoneNumbers``)."""
    body = _json(response, method, path)
    items = body.get(key)
    # a list answer without its key is not an empty list: it is not a list answer at all
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        article = "an" if key[0] in "aeiou" else "a"
        why = f"list response without {article} {key} array"
        raise ApiError(response.status_code, why, method, path)
    return items


def _json(response: httpx.Response, method: str, path: str) -> Json:
    if not response.content:
        return {}
    try:
        # orjson: half the time of json.loads on a page of people, a tenth of a request's CPU
        body = orjson.loads(response.content)
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


#: A list longer than this is an error: a server that never ends a list is not paged forever.
LIST_ITEMS_MAX = 2_000_000


_WHY = "the server ignores offset, or the list changed while it was read"
_AFTER_THE_END = f"a page after the end of the list has items ({_WHY}, or it pages inconsistently)"


class _Pager:
    """The items of one list so far, checked as they come: no item twice, not too many."""

    def __init__(
        self,
        path: str,
        params: dict[str, str],
        page: int,
        limit: int,
        keep: Callable[[Json], Json] | None = None,
    ) -> None:
        self.path, self.params, self.page, self.limit = path, params, page, limit
        self.keep = keep
        self.items: list[Json] = []
        self.ids: set[str] = set()
        self.ended = False

    def query(self, offset: int) -> dict[str, str]:
        return {**self.params, "offset": str(offset), "max": str(self.page)}

    def at(self, offset: int) -> str:
        return str(httpx.URL(self.path, params=self.query(offset)))

    def error(self, where: str, why: str) -> ApiError:
        return ApiError(None, f"{why}; nothing was used", "GET", where)

    def take(self, batch: list[Json], where: str) -> None:
        """Add one page's items; ``where`` (the page's request) names it in an error."""
        for item in batch:
            key = item.get("id")
            if isinstance(key, str):
                if key in self.ids:
                    raise self.error(
                        where, f"the page repeats an item already read ({key}): {_WHY}"
                    )
                self.ids.add(key)
        self.items.extend(batch if self.keep is None else map(self.keep, batch))
        if len(self.items) > self.limit:
            raise self.error(where, f"the list did not end within {self.limit:,} items")


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
        max_list_items: int = LIST_ITEMS_MAX,
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
        #: The longest list read before it is an error (never ending, or paged wrongly).
        self.max_list_items = max_list_items

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
        self,
        path: str,
        params: dict[str, str],
        page: int,
        *,
        documented_max: bool,
        keep: Callable[[Json], Json] | None = None,
    ) -> list[Json]:
        """Every item of an offset-paged list. The first page is read alone (a short one is
        the end, or a clamp: see the module doc); then pages are read in windows of 1, 2, 4 …
        up to the in-flight cap at once, so a long list costs at most ``window − 1`` empty
        pages past its end and a short one nothing extra. A page holding an item already
        read (a server ignoring ``offset``), a non-empty page after a short one, or a list
        longer than ``max_list_items`` is an :class:`ApiError` naming the request. ``keep``
        maps each item as its page arrives (e.g. to the fields the caller needs)."""
        pager = _Pager(path, params, page, self.max_list_items, keep)

        async def fetch(offset: int) -> list[Json]:
            response = await self._call("GET", path, params=pager.query(offset))
            self.pages += 1
            return _items(response, "GET", path)

        first = await fetch(0)
        pager.take(first, pager.at(0))
        if not first or (documented_max and len(first) < page):
            return pager.items
        stride = page if documented_max else len(first)
        # a short first page of an undocumented maximum: the end, or the server's page size
        known = documented_max or len(first) >= page
        offset, width = len(first), 1
        window = max(1, self.session.limiter.concurrency)
        while True:
            offsets = [offset + i * stride for i in range(width)]
            batches = await asyncio.gather(*(fetch(at) for at in offsets))
            for at, batch in zip(offsets, batches, strict=True):
                if pager.ended:
                    if batch:
                        raise pager.error(pager.at(at), _AFTER_THE_END)
                    continue
                if len(batch) > stride:  # the server's page is larger than the first one was
                    pager.take(batch, pager.at(at))
                    stride, known = len(batch), True
                    offset, width = at + len(batch), 1
                    break
                pager.take(batch, pager.at(at))
                if not batch or (known and len(batch) < stride):
                    pager.ended = True
                elif len(batch) == stride:
                    known = True
                else:  # shorter than the first page: the end
                    pager.ended = True
            else:
                if pager.ended:
                    return pager.items
                offset, width = offsets[-1] + stride, min(2 * width, window)

    async def _link_list(
        self,
        path: str,
        params: dict[str, str],
        page: int | None,
        keep: Callable[[Json], Json] | None = None,
        key: str = "items",
    ) -> list[Json]:
        """Every item, following ``Link: rel="next"``. ``page``: the ``max`` to ask for (and
        to mend a next link's ``max=null`` with); ``None`` sends no ``max``. ``keep``: as
        for offset lists. ``key``: the answer's list (items without a string ``id``, e.g.
        numbers, escape the repeat check; the loop and size checks still hold)."""
        target: str = path
        query: dict[str, str] | None = params if page is None else {**params, "max": str(page)}
        pager = _Pager(path, query or {}, 0, self.max_list_items, keep)
        visited: set[str] = set()
        while True:
            response = await self._call("GET", target, params=query or None)
            self.pages += 1
            visited.add(str(response.url))
            pager.take(_items(response, "GET", path, key), str(response.url))
            link = response.links.get("next", {}).get("url")
            if not link:
                return pager.items
            target = str(response.url.join(link))
            if page is not None:
                target = fix_next_link(target, page)
            if target in visited:
                raise pager.error(target, "the next link leads back to a page already read")
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
        self,
        customer_id: str | None = None,
        email: str | None = None,
        *,
        keep: Callable[[Json], Json] | None = None,
    ) -> list[Json]:
        """Subscribers (of a customer, or with an email); ``keep`` maps each as it arrives."""
        params: dict[str, str] = {}
        if customer_id is not None:
            params["customerId"] = customer_id
        if email is not None:
            params["email"] = email
        return await self._offset_list(
            "/wholesale/subscribers", params, SUBSCRIBERS_PAGE, documented_max=True, keep=keep
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

    async def list_people(
        self,
        org_id: str,
        email: str | None = None,
        *,
        keep: Callable[[Json], Json] | None = None,
    ) -> list[Json]:
        """People of an org, with calling data (extension, location, numbers); ``keep`` maps
        each as it arrives."""
        params = {"orgId": org_id, "callingData": "true"}
        if email is not None:
            params["email"] = email
        return await self._link_list("/people", params, PEOPLE_PAGE, keep)

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

    # -- Webex Calling (telephony) ------------------------------------------------------
    #
    # The telephony lists page by ``Link`` like ``/locations`` but keep their items under
    # their own key (``locations``, ``phoneNumbers``) instead of ``items``.

    async def list_calling_locations(self, org_id: str) -> list[Json]:
        """The org's Webex Calling locations (a plain ``/locations`` one is not among them)."""
        return await self._link_list(
            f"{TELEPHONY}/locations", {"orgId": org_id}, CALLING_LOCATIONS_PAGE, key="locations"
        )

    async def get_calling_location(self, location_id: str, org_id: str) -> Json:
        path = f"{TELEPHONY}/locations/{location_id}"
        response = await self._call("GET", path, params={"orgId": org_id})
        return _json(response, "GET", f"{TELEPHONY}/locations/{{id}}")

    async def enable_calling_location(self, org_id: str, body: Json) -> str:
        """``POST /telephony/config/locations`` (``id`` of a ``/locations`` location, name,
        time zone, languages, address); returns the location's id."""
        path = f"{TELEPHONY}/locations"
        response = await self._call("POST", path, params={"orgId": org_id}, json=body)
        new_id = _json(response, "POST", path).get("id")
        if not isinstance(new_id, str) or not new_id:
            raise ApiError(response.status_code, "calling enabled without an id", "POST", path)
        return new_id

    async def get_country(self, country_code: str, org_id: str | None = None) -> Json:
        """``stateRequired``, ``zipCodeRequired``, ``states`` and ``timeZones`` of a country."""
        params = {"orgId": org_id} if org_id else None
        path = f"{TELEPHONY}/countries/{country_code}"
        response = await self._call("GET", path, params=params)
        return _json(response, "GET", f"{TELEPHONY}/countries/{{code}}")

    async def list_numbers(
        self,
        org_id: str,
        location_id: str | None = None,
        *,
        keep: Callable[[Json], Json] | None = None,
    ) -> list[Json]:
        """The org's number inventory (number, location, owner, state), every page; ``keep``
        maps each as it arrives."""
        params = {"orgId": org_id}
        if location_id is not None:
            params["locationId"] = location_id
        return await self._link_list(
            f"{TELEPHONY}/numbers", params, NUMBERS_PAGE, keep, key="phoneNumbers"
        )

    async def add_numbers(
        self, location_id: str, org_id: str, numbers: list[str], state: str | None = None
    ) -> None:
        """Add numbers to a location (Local Gateway / non-integrated PSTN only; Webex refuses
        it for integrated providers). ``state`` is left to the server unless given."""
        body: Json = {"phoneNumbers": list(numbers)}
        if state is not None:
            body["state"] = state
        path = f"{TELEPHONY}/locations/{location_id}/numbers"
        await self._call("POST", path, params={"orgId": org_id}, json=body)

    async def remove_numbers(self, location_id: str, org_id: str, numbers: list[str]) -> None:
        """Remove numbers from a location: a DELETE with a JSON body, at most five a request
        (so one request per five numbers)."""
        path = f"{TELEPHONY}/locations/{location_id}/numbers"
        for start in range(0, len(numbers), REMOVE_NUMBERS_MAX):
            chunk = numbers[start : start + REMOVE_NUMBERS_MAX]
            await self._call("DELETE", path, params={"orgId": org_id}, json={"phoneNumbers": chunk})

    async def move_users(self, org_id: str, body: Json) -> Json:
        """``POST /telephony/config/jobs/person/moveLocation`` as answered: with ``validate``
        200 ``{response: [{userId, impacts, errors}]}``, else 201 ``{response: job}`` (see
        :func:`move_job_of`)."""
        path = f"{TELEPHONY}/jobs/person/moveLocation"
        response = await self._call("POST", path, params={"orgId": org_id}, json=body)
        return _json(response, "POST", path)

    async def get_move_users_job(self, job_id: str, org_id: str) -> Json:
        path = f"{TELEPHONY}/jobs/person/moveLocation/{job_id}"
        response = await self._call("GET", path, params={"orgId": org_id})
        return _json(response, "GET", f"{TELEPHONY}/jobs/person/moveLocation/{{id}}")

    async def disable_calling_location(
        self, location_id: str, org_id: str, *, name: str | None = None, force: bool = False
    ) -> Json:
        """Start the disable-calling job of a location (202); returns the job."""
        body: Json = {"locationId": location_id}
        if name is not None:
            body["locationName"] = name
        if force:
            body["forceDelete"] = True
        path = f"{TELEPHONY}/jobs/locations/deleteCallingLocation"
        response = await self._call("POST", path, params={"orgId": org_id}, json=body)
        return _json(response, "POST", path)

    async def get_disable_calling_job(self, job_id: str, org_id: str) -> Json:
        path = f"{TELEPHONY}/jobs/locations/deleteCallingLocation/{job_id}"
        response = await self._call("GET", path, params={"orgId": org_id})
        return _json(response, "GET", f"{TELEPHONY}/jobs/locations/deleteCallingLocation/{{id}}")

    async def precheck_location_delete(self, location_id: str, org_id: str) -> Json:
        """The safe-delete check before disabling calling (``locationDeleteStatus``,
        ``blocking``, ``nonBlocking``, ``blockingUnlessForced``)."""
        path = f"{TELEPHONY}/locations/{location_id}/actions/precheckForDeletion/invoke"
        response = await self._call("POST", path, params={"orgId": org_id})
        return _json(response, "POST", f"{TELEPHONY}/locations/{{id}}/actions/precheckForDeletion")

    async def rename_organization(self, org_id: str, display_name: str) -> Json:
        """Rename an organization (a customer's, with a partner token): ``PATCH
        /identity/organizations/{orgUuid}`` with ``displayName``, scope
        ``identity:organizations_rw``. ``org_id`` is the usual base64 ID; the identity API
        takes its UUID. Returns the organization as that API answers it."""
        uuid = organization_uuid(org_id)
        path = "/identity/organizations/{orgUuid}"
        if uuid is None:
            raise ApiError(None, "not an organization ID; nothing was sent", "PATCH", path)
        body = {"schemas": [IDENTITY_ORGANIZATION_SCHEMA], "displayName": display_name}
        response = await self._call("PATCH", f"/identity/organizations/{uuid}", json=body)
        return _json(response, "PATCH", path)

    # -- telephony job lists and job errors ---------------------------------------------
    #
    # Lists answer ``{items}`` most recent first, running or finished, ``Link`` paged; the
    # errors of a job ``{items: [{itemNumber, item?, error{key, message[{description,
    # code, location|locationId}]}}]}`` (none for a job that completed).

    async def list_move_users_jobs(self, org_id: str) -> list[Json]:
        """The org's move-users jobs (no job names the users it moves)."""
        path = f"{TELEPHONY}/jobs/person/moveLocation"
        return await self._link_list(path, {"orgId": org_id}, None)

    async def list_disable_calling_jobs(self, org_id: str) -> list[Json]:
        """The org's disable-calling jobs, each naming its location by ``locationName``."""
        path = f"{TELEPHONY}/jobs/locations/deleteCallingLocation"
        return await self._link_list(path, {"orgId": org_id}, None)

    async def list_move_users_job_errors(self, job_id: str, org_id: str) -> list[Json]:
        path = f"{TELEPHONY}/jobs/person/moveLocation/{job_id}/errors"
        return await self._link_list(path, {"orgId": org_id}, None)

    async def list_disable_calling_job_errors(self, job_id: str, org_id: str) -> list[Json]:
        path = f"{TELEPHONY}/jobs/locations/deleteCallingLocation/{job_id}/errors"
        return await self._link_list(path, {"orgId": org_id}, None)

    async def get_pstn_connection(self, location_id: str, org_id: str) -> Json:
        """A calling location's PSTN connection (``GET /telephony/pstn/locations/{id}/
        connection``, scope ``spark-admin:telephony_pstn_read``): ``pstnConnectionType`` is
        ``LOCAL_GATEWAY``, ``NON_INTEGRATED_CCP``, ``INTEGRATED_CCP`` or ``CISCO_PSTN``."""
        path = f"/telephony/pstn/locations/{location_id}/connection"
        response = await self._call("GET", path, params={"orgId": org_id})
        return _json(response, "GET", "/telephony/pstn/locations/{id}/connection")


def move_job_of(answer: Json) -> Json | None:
    """The job of a move-users answer, whichever shape it has: the spec's ``{response: job}``
    or wxc_sdk's reading ``{response: {usersList, jobDetails: job}}``; None for a
    validation answer (a list) or a synchronous move."""
    response = answer.get("response")
    if not isinstance(response, dict):
        return None
    details = response.get("jobDetails")
    if isinstance(details, dict):
        return details
    return response if isinstance(response.get("id"), str) else None


#: The schema an identity organization body must name.
IDENTITY_ORGANIZATION_SCHEMA = "urn:cisco:codev:identity:organization:core:1.0"


def organization_uuid(org_id: str) -> str | None:
    """The UUID of an organization ID: the tail of the base64 ``ciscospark://us/ORGANIZATION/
    <uuid>``, or the ID itself when it already is a UUID; None for anything else."""
    try:
        return str(uuid_module.UUID(org_id))
    except ValueError:
        pass
    try:
        text = base64.b64decode(org_id + "=" * (-len(org_id) % 4), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    kind, _, tail = text.rpartition("/")
    if not kind.endswith("/ORGANIZATION") or not text.startswith("ciscospark://"):
        return None
    try:
        return str(uuid_module.UUID(tail))
    except ValueError:
        return None
