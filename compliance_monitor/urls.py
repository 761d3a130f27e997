from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from compliance_monitor.api import hooks, probes
from compliance_monitor.api.app import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("hooks/flexi/<str:connection>/<str:secret>", hooks.flexi_hook, name="flexi_hook"),
    path("metrics", probes.metrics_view, name="metrics"),
    path("healthz/live", probes.live, name="live"),
    path("healthz/ready", probes.ready, name="ready"),
    path("", include("compliance_monitor.dashboard.urls")),
]

handler403 = "compliance_monitor.dashboard.views.common.forbidden"
