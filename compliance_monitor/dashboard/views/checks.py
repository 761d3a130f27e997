"""Check definitions (checks as data): the list, and an editor of the definition's YAML with inline validation and
a preview that stores nothing. Thin over ``checks/definitions.py``."""

from __future__ import annotations

from typing import Any

import yaml
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from compliance_monitor.accounts import access
from compliance_monitor.accounts.roles import Role
from compliance_monitor.checks import definitions, files, texts
from compliance_monitor.checks.definition import DefinitionError
from compliance_monitor.checks.models import CheckDefinition
from compliance_monitor.dashboard.views.common import needs, page
from compliance_monitor.erp.flexi import ErpError

MAX_YAML = 20_000
# A previewed scope's status (``checks.base.OutcomeStatus``) in the reader's language.
OUTCOME_WORDS = {
    "passed": pgettext_lazy("check outcome", "passed"),
    "violated": pgettext_lazy("check outcome", "violated"),
    "error": pgettext_lazy("check outcome", "error"),
}
STARTER = {
    "name": "my.check",
    "title": {"en": "My check", "cs": "Moje kontrola"},
    "evidence": "skladova-karta",
    "filter": "ucetObdobi = ${period}",
    "scope": {"field": "sklad", "values": ["ZBOZI"]},
    "predicate": "stavMJ < 0",
    "identity": ["cenik.kod"],
    "message": "{cenik.kod} ({stavMJ}ks)",
}


def stored_or_404(request: HttpRequest, name: str) -> CheckDefinition:
    """One the user may see: for every company, or for companies of theirs (else a 404, as if none)."""
    try:
        stored = definitions.named(name)
    except definitions.DefinitionNotFoundError:
        raise Http404(name) from None
    if not access.may_see_across(request.user, definitions.connections_of(stored.spec)):
        raise Http404(name)
    return stored


def may_write(request: HttpRequest, *specs: Any) -> None:
    if not all(access.may_change_across(request.user, definitions.connections_of(spec)) for spec in specs):
        raise PermissionDenied("your access is limited to some companies: name them in 'connections'")


@needs(Role.VIEWER)
def check_list(request: HttpRequest) -> HttpResponse:
    rows = [
        (stored, definition, texts.title_in(definition))  # the title in the reader's language
        for stored in CheckDefinition.objects.all()
        if access.may_see_across(request.user, definitions.connections_of(stored.spec))
        for definition in [definitions.definition_of(stored)]
    ]
    return page(request, "dashboard/checks.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@needs(Role.ADMIN)
def check_new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        source = request.GET.get("from")
        spec = {**stored_or_404(request, source).spec, "name": f"{source}.copy"} if source else STARTER
        return editor(request, None, files.dump(spec))
    text, data, errors = _read(request)
    if errors or request.POST.get("action") == "preview":
        return _checked(request, None, text, data, errors)
    may_write(request, data)
    try:
        stored = definitions.create(data, now=timezone.now(), by=request.user.get_username())
    except DefinitionError as exc:
        return editor(request, None, text, errors=exc.errors, status=422)
    messages.success(
        request, _("Added check %(name)s (version %(version)s).") % {"name": stored.name, "version": stored.version}
    )
    return redirect("dashboard:check", name=stored.name)


@require_http_methods(["GET", "POST"])
@needs(Role.VIEWER)
def check_detail(request: HttpRequest, name: str) -> HttpResponse:
    stored = stored_or_404(request, name)
    if request.method == "GET":
        return editor(request, stored, files.dump(stored.spec))
    action = request.POST.get("action")
    needed = Role.OPERATOR if action == "preview" else Role.ADMIN
    return needs(needed)(lambda r: _post(r, stored))(request)


def _post(request: HttpRequest, stored: CheckDefinition) -> HttpResponse:
    text, data, errors = _read(request)
    if errors or request.POST.get("action") == "preview":
        return _checked(request, stored, text, data, errors)
    may_write(request, stored.spec, data)
    changes = {**dict.fromkeys(stored.spec), **(data or {})}
    try:
        updated = definitions.update(stored, changes, now=timezone.now(), by=request.user.get_username())
    except DefinitionError as exc:
        return editor(request, stored, text, errors=exc.errors, status=422)
    except definitions.DefinitionNotFoundError:  # deleted meanwhile
        raise Http404(f"no check named {stored.name!r}") from None
    messages.success(
        request, _("Saved check %(name)s (version %(version)s).") % {"name": updated.name, "version": updated.version}
    )
    return redirect("dashboard:check", name=updated.name)


@require_POST
@needs(Role.ADMIN)
def check_delete(request: HttpRequest, name: str) -> HttpResponse:
    stored = stored_or_404(request, name)
    may_write(request, stored.spec)
    try:
        definitions.delete(stored, now=timezone.now(), by=request.user.get_username())
    except definitions.DefinitionInUseError as exc:
        messages.error(request, str(exc))
        return redirect("dashboard:check", name=name)
    messages.success(request, _("Deleted check %(name)s.") % {"name": name})
    return redirect("dashboard:checks")


def editor(request: HttpRequest, stored: CheckDefinition | None, text: str, **kw: Any) -> HttpResponse:
    status = kw.pop("status", 200)
    context = {"stored": stored, "text": text, "errors": kw.pop("errors", {}), "preview": kw.pop("preview", None)}
    if stored is not None:  # its title and description in the reader's language, as last saved
        definition = definitions.definition_of(stored)
        context |= {"title": texts.title_in(definition), "description": texts.description_in(definition)}
    return page(request, "dashboard/check_edit.html", {**context, **kw}, status=status)


def _read(request: HttpRequest) -> tuple[str, Any, dict[str, list[str]]]:
    text = request.POST.get("definition", "")
    if len(text) > MAX_YAML:
        return text[:MAX_YAML], None, {"definition": [_("at most %(count)s characters") % {"count": f"{MAX_YAML:,}"}]}
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return text, None, {"definition": [_("not YAML: %(error)s") % {"error": exc}]}
    if not isinstance(data, dict):
        problem = _("must be a mapping of fields (name, title, evidence, predicate, …)")
        return text, None, {"definition": [problem]}
    return text, data, {}


def _checked(request: HttpRequest, stored: CheckDefinition | None, text: str, data: Any, errors: Any) -> HttpResponse:
    """Validation, and — when valid — the preview: nothing is stored either way."""
    if errors:
        return editor(request, stored, text, errors=errors, status=422)
    if stored is not None:
        data = {**data, "name": stored.name}
    try:
        definition = definitions.validate(data, now=timezone.now())
        target = access.preview_connection(request.user, definitions.connections_of(data))
        preview = definitions.preview(definition, now=timezone.now(), connection=target)
    except DefinitionError as exc:
        return editor(request, stored, text, errors=exc.errors, status=422)
    except (ValidationError, ErpError) as exc:
        problem = "; ".join(getattr(exc, "messages", [str(exc)]))
        return editor(request, stored, text, errors={"run": [problem]}, status=409)
    for scope in preview["scopes"]:
        scope["status_text"] = str(OUTCOME_WORDS.get(scope["status"], scope["status"]))
    return editor(request, stored, text, preview=preview)
