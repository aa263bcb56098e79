"""The sandbox's country table: what ``GET /telephony/config/countries/{code}`` answers.

Each entry names its source. Only the US entry's flags and time zones come from Cisco's
published example (the ``getCountryConfiguration`` extract, whose example lists the states
``AA``, ``AE`` and ``WY`` only); everything else is INFERRED from the countries' own postal
conventions and the IANA zones in use there, and is data a test may replace through
``SandboxConfig(countries=...)``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Country:
    """``stateRequired`` / ``zipCodeRequired``, the valid ``states`` (code, name) and
    ``timeZones`` of one country, and where those facts come from."""

    state_required: bool
    zip_required: bool
    states: tuple[tuple[str, str], ...]
    time_zones: tuple[str, ...]
    source: str

    def answer(self) -> dict[str, object]:
        return {
            "stateRequired": self.state_required,
            "zipCodeRequired": self.zip_required,
            "states": [{"code": c, "name": n} for c, n in self.states],
            "timeZones": list(self.time_zones),
        }


_US_STATES = (
    ("AA", "Armed Forces Americas"),
    ("AE", "Armed Forces Europe"),
    ("AK", "Alaska"),
    ("AL", "Alabama"),
    ("AP", "Armed Forces Pacific"),
    ("AR", "Arkansas"),
    ("AZ", "Arizona"),
    ("CA", "California"),
    ("CO", "Colorado"),
    ("CT", "Connecticut"),
    ("DC", "District of Columbia"),
    ("DE", "Delaware"),
    ("FL", "Florida"),
    ("GA", "Georgia"),
    ("HI", "Hawaii"),
    ("IA", "Iowa"),
    ("ID", "Idaho"),
    ("IL", "Illinois"),
    ("IN", "Indiana"),
    ("KS", "Kansas"),
    ("KY", "Kentucky"),
    ("LA", "Louisiana"),
    ("MA", "Massachusetts"),
    ("MD", "Maryland"),
    ("ME", "Maine"),
    ("MI", "Michigan"),
    ("MN", "Minnesota"),
    ("MO", "Missouri"),
    ("MS", "Mississippi"),
    ("MT", "Montana"),
    ("NC", "North Carolina"),
    ("ND", "North Dakota"),
    ("NE", "Nebraska"),
    ("NH", "New Hampshire"),
    ("NJ", "New Jersey"),
    ("NM", "New Mexico"),
    ("NV", "Nevada"),
    ("NY", "New York"),
    ("OH", "Ohio"),
    ("OK", "Oklahoma"),
    ("OR", "Oregon"),
    ("PA", "Pennsylvania"),
    ("RI", "Rhode Island"),
    ("SC", "South Carolina"),
    ("SD", "South Dakota"),
    ("TN", "Tennessee"),
    ("TX", "Texas"),
    ("UT", "Utah"),
    ("VA", "Virginia"),
    ("VT", "Vermont"),
    ("WA", "Washington"),
    ("WI", "Wisconsin"),
    ("WV", "West Virginia"),
    ("WY", "Wyoming"),
)

COUNTRIES: dict[str, Country] = {
    "US": Country(
        True,
        True,
        _US_STATES,
        (
            "America/Adak",
            "America/Anchorage",
            "America/Chicago",
            "America/Denver",
            "America/Los_Angeles",
            "America/New_York",
            "America/Phoenix",
            "Pacific/Honolulu",
        ),
        "Cisco's getCountryConfiguration example (flags, time zones; states AA, AE, WY); "
        "the other states INFERRED (USPS codes)",
    ),
    "CA": Country(
        True,
        True,
        (
            ("AB", "Alberta"),
            ("BC", "British Columbia"),
            ("MB", "Manitoba"),
            ("NB", "New Brunswick"),
            ("NL", "Newfoundland and Labrador"),
            ("NS", "Nova Scotia"),
            ("NT", "Northwest Territories"),
            ("NU", "Nunavut"),
            ("ON", "Ontario"),
            ("PE", "Prince Edward Island"),
            ("QC", "Quebec"),
            ("SK", "Saskatchewan"),
            ("YT", "Yukon"),
        ),
        (
            "America/Edmonton",
            "America/Halifax",
            "America/Regina",
            "America/St_Johns",
            "America/Toronto",
            "America/Vancouver",
            "America/Winnipeg",
        ),
        "INFERRED (Canada Post province codes, IANA zones)",
    ),
    "GB": Country(False, True, (), ("Europe/London",), "INFERRED"),
    "DE": Country(False, True, (), ("Europe/Berlin",), "INFERRED"),
    "FR": Country(False, True, (), ("Europe/Paris",), "INFERRED"),
    "IE": Country(False, False, (), ("Europe/Dublin",), "INFERRED (Eircode optional)"),
    "AU": Country(
        True,
        True,
        (
            ("ACT", "Australian Capital Territory"),
            ("NSW", "New South Wales"),
            ("NT", "Northern Territory"),
            ("QLD", "Queensland"),
            ("SA", "South Australia"),
            ("TAS", "Tasmania"),
            ("VIC", "Victoria"),
            ("WA", "Western Australia"),
        ),
        (
            "Australia/Adelaide",
            "Australia/Brisbane",
            "Australia/Darwin",
            "Australia/Hobart",
            "Australia/Melbourne",
            "Australia/Perth",
            "Australia/Sydney",
        ),
        "INFERRED (Australia Post state codes, IANA zones)",
    ),
}


def address_problems(country: Country, address: dict[str, object], time_zone: str) -> list[str]:
    """What an enable-calling body breaks of its country's configuration."""
    problems: list[str] = []
    state = address.get("state")
    codes = {c for c, _ in country.states}
    if country.state_required and not state:
        problems.append("address.state is required for this country.")
    elif state and codes and state not in codes:
        problems.append(f"address.state '{state}' is not a state of this country.")
    if country.zip_required and not address.get("postalCode"):
        problems.append("address.postalCode is required for this country.")
    if time_zone not in country.time_zones:
        problems.append(f"timeZone '{time_zone}' is not a time zone of this country.")
    return problems
