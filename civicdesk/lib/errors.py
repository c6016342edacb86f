"""Optional error reporting to Sentry (or a compatible service such as GlitchTip): on only when
SENTRY_DSN is set.

What leaves the city's servers is the error and where it happened, never who caused it: no default
personal data (no user, no IP address), no request bodies, cookies, query strings or credentials;
the request's id (lib.logs) goes with the event so the matching log lines can be found.
"""

import os
from urllib.parse import unquote, urlsplit, urlunsplit

from django.urls import Resolver404, resolve

# Request headers that may name or authenticate someone; the rest (e.g. User-Agent) helps debugging.
PRIVATE_HEADERS = {
    "cookie",
    "authorization",
    "x-forwarded-for",
    "x-real-ip",
    "forwarded",
    "x-csrftoken",
    "x-api-key",
}


DATA_COLLECTION = {
    "user_info": False,
    "cookies": {"mode": "off"},
    "http_headers": {"request": {"mode": "allowlist", "terms": ["user-agent", "accept", "accept-language"]}},
    "http_bodies": [],
    "url_query_params": {"mode": "off"},
    "stack_frame_variables": False,
    "database_query_data": False,
}


def init_sentry(environ=os.environ):
    """Start the Sentry SDK if SENTRY_DSN is set; returns whether it did."""
    dsn = environ.get("SENTRY_DSN", "").strip()
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environ.get("SENTRY_ENVIRONMENT", "production"),
        release=environ.get("SENTRY_RELEASE") or None,
        traces_sample_rate=float(environ.get("SENTRY_TRACES_SAMPLE_RATE", "0") or 0),
        # sentry-sdk 3 replaced `send_default_pii` with `data_collection`; this is its "False", and
        # more: no frame variables (a resident's description can sit in one), no SQL parameters.
        data_collection=DATA_COLLECTION,
        max_request_body_size="never",
        before_send=scrub,
        integrations=[DjangoIntegration()],
    )
    return True


def _route(path):
    """The URL pattern a path resolved to (`/track/<str:token>/`), or "/…" when none did."""
    try:
        match = resolve(path)
    except Resolver404:
        return "/…"
    return "/" + match.route


def _replaced(value, replacements):
    """`value` (an event or part of one) with every occurrence of each key replaced."""
    if isinstance(value, str):
        for old, new in replacements.items():
            value = value.replace(old, new)
        return value
    if isinstance(value, dict):
        return {key: _replaced(item, replacements) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_replaced(item, replacements) for item in value]
    return value


def scrub(event, hint=None):
    """Drop what could identify a resident from an event before it is sent."""
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("data", "cookies", "query_string", "env"):
            request.pop(key, None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {k: v for k, v in headers.items() if k.lower() not in PRIVATE_HEADERS}
        if isinstance(request.get("url"), str):
            # Paths carry tracking tokens (/track/<token>/): the event names the route instead,
            # wherever the path appears (the URL, Django's "Internal Server Error: <path>" line,
            # breadcrumbs).
            url = urlsplit(request["url"])
            route = _route(url.path)
            request["url"] = urlunsplit((url.scheme, url.netloc, route, "", ""))
            if url.path not in ("", "/"):
                event = _replaced(event, {url.path: route, unquote(url.path): route})
    event.pop("user", None)
    from civicdesk.lib.logs import NONE, request_id

    if request_id.get() != NONE:
        event.setdefault("tags", {})["request_id"] = request_id.get()
    return event
