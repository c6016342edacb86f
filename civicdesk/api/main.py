"""The REST API v1: one NinjaAPI, OpenAPI 3.1 at /api/v1/openapi.json, docs at /api/v1/docs."""

from ninja import NinjaAPI

from . import cases, errors, inbound, me, reference, webhooks
from .parser import JsonParser

DESCRIPTION = """
CivicDesk's REST API. Authenticate with `Authorization: Bearer <token>` (tokens are made by an
administrator: `civicdesk create_api_token`), or from a signed-in browser (unsafe methods then need
the CSRF token in `X-CSRFToken`). Callers see exactly what the pages show them; a case they may not
see is a 404. Every error has the shape `{"error": {"code", "message", "fields"}}`.

Changes: `If-Match` with a case's ETag refuses a stale change (412); `Idempotency-Key` on any POST
makes a retry safe. Too many requests: 429 with `Retry-After`.
"""


class CivicDeskAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation):
        return operation.view_func.__name__


api = CivicDeskAPI(
    title="CivicDesk API",
    version="1",
    description=DESCRIPTION,
    parser=JsonParser(),
    urls_namespace="api",
)
errors.register(api)
api.add_router("/cases", cases.router)
api.add_router("/me", me.router)
api.add_router("/", reference.router)
api.add_router("/webhooks", webhooks.router)
api.add_router("/inbound", inbound.router)
