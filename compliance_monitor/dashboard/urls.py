from __future__ import annotations

from django.contrib.auth import views as auth
from django.urls import path

from compliance_monitor.dashboard.views import (
    alerts,
    audit,
    checks,
    exception_list,
    exceptions,
    inbox,
    jobs,
    language,
    overview,
    recipients,
    rules,
    runs,
)
from compliance_monitor.dashboard.views import connections as connection_views
from compliance_monitor.dashboard.views import feeds as feed_views

app_name = "dashboard"
urlpatterns = [
    path("", overview.overview, name="overview"),
    path("login/", auth.LoginView.as_view(template_name="dashboard/login.html"), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("language", language.switch, name="language"),
    path("jobs/new", jobs.job_new, name="job_new"),
    path("jobs/new/warehouses", jobs.job_new_warehouses, name="job_new_warehouses"),
    path("jobs/<slug:name>/", jobs.job_detail, name="job"),
    path("jobs/<slug:name>/edit", jobs.job_edit, name="job_edit"),
    path("jobs/<slug:name>/enable", jobs.job_enable, name="job_enable"),
    path("jobs/<slug:name>/disable", jobs.job_disable, name="job_disable"),
    path("jobs/<slug:name>/run", jobs.job_run, name="job_run"),
    path("jobs/<slug:name>/conflicts", jobs.job_conflicts, name="job_conflicts"),
    path("cron-preview", jobs.cron_preview, name="cron_preview"),
    path("runs/<uuid:execution_id>/", runs.run_detail, name="run"),
    path("runs/<uuid:execution_id>/cancel", runs.run_cancel, name="run_cancel"),
    path("alerts/", alerts.alert_list, name="alerts"),
    path("alerts/<int:alert_id>/", alerts.alert_detail, name="alert"),
    path("alerts/<int:alert_id>/acknowledge", alerts.alert_acknowledge, name="alert_acknowledge"),
    path("alerts/<int:alert_id>/resolve", alerts.alert_resolve, name="alert_resolve"),
    path("alerts/<int:alert_id>/accept-volume", alerts.alert_accept_volume, name="alert_accept_volume"),
    path("alerts/<int:alert_id>/exceptions", exceptions.accept, name="alert_accept_exception"),
    path(
        "alerts/<int:alert_id>/exceptions/<int:exception_id>/revoke", exceptions.revoke, name="alert_revoke_exception"
    ),
    path("notifications/", inbox.inbox, name="inbox"),
    path("notifications/unread", inbox.unread_badge, name="unread"),
    path("notifications/read-all", inbox.mark_all_read, name="inbox_read_all"),
    path("notifications/<int:message_id>/read", inbox.mark_read, name="inbox_read"),
    path("audit/", audit.audit_log, name="audit"),
    path("recipients/", recipients.recipient_list, name="recipients"),
    path("recipients/<int:recipient_id>/", recipients.recipient_detail, name="recipient"),
    path("exceptions/", exception_list.exception_list, name="exceptions"),
    path("checks/", checks.check_list, name="checks"),
    path("checks/new", checks.check_new, name="check_new"),
    path("checks/<str:name>/", checks.check_detail, name="check"),
    path("checks/<str:name>/delete", checks.check_delete, name="check_delete"),
    path("connections/", connection_views.connection_list, name="connections"),
    path("connections/add", connection_views.connection_add, name="connection_add"),
    path("connections/<slug:name>/", connection_views.connection_detail, name="connection"),
    path("connections/<slug:name>/test", connection_views.connection_test, name="connection_test"),
    path("connections/<slug:name>/edit", connection_views.connection_edit, name="connection_edit"),
    path("connections/<slug:name>/remove", connection_views.connection_remove, name="connection_remove"),
    path("connections/<slug:name>/catalog/refresh", connection_views.catalog_refresh, name="catalog_refresh"),
    path("connections/<slug:name>/feed", feed_views.feed_mode, name="feed_mode"),
    path("connections/<slug:name>/demo/book", feed_views.demo_booking, name="demo_booking"),
    path("connections/<slug:name>/rules/add", rules.rule_add, name="rule_add"),
    path("connections/<slug:name>/rules/<int:rule_id>/edit", rules.rule_edit, name="rule_edit"),
    path("connections/<slug:name>/rules/<int:rule_id>/delete", rules.rule_delete, name="rule_delete"),
]
