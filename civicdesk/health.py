import time

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def healthz(request):
    """Liveness and database status for load balancers: 200 when usable, 503 when not."""
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # noqa: BLE001 - any database failure means "not ready"
        return JsonResponse(
            {"status": "error", "database": {"ok": False, "error": type(error).__name__}}, status=503
        )
    latency_ms = round((time.perf_counter() - started) * 1000, 2)
    return JsonResponse(
        {"status": "ok", "database": {"ok": True, "vendor": connection.vendor, "latency_ms": latency_ms}}
    )
