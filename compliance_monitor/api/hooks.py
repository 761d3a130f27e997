"""``POST /hooks/flexi/<connection>/<secret>``: ABRA Flexi's web hook, the push half of a change feed (issue 13).

No session and no token: the secret in the URL is the credential, compared in constant time (and masked in every
log line: compliance_monitor/logging.py). A wrong connection, a wrong secret, a disabled connection or a feed not
in hook mode is a 404 that says nothing of which; a body over the cap is a 413; a body that is not a Flexi change
list is a 400 naming the problem; an empty body (the ERP's test call) is fine. The call is acknowledged at once and
a worker reads the change log from the feed's cursor — the ERP's reads never hold the web request, and the body's
own list of changes is never trusted to move the cursor.
"""

from __future__ import annotations

import structlog
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from compliance_monitor.jobs import dispatch, feeds

log = structlog.get_logger(__name__)


@csrf_exempt
@require_POST
def flexi_hook(request: HttpRequest, connection: str, secret: str) -> HttpResponse:
    declared = request.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > feeds.MAX_HOOK_BYTES:
        return JsonResponse({"detail": f"body: over {feeds.MAX_HOOK_BYTES} bytes"}, status=413)
    try:
        call = feeds.receive_hook(connection, secret, request.read(feeds.MAX_HOOK_BYTES + 1))
    except feeds.HookRejectedError:
        log.warning("hook_rejected", connection=connection[:64])
        return JsonResponse({"detail": "Not Found"}, status=404)
    except ValueError as exc:
        return JsonResponse({"detail": str(exc)}, status=400)
    dispatch.send_feed_read(call.feed_id)
    log.info("hook_received", connection=connection, announced=call.announced)
    return JsonResponse({"accepted": call.announced})
