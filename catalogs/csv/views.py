"""Menu CSV pages for owners and managers: download the items, upload changes, preview, confirm.

The uploaded text waits in the cache (Redis in production) for an hour under a random token;
the preview page carries only that token, signed with the merchant, so it stays small however
big the file. Confirming reads the file again against the menu as it is then and applies it
only if the changes are the ones the preview showed (`ImportPlan.digest`).

The preview is bounded too: counts per kind of change and per section, the first rows, and
every change (or problem) a page at a time on demand (`csv_import_changes`, read from the same
cache entry).
"""

import logging
import secrets
from collections import Counter

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalogs.csv.services import (
    CHANGE_KINDS,
    COLUMNS,
    REQUIRED_COLUMNS,
    CsvFileError,
    ImportPlan,
    csv_decode,
    menu_csv_apply,
    menu_csv_export,
    menu_csv_read,
)
from portal.typing import AuthedHttpRequest
from stores.access import Action, membership_get
from stores.models import Membership

logger = logging.getLogger(__name__)

MAX_CSV_BYTES = 2 * 1024 * 1024
PREVIEW_MAX_AGE = 60 * 60  # seconds a preview can be confirmed
PREVIEW_ROWS = 50  # changes and errors listed on the preview page itself
CHANGES_PER_PAGE = 200  # then a page at a time
_SALT = "catalogs.csv-import"


class CsvUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8 CSV with the columns of an export, 2 MB at most.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_CSV_BYTES:
            raise forms.ValidationError("The file must be 2 MB or smaller.")
        try:
            return csv_decode(upload.read())
        except CsvFileError as exc:
            raise forms.ValidationError(str(exc)) from None


class CsvConfirmForm(forms.Form):
    payload = forms.CharField(widget=forms.HiddenInput)
    digest = forms.CharField(widget=forms.HiddenInput, max_length=64)


def _require_menu_editor(request: AuthedHttpRequest) -> Membership:
    # Owners and managers; another role gets a 403 page saying who can.
    return membership_get(request, Action.EDIT_MENU)


@login_required
@require_GET
def csv_export(request: AuthedHttpRequest) -> HttpResponse:
    merchant = _require_menu_editor(request).merchant
    # With a BOM, Excel reads the file as UTF-8 (accents and symbols intact).
    response = HttpResponse("\ufeff" + menu_csv_export(merchant=merchant))
    response["Content-Type"] = "text/csv; charset=utf-8"
    filename = f"menu-{slugify(merchant.name) or 'items'}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def csv_import(request: AuthedHttpRequest) -> HttpResponse:
    """GET: the upload form. POST: check the file and show what it would change."""
    merchant = _require_menu_editor(request).merchant
    if request.method == "GET":
        return _render_upload(request, CsvUploadForm())
    form = CsvUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_upload(request, form, status=400)
    text = form.cleaned_data["file"]
    plan = menu_csv_read(merchant=merchant, data=text)
    token = secrets.token_urlsafe(18)
    _preview_keep(token, text, plan)
    payload = signing.dumps({"merchant": str(merchant.public_id), "token": token}, salt=_SALT)
    return _render_preview(request, plan, payload, status=200 if plan.is_valid else 400)


@login_required
@require_POST
def csv_import_confirm(request: AuthedHttpRequest) -> HttpResponse:
    merchant = _require_menu_editor(request).merchant
    form = CsvConfirmForm(request.POST)
    try:
        if not form.is_valid():
            raise signing.BadSignature("incomplete form")
        payload = signing.loads(form.cleaned_data["payload"], salt=_SALT, max_age=PREVIEW_MAX_AGE)
    except signing.SignatureExpired:
        messages.error(request, "That preview is more than an hour old. Upload the file again.")
        return redirect("menu-csv:import")
    except signing.BadSignature:
        messages.error(request, "That preview could not be read. Upload the file again.")
        return redirect("menu-csv:import")
    if payload.get("merchant") != str(merchant.public_id):
        # The user switched merchant between the preview and the confirmation.
        messages.error(request, f"That file was checked for another merchant than {merchant}.")
        return redirect("menu-csv:import")
    kept = cache.get(_cache_key(str(payload.get("token"))))
    if kept is None:
        messages.error(request, "That preview is more than an hour old. Upload the file again.")
        return redirect("menu-csv:import")

    plan = menu_csv_read(merchant=merchant, data=kept["csv"])
    if not plan.is_valid or plan.digest() != form.cleaned_data["digest"]:
        messages.warning(
            request, "The menu changed since this preview. Check the changes again, then confirm."
        )
        return _render_preview(request, plan, form.cleaned_data["payload"], status=409)
    if not plan.changes:
        messages.info(request, "Nothing to import: the file matches the menu.")
        return redirect("menu-csv:import")
    menu_csv_apply(plan=plan, user=request.user)
    cache.delete(_cache_key(str(payload.get("token"))))
    logger.info("menu CSV imported for merchant %s: %s", merchant.public_id, plan.counts())
    messages.success(request, f"Imported. {plan.summary()}. Your stores' menus publish shortly.")
    return redirect("menu-csv:import")


def _render_upload(request, form: CsvUploadForm, status: int = 200) -> HttpResponse:
    context = {"form": form, "columns": COLUMNS, "required_columns": REQUIRED_COLUMNS}
    return render(request, "catalogs/csv/import.html", context, status=status)


@login_required
@require_GET
def csv_import_changes(request: AuthedHttpRequest) -> HttpResponse:
    """Every change (or, with `kind=problems`, every problem) of a preview, a page at a time;
    `kind=<kind>` keeps one kind of change (e.g. "price"). With htmx, only the next rows."""
    merchant = _require_menu_editor(request).merchant
    try:
        payload = signing.loads(request.GET.get("preview", ""), salt=_SALT, max_age=PREVIEW_MAX_AGE)
    except signing.BadSignature:
        raise Http404("No such preview.") from None
    kept = cache.get(_cache_key(str(payload.get("token"))))
    if payload.get("merchant") != str(merchant.public_id) or kept is None:
        raise Http404("That preview is more than an hour old. Upload the file again.")
    kind = request.GET.get("kind", "")[:20]
    if kind == "problems":
        rows = kept["errors"]
    else:
        rows = [line for line in kept["changes"] if not kind or kind in line[3]]
    page = Paginator(rows, CHANGES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": page.object_list,
        "kind": kind,
        "kind_label": _KIND_LABELS.get(kind, "changes"),
        "query": urlencode({"preview": request.GET["preview"], "kind": kind}),
        "confirm_form": CsvConfirmForm(
            initial={"payload": request.GET["preview"], "digest": kept["digest"]}
        ),
        "can_confirm": not kept["errors"] and bool(kept["changes"]),
        "total": len(kept["changes"]),
    }
    template = "catalogs/csv/changes.html"
    if request.htmx:
        template += "#problem-rows" if kind == "problems" else "#change-rows"
    return render(request, template, context)


_KIND_LABELS = {kind: words[1] for kind, words in CHANGE_KINDS.items()} | {"problems": "problems"}


def _cache_key(token: str) -> str:
    return f"catalogs:csv-import:{token}"


def _preview_keep(token: str, text: str, plan: ImportPlan) -> None:
    """The file, and its changes and problems as the preview lists them, for an hour."""
    kept = {
        "csv": text,
        "changes": _change_lines(plan),
        "errors": [(error.row, error.column, error.message) for error in plan.errors],
        "digest": plan.digest(),
    }
    cache.set(_cache_key(token), kept, PREVIEW_MAX_AGE)


def _render_preview(request, plan: ImportPlan, payload: str, status: int) -> HttpResponse:
    confirm = CsvConfirmForm(initial={"payload": payload, "digest": plan.digest()})
    lines = _change_lines(plan, limit=PREVIEW_ROWS)
    sections = Counter(_section_label(plan, change) for change in plan.changes if not change.is_new)
    new_items = sum(1 for change in plan.changes if change.is_new)
    context = {
        "plan": plan,
        "confirm_form": confirm,
        "changes": lines,
        "errors": plan.errors[:PREVIEW_ROWS],
        "limit": PREVIEW_ROWS,
        "kinds": [(kind, _KIND_LABELS[kind], count) for kind, count in plan.counts().items()],
        "sections": sorted(sections.items(), key=lambda kv: (-kv[1], kv[0]))[:SECTIONS_SHOWN],
        "more_sections": max(0, len(sections) - SECTIONS_SHOWN),
        "new_items": new_items,
        "query": urlencode({"preview": payload}),
    }
    return render(request, "catalogs/csv/preview.html", context, status=status)


SECTIONS_SHOWN = 12


def _section_label(plan: ImportPlan, change) -> str:
    """Where a changed item is on the menu now: its first section, for the summary."""
    sections = plan.section_names_of(change.item.pk) if change.item else []
    return sections[0] if sections else "Not in a section"


def _change_lines(
    plan: ImportPlan, *, limit: int | None = None
) -> list[tuple[int, str, list[str], tuple[str, ...]]]:
    """(row, item name, what changes, kinds of change) for the preview table."""
    show = plan.money.show
    out = []
    for change in plan.changes[:limit]:
        if change.is_new:
            lines = [f"New item at {show(change.price)}"]
            if change.sections:
                lines.append(f"In {', '.join(s.name for s in change.sections)}")
            if change.groups:
                lines.append(f"Modifier groups: {', '.join(g.name for g in change.groups)}")
        else:
            item, lines = change.item, []
            assert item is not None  # a change to an existing item
            if "name" in change.kinds:
                lines.append(f"Name: {item.name} → {change.name}")
            if "description" in change.kinds:
                lines.append("Description changed")
            if "price" in change.kinds:
                lines.append(f"Price: {show(item.price)} → {show(change.price)}")
            if "sections" in change.kinds:
                names = ", ".join(s.name for s in change.sections or []) or "none"
                lines.append(f"Sections: {names}")
            if "modifier_groups" in change.kinds:
                names = ", ".join(g.name for g in change.groups or []) or "none"
                lines.append(f"Modifier groups: {names}")
        out.append((change.row, change.name, lines, change.kinds))
    return out
