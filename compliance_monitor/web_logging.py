"""The web server's access log, without secrets: gunicorn logs every request line, and a web hook's path carries
its secret (``/hooks/flexi/<connection>/<secret>``). ``manage.py serve`` runs gunicorn with this logger class."""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from compliance_monitor.logging import mask_hook_secret


class MaskingLogger(Logger):
    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        found = super().atoms(resp, req, environ, request_time)
        return {key: mask_hook_secret(value) if isinstance(value, str) else value for key, value in found.items()}
