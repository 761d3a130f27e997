"""``POST /hooks/flexi/<connection>/<secret>``: ABRA Flexi's web hook, the push half of a change feed (issue 13).

No session and no token: the secret in the URL is the credential, compared in constant time. A wrong connection,
a wrong secret or a feed not in hook mode is a 404 that says nothing of which; a body over the cap is a 413; a
body that is not a Flexi change list is a 400 naming the problem. What arrives is ingested like a poll's read.
"""

from __future__ import annotations

import structlog
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from compliance_monitor.erp.flexi import ErpError
from compliance_monitor.jobs import feeds

log = structlog.get_logger(__name__)


@csrf_exempt
@require_POST
def flexi_hook(request: HttpRequest, connection: str, secret: str) -> HttpResponse:
    declared = request.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > feeds.MAX_HOOK_BYTES:
        return JsonResponse({"detail": f"body: over {feeds.MAX_HOOK_BYTES} bytes"}, status=413)
    try:
        received = feeds.receive_hook(connection, secret, request.read(feeds.MAX_HOOK_BYTES + 1), now=timezone.now())
    except feeds.HookRejectedError:
        log.warning("hook_rejected", connection=connection[:64])
        return JsonResponse({"detail": "Not Found"}, status=404)
    except ValueError as exc:
        return JsonResponse({"detail": str(exc)}, status=400)
    except ErpError as exc:  # the changed records could not be looked up: the ERP will call again
        log.warning("hook_failed", connection=connection, error=str(exc))
        return JsonResponse({"detail": "could not read the changed records; send again"}, status=503)
    return JsonResponse({"received": received})
