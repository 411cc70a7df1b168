"""Turning a study-guide document into a draft of a unit's model answers, in the admin.

Admin → Units → "Turn a study guide into a draft": upload the guide (.docx or
plain text), choose the unit and the language → a side-by-side review of every
line (what each becomes; flagged furniture to keep or drop; headings to assign
to a criterion) → "Continue to preview" stages the draft as a fixture (a
ContentImport) and opens the same preview and confirmation as an uploaded
fixture. Nothing is loaded before that confirmation.

The review keeps no state on the server: the page carries the document's text
in a signed token (django.core.signing, compressed; salted, bound to the admin
who uploaded it, valid for REVIEW_HOURS). Each POST checks the signature and
parses the text again, so the content cannot be changed by the browser: only
the decisions come from the form, and they are checked against the parse (a
flagged key, a criterion of the unit). Abandoned reviews leave nothing behind,
and the import log holds only drafts an admin chose to preview.

Who may: staff with units.add_contentimport, units.add_unit and
units.change_unit (the Admin group), as for importing fixtures. Anyone not
signed in as staff is sent to the admin's login page by admin_view; staff
without these permissions get 403.
"""

import json

from django import forms
from django.contrib import messages
from django.core import signing
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from . import documents, uploads
from .admin_common import page_context, require
from .documents import AS_TEXT, DROP, KEEP, LEAVE_OUT, DocumentError, Kind
from .languages import describe_language, language_choices
from .models import ContentImport, Unit
from .text import clean_text

PERMISSIONS = ("units.add_contentimport", "units.add_unit", "units.change_unit")
REVIEW_HOURS = 12
TOKEN_SALT = "units.admin_documents.review"  # noqa: S105 (a namespace, not a secret)

EXPIRED_MESSAGE = gettext_lazy(
    "This review has expired or was not made for you. Upload the document again."
)


# --- Forms -------------------------------------------------------------------------


class DocumentForm(forms.Form):
    document = forms.FileField(label=gettext_lazy("Study guide"))
    unit = forms.ModelChoiceField(
        label=gettext_lazy("Unit"),
        queryset=Unit.objects.order_by("code"),
        help_text=gettext_lazy(
            "The unit the guide answers. Import the unit and its criteria first if it is new."
        ),
        error_messages={
            "invalid_choice": gettext_lazy(
                "That unit is not in the bank (it may have been deleted). Choose a unit "
                "from the list."
            )
        },
    )
    language = forms.ChoiceField(
        label=gettext_lazy("Language of the guide"),
        choices=language_choices,
        error_messages={
            "invalid_choice": gettext_lazy(
                "The bank does not hold answers in that language. Choose one from the list."
            )
        },
    )
    attribution = forms.CharField(
        label=gettext_lazy("Attribution"),
        required=False,
        max_length=300,
        help_text=gettext_lazy(
            "Who wrote the guide, as candidates will read it under each answer. Left "
            "empty: the attribution the unit's answers in this language already have."
        ),
    )
    field_order = ["document", "unit", "language", "attribution"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Formatted here, in the reader's language (a lazy string formatted at import
        # time would be fixed in the language the server started in).
        self.fields["document"].help_text = _(
            "A Word document (.docx) or a plain text file (UTF-8), at most %(limit)s."
        ) % {"limit": filesizeformat(documents.MAX_UPLOAD_BYTES)}


class DecisionsForm(forms.Form):
    """The admin's choices on the review page, checked against the document's parse."""

    token = forms.CharField(widget=forms.HiddenInput)
    keep = forms.MultipleChoiceField(required=False)

    def __init__(self, draft, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.draft = draft
        self.fields["keep"].choices = [(item.key, item.key) for item in draft.flagged]
        choices = [(choice, choice) for choice in draft.heading_choices()]
        for line in draft.headings:
            # Not posted (a script, an old page): the heading keeps its default.
            self.fields[f"assign-{line.key}"] = forms.ChoiceField(choices=choices, required=False)

    def decisions(self) -> dict[str, str]:
        kept = set(self.cleaned_data["keep"])
        chosen = {item.key: KEEP if item.key in kept else DROP for item in self.draft.flagged}
        chosen.update(
            {
                line.key: self.cleaned_data[f"assign-{line.key}"] or line.default
                for line in self.draft.headings
            }
        )
        return chosen


# --- Views -------------------------------------------------------------------------


def _upload_page(model_admin, request, form, problem="", status=200):
    return TemplateResponse(
        request,
        "admin/units/unit/import_document.html",
        page_context(
            model_admin,
            request,
            title=_("Turn a study guide into a draft"),
            form=form,
            problem=problem,
        ),  # fmt: skip
        status=status,
    )


@csrf_exempt  # checked by csrf_protect below, once the request's size is known to be small
def upload(request, model_admin):
    """The upload form; a posted guide is read, parsed and shown for review."""
    require(request, PERMISSIONS)
    if request.method != "POST":
        return _upload_page(model_admin, request, DocumentForm())
    size = uploads.refuse_unread(request, documents.MAX_UPLOAD_BYTES)
    if size:
        problem = documents.too_large_message(size)
        return _upload_page(model_admin, request, DocumentForm(), problem, status=413)
    return csrf_protect(_read_upload)(request, model_admin)


def _read_upload(request, model_admin):
    form = DocumentForm(request.POST, request.FILES)  # csrf_protect has read them
    if received := uploads.stopped(request):
        problem = documents.too_large_message(received)
        return _upload_page(model_admin, request, DocumentForm(), problem, status=413)
    if not form.is_valid():
        return _upload_page(model_admin, request, form, status=400)
    upload_file, unit = form.cleaned_data["document"], form.cleaned_data["unit"]
    language = form.cleaned_data["language"]
    try:
        if upload_file.size > documents.MAX_UPLOAD_BYTES:
            raise DocumentError(documents.too_large_message(upload_file.size))
        text = documents.read_document(upload_file.name, upload_file.read())
        facts = documents.unit_facts(unit, language)
        draft = documents.parse(text, facts)
    except DocumentError as refused:
        return _upload_page(model_admin, request, form, str(refused), status=400)
    attribution = form.cleaned_data["attribution"].strip() or facts.attribution
    payload = {
        "user": request.user.pk,
        "unit": unit.pk,
        "language": language,
        "name": clean_text(upload_file.name).strip()[:120],
        "attribution": attribution,
        "text": text,
    }
    token = signing.dumps(payload, salt=TOKEN_SALT, compress=True)
    return _review_page(model_admin, request, unit, payload, draft, None, token)


def _from_token(request):
    """The reviewed document, from the signed token; None if it is not valid for this admin."""
    try:
        payload = signing.loads(
            request.POST.get("token", ""), salt=TOKEN_SALT, max_age=REVIEW_HOURS * 3600
        )
    except signing.BadSignature:
        return None
    if payload.get("user") != request.user.pk:
        return None
    unit = Unit.objects.filter(pk=payload.get("unit")).first()
    if unit is None:
        return None
    return unit, payload


def _reviewed(request):
    """(unit, payload, draft, form) from a review POST, or a redirect to start again."""
    found = _from_token(request)
    if found is None:
        messages.error(request, str(EXPIRED_MESSAGE))
        return redirect("admin:units_unit_import_document")
    unit, payload = found
    try:
        draft = documents.parse(payload["text"], documents.unit_facts(unit, payload["language"]))
    except DocumentError as refused:  # the unit's criteria changed since the upload
        messages.error(request, str(refused))
        return redirect("admin:units_unit_import_document")
    return unit, payload, draft, DecisionsForm(draft, request.POST)


@require_POST
def review(request, model_admin):
    """The review again, with the admin's choices applied."""
    require(request, PERMISSIONS)
    found = _reviewed(request)
    if not isinstance(found, tuple):
        return found
    unit, payload, draft, form = found
    valid = form.is_valid()
    return _review_page(
        model_admin, request, unit, payload, draft, form.decisions() if valid else None,
        request.POST["token"], status=200 if valid else 400, refused=not valid,
    )  # fmt: skip


@require_POST
def stage(request, model_admin):
    """Stage the draft as a fixture and open its preview: nothing is loaded yet."""
    require(request, PERMISSIONS)
    found = _reviewed(request)
    if not isinstance(found, tuple):
        return found
    unit, payload, draft, form = found
    if not form.is_valid():
        return _review_page(
            model_admin, request, unit, payload, draft, None, request.POST["token"],
            status=400, refused=True,
        )  # fmt: skip
    assembled = documents.assemble(draft, form.decisions())
    if not assembled.answers:
        messages.error(request, _("With these choices no answer is left: nothing was staged."))
        return _review_page(
            model_admin, request, unit, payload, draft, form.decisions(), request.POST["token"],
            status=400,
        )  # fmt: skip
    language = payload["language"]
    objects = documents.fixture_objects(unit.code, language, assembled, payload["attribution"])
    name = f"{payload['name']} → {unit.code} [{language}].json"
    staged = ContentImport.objects.stage(
        request.user,
        ContentImport.Kind.CONTENT,
        [(name, json.dumps(objects, ensure_ascii=False, indent=2) + "\n")],
        # Kept in the log in the uploader's language, as they read it when they chose it.
        origin=(
            _("Study guide %(name)s → unit %(code)s [%(language)s]")
            % {"name": payload["name"], "code": unit.code, "language": language}
        )[:300],
    )
    return redirect(staged.preview_url())


def _review_page(
    model_admin, request, unit, payload, draft, decisions, token, status=200, refused=False
):
    chosen = {**draft.default_decisions(), **(decisions or {})}
    assembled = documents.assemble(draft, chosen)
    return TemplateResponse(
        request,
        "admin/units/unit/import_document_review.html",
        page_context(
            model_admin,
            request,
            title=_("Review the study guide"),
            unit=unit,
            language=describe_language(payload["language"]),
            document_name=payload["name"],
            attribution=payload["attribution"],
            token=token,
            rows=review_rows(draft, assembled, chosen),
            answers=list(assembled.answers.values()),
            has_introduction=bool(assembled.introduction),
            empty=assembled.empty,
            unanswered=[c for c in draft.facts.criteria if c not in assembled.answers],
            existing=len(draft.facts.questions),
            refused_choices=refused,
            flagged_count=len(draft.flagged),
            heading_count=len(draft.headings),
        ),
        status=status,
    )


def review_rows(draft, assembled, chosen) -> list[dict]:
    """One row per non-blank line: the source on the left, what it becomes on the right."""
    english = draft.facts.english.get
    choices = [
        # Translators: a choice of criterion: its code and its question in English.
        (
            code,
            _("Criterion %(code)s: %(question)s") % {"code": code, "question": english(code, "")},
        )
        for code in draft.facts.criteria
    ]
    choices += [(AS_TEXT, _("Not a criterion: text of the answer above")),
                (LEAVE_OUT, _("Leave it out, with the text under it"))]  # fmt: skip
    # The same options for every heading, but for the one selected: built once per
    # selected value, not once per heading (a review may have hundreds of headings).
    options: dict[str, str] = {}

    def options_selecting(selected: str) -> str:
        if selected not in options:
            options[selected] = format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                ((v, " selected" if v == selected else "", label) for v, label in choices),
            )
        return options[selected]

    rows = []
    for line in draft.lines:
        if line.kind == Kind.BLANK:
            continue
        placed = assembled.placement.get(line.index)
        rows.append(
            {
                "number": line.number,
                "text": line.text,
                "kind": line.kind,
                "code": line.code,
                "question": line.question,
                "reason": line.reason_text,
                "key": line.key,
                "kept": chosen.get(line.key) == KEEP,
                "after_end": line.reason == "after-end",
                # An English passage in a guide in another script, tagged {lang=en}.
                "english": line.kind == Kind.TEXT
                and documents.english_passage(line.text, draft.facts.language) is not None,
                "placed": placed,
                "becomes": _placement_label(placed),
                "options": options_selecting(chosen.get(line.key, ""))
                if line.kind == Kind.HEADING
                else "",
                "pieces": [
                    {
                        "text": piece.text,
                        "key": piece.key,
                        "reason": str(documents.REASONS[piece.reason]) if piece.reason else "",
                        "kept": chosen.get(piece.key) == KEEP,
                    }
                    for piece in line.pieces
                ],
            }
        )
    return rows


def _placement_label(placed) -> str:
    if placed is None:
        return ""
    if placed == "":
        return _("Left out")
    if placed == documents.INTRODUCTION:
        return _("Introduction")
    return _("Answer to %(code)s") % {"code": placed}


def unit_urls(model_admin) -> list:
    """URLs added to the unit admin (named admin:units_unit_…)."""

    def view(function):
        def bound(request, *args, **kwargs):
            return function(request, model_admin, *args, **kwargs)

        bound.csrf_exempt = getattr(function, "csrf_exempt", False)
        return model_admin.admin_site.admin_view(bound)

    return [
        path("import-document/", view(upload), name="units_unit_import_document"),
        path("import-document/review/", view(review), name="units_unit_import_document_review"),
        path("import-document/stage/", view(stage), name="units_unit_import_document_stage"),
    ]
