"""The fields each request body may carry, from the official OpenAPI request schemas.

:func:`reconciler.sandbox.parsing.known_fields` drops or refuses anything else, at every level,
so a misspelt or misplaced key (``address.zip``) is never stored and echoed back.
"""

from __future__ import annotations

from reconciler.sandbox.parsing import Items, Shape

WHOLESALE_ADDRESS: Shape = dict.fromkeys(
    ("addressLine1", "addressLine2", "city", "stateOrProvince", "zipOrPostalCode", "country")
)
_LIMITS: Shape = dict.fromkeys(
    (
        "webex_calling",
        "common_area_calling",
        "webex_meetings",
        "webex_suite",
        "webex_voice",
        "cx_essentials",
        "webex_calling_standard",
        "attendant_console",
    )
)
PROVISIONING_PARAMETERS: Shape = {
    "calling": {
        "location": {
            "name": None,
            "address": WHOLESALE_ADDRESS,
            "timezone": None,
            "language": None,
            "emergencyLocationIdentifier": None,
        }
    },
    "meetings": {"timezone": None},
    "packages": {"limits": _LIMITS},
}
CUSTOMER_POST: Shape = {
    "provisioningId": None,
    "packages": None,
    "orgId": None,
    "externalId": None,
    "address": WHOLESALE_ADDRESS,
    "customerInfo": {"name": None, "primaryEmail": None, "language": None},
    "provisioningParameters": PROVISIONING_PARAMETERS,
    "subPartnerAdminEmail": None,
}
CUSTOMER_PRECHECK: Shape = {
    **{k: v for k, v in CUSTOMER_POST.items() if k != "subPartnerAdminEmail"},
    "customerInfo": {"name": None, "primaryEmail": None},
}
CUSTOMER_PUT: Shape = {
    "externalId": None,
    "packages": None,
    "address": WHOLESALE_ADDRESS,
    "provisioningParameters": PROVISIONING_PARAMETERS,
    "subPartnerAdminEmail": None,
}
_SUBSCRIBER_PARAMETERS: Shape = dict.fromkeys(
    ("firstName", "lastName", "primaryPhoneNumber", "extension", "locationId")
)
SUBSCRIBER_POST: Shape = {
    "customerId": None,
    "email": None,
    "package": None,
    "packages": None,
    "provisioningParameters": _SUBSCRIBER_PARAMETERS,
}
SUBSCRIBER_PRECHECK: Shape = {
    **SUBSCRIBER_POST,
    "provisioningId": None,
    "customerInfo": {"primaryEmail": None},
}
SUBSCRIBER_PUT: Shape = {
    "package": None,
    "packages": None,
    "provisioningParameters": dict.fromkeys(("primaryPhoneNumber", "extension", "locationId")),
}
LOCATION_ADDRESS: Shape = dict.fromkeys(
    ("address1", "address2", "city", "state", "postalCode", "country")
)
LOCATION_POST: Shape = {
    **dict.fromkeys(
        (
            "name",
            "timeZone",
            "preferredLanguage",
            "announcementLanguage",
            "latitude",
            "longitude",
            "notes",
        )
    ),
    "address": LOCATION_ADDRESS,
}
LOCATION_PUT: Shape = {
    **dict.fromkeys(("name", "timeZone", "preferredLanguage")),
    "address": LOCATION_ADDRESS,
}
PERSON_PUT: Shape = {
    **dict.fromkeys(
        (
            "emails",
            "extension",
            "locationId",
            "displayName",
            "firstName",
            "lastName",
            "nickName",
            "avatar",
            "orgId",
            "roles",
            "licenses",
            "department",
            "manager",
            "managerId",
            "title",
            "siteUrls",
            "loginEnabled",
        )
    ),
    # ``primary`` is not in the PUT schema but is in what GET answers, and the docs say to
    # PUT back what GET gave ("first GET …, make changes, then PUT").
    "phoneNumbers": Items(dict.fromkeys(("type", "value", "primary"))),
    "addresses": Items(
        dict.fromkeys(("type", "country", "locality", "region", "streetAddress", "postalCode"))
    ),
}
CALLING_LOCATION_POST: Shape = {
    **dict.fromkeys(("id", "name", "timeZone", "preferredLanguage", "announcementLanguage")),
    "address": LOCATION_ADDRESS,
}
NUMBERS_POST: Shape = dict.fromkeys(
    ("phoneNumbers", "numberType", "numberUsageType", "state", "subscriptionId", "carrierId")
)
NUMBERS_DELETE: Shape = {"phoneNumbers": None}
MOVE_USERS_POST: Shape = {
    "usersList": Items(
        {
            "locationId": None,
            "validate": None,
            "users": Items(dict.fromkeys(("userId", "extension", "phoneNumber"))),
        }
    )
}
DISABLE_CALLING_POST: Shape = dict.fromkeys(("locationId", "locationName", "forceDelete"))
#: the identity API's documented body (see :mod:`reconciler.sandbox.identity`)
ORGANIZATION_PATCH: Shape = dict.fromkeys(("schemas", "displayName", "preferredLanguage"))
