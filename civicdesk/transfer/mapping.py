"""How a source's records become cases: a mapping read from TOML.

NYC 311, Boston 311 and Open311 GeoReport v2 ship as built-in mappings (`formats/*.toml`); a city's
own CSV uses the same machinery with `import_cases FILE --format csv --mapping city.toml`. A
`--mapping` given with a built-in format is laid over it (its tables extend and override the
built-in ones), so a city can import NYC's layout while mapping complaint types to its services.

The format (every key but `[columns]` id/created/status/service is optional)::

    source = "nyc311"                 # Case.source; --source overrides; a slug, at most 32 characters
    time_zone = "America/New_York"    # zone of dates that carry none (default: settings.TIME_ZONE)
    date_formats = ["%m/%d/%Y %I:%M:%S %p", "iso"]   # tried in order; "iso" is ISO 8601
    bounds = [40.45, -74.30, 40.95, -73.65]   # plausible [south, west, north, east]; outside: refused
    placeholder_coordinates = [[42.3594, -71.0587]]  # "not geocoded" markers: imported without a point
    default_channel = "import"        # a cases.models.Channel value
    create_services = true            # unmapped service values create (inactive) services
    service_group = "NYC 311"         # group of the services created on the fly

    [columns]                         # case field -> source column (a list joins non-empty values)
    id = "Unique Key"                 # required: the record's id in the source (Case.source_id)
    created = "Created Date"          # required
    status = "Status"                 # required
    service = "Complaint Type"        # required: the key looked up in [services]
    service_name = "Complaint Type"   # name of a service created on the fly (default: the key)
    updated = "Resolution Action Updated Date"
    closed = "Closed Date"            # when a finished case was closed (status event time)
    resolved = "..."                  # default: the closing time
    due = "Due Date"                  # Case.expected_at
    department = "Agency"             # the key looked up in [departments]
    department_name = "Agency Name"   # name of a department created on the fly
    channel = "Open Data Channel Type"
    latitude = "Latitude"
    longitude = "Longitude"
    address = ["Incident Address", "City", "Incident Zip"]   # joined with ", "
    description = "Descriptor"
    status_reason = "Resolution Description"

    [status]                          # source value -> cases.workflow.Status; others fail the row
    "Closed" = "closed"
    [channel]                         # source value -> Channel; others get default_channel
    "PHONE" = "phone"
    [services]                        # source value -> existing Service code
    "Pothole" = "pothole"
    [departments]                     # source value -> existing Department code, or a new one's name
    "NYPD" = "police"
    "PWDx" = { name = "Public Works Department" }

Naming rule for what is created on the fly: an unmapped service value `V` becomes the inactive
service `<source>-<slug of V>` named `V` (inactive so imported history never adds choices to the
resident portal; an administrator activates or re-maps it), with the row's department as its
default; an unmapped department value `D` becomes department `<slug of D>` named after the
`department_name` column or the `[departments]` entry, else `D`. Slugs longer than the column are
cut and end in 8 hex digits of a hash of the full value, so distinct values never collide.
"""

import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils.text import slugify

from civicdesk.cases.models import Channel, Department, Service
from civicdesk.cases.workflow import Status

FORMATS_DIR = Path(__file__).with_name("formats")
BUILT_IN = ("nyc311", "boston311", "open311")
REQUIRED = ("id", "created", "status", "service")
COLUMNS = (
    *REQUIRED,
    *("service_name", "updated", "closed", "resolved", "due", "department", "department_name"),
    *("channel", "latitude", "longitude", "address", "description", "status_reason"),
)
TOP_LEVEL = {
    "source",
    "time_zone",
    "date_formats",
    "bounds",
    "placeholder_coordinates",
    "default_channel",
    "create_services",
    "service_group",
    "columns",
    "status",
    "channel",
    "services",
    "departments",
}


class MappingError(ValueError):
    """The mapping itself is wrong: nothing is imported."""


@dataclass
class Mapping:
    source: str
    columns: dict[str, tuple[str, ...]]
    status: dict[str, str]
    zone: ZoneInfo
    date_formats: tuple[str, ...] = ("iso",)
    bounds: tuple[float, float, float, float] = (-90.0, -180.0, 90.0, 180.0)
    placeholders: frozenset[tuple[float, float]] = frozenset()
    channels: dict[str, str] = field(default_factory=dict)
    default_channel: str = Channel.IMPORT
    services: dict[str, str] = field(default_factory=dict)
    departments: dict[str, dict] = field(default_factory=dict)
    create_services: bool = True
    service_group: str = ""

    @property
    def needed_columns(self):
        """Every source column the mapping reads (a CSV header must have them all)."""
        return {column for names in self.columns.values() for column in names}

    def check_targets(self):
        """Mapped services and departments must exist: a typo must not create a twin."""
        missing = set(self.services.values()) - set(
            Service.objects.filter(code__in=self.services.values()).values_list("code", flat=True)
        )
        if missing:
            raise MappingError(
                f"[services] names service codes that do not exist: {', '.join(sorted(missing))}"
            )
        codes = {d["code"] for d in self.departments.values() if "code" in d}
        missing = codes - set(Department.objects.filter(code__in=codes).values_list("code", flat=True))
        if missing:
            raise MappingError(
                f"[departments] names department codes that do not exist: {', '.join(sorted(missing))}"
            )


def load(format_name, mapping_path=None, source=None):
    """The mapping for a built-in format and/or a TOML file, checked (raises MappingError)."""
    data = {}
    if format_name in BUILT_IN:
        data = _read(FORMATS_DIR / f"{format_name}.toml")
    elif mapping_path is None:
        raise MappingError(f"--format {format_name} needs --mapping FILE.toml describing the columns")
    if mapping_path is not None:
        data = _merge(data, _read(Path(mapping_path)))
    if source:
        data["source"] = source
    return _build(data)


def _read(path):
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except OSError as error:
        raise MappingError(f"cannot read {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise MappingError(f"{path} is not valid TOML: {error}") from None


def _merge(base, extra):
    merged = dict(base)
    for key, value in extra.items():
        merged[key] = {**base[key], **value} if isinstance(value, dict) and key in base else value
    return merged


def _build(data):
    unknown = set(data) - TOP_LEVEL
    if unknown:
        raise MappingError(f"unknown mapping keys: {', '.join(sorted(unknown))}")
    source = str(data.get("source", ""))
    if not source or slugify(source) != source or len(source) > 32:
        raise MappingError("the mapping needs `source`: a slug of at most 32 characters (nyc311)")
    return Mapping(
        source=source,
        columns=_columns(data.get("columns", {})),
        status=_choices(data.get("status", {}), Status, "status"),
        zone=_zone(data.get("time_zone") or settings.TIME_ZONE),
        date_formats=tuple(data.get("date_formats") or ("iso",)),
        bounds=_bounds(data.get("bounds", (-90, -180, 90, 180))),
        placeholders=frozenset(_pair(p) for p in data.get("placeholder_coordinates", ())),
        channels=_choices(data.get("channel", {}), Channel, "channel"),
        default_channel=_choices({"": data.get("default_channel", Channel.IMPORT)}, Channel, "channel")[""],
        services={str(k): str(v) for k, v in data.get("services", {}).items()},
        departments={str(k): _department(k, v) for k, v in data.get("departments", {}).items()},
        create_services=bool(data.get("create_services", True)),
        service_group=str(data.get("service_group", source))[:80],
    )


def _columns(table):
    unknown = set(table) - set(COLUMNS)
    if unknown:
        raise MappingError(f"[columns] has unknown fields: {', '.join(sorted(unknown))}")
    missing = [name for name in REQUIRED if not table.get(name)]
    if missing:
        raise MappingError(f"[columns] must name the source columns for: {', '.join(missing)}")
    return {k: (v,) if isinstance(v, str) else tuple(v) for k, v in table.items() if v}


def _choices(table, choices, name):
    wrong = {str(v) for v in table.values()} - set(choices.values)
    if wrong:
        raise MappingError(
            f"[{name}] maps to unknown values {', '.join(sorted(wrong))}; use {', '.join(choices.values)}"
        )
    return {str(k): str(v) for k, v in table.items()}


def _zone(name):
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise MappingError(
            f"unknown time zone “{name}” (use an IANA name such as America/New_York)"
        ) from None


def _bounds(value):
    try:
        south, west, north, east = (float(v) for v in value)
    except (TypeError, ValueError):
        raise MappingError("bounds must be [south, west, north, east] in degrees") from None
    if not (-90 <= south < north <= 90 and -180 <= west < east <= 180):
        raise MappingError("bounds must be [south, west, north, east] with south < north and west < east")
    return south, west, north, east


def _pair(value):
    try:
        latitude, longitude = (float(v) for v in value)
    except (TypeError, ValueError):
        raise MappingError("placeholder_coordinates must be a list of [latitude, longitude] pairs") from None
    return latitude, longitude


def _department(key, value):
    if isinstance(value, str):
        return {"code": value}
    if isinstance(value, dict) and set(value) <= {"code", "name"}:
        return value
    raise MappingError(f'[departments] “{key}” must be a department code or {{ name = "..." }}')


def slug_for(value, length, prefix=""):
    """A stable slug of at most `length` characters; cut ones end in a hash so they stay distinct."""
    digest = hashlib.sha1(value.encode(), usedforsecurity=False).hexdigest()[:8]
    base = slugify(value) or digest
    slug = f"{prefix}-{base}" if prefix else base
    if len(slug) <= length:
        return slug
    return f"{slug[: length - 9].rstrip('-')}-{digest}"
