"""Everything the bank holds about one person, for them (UK GDPR, the right of
access): their account and choices, roles, enrolments and assessors, their answers
with every revision, comments and decisions, the audit trail, sign-offs, what they
wrote or decided about others, verifications, sign-in events, who read or exported
their records, and the emails sent to them.

An assessor's comments on a revision not yet decided on are left out, as the
candidate's own pages leave them out until the decision (exam marks may be
withheld until they are announced: Data Protection Act 2018, Schedule 2,
paragraph 25); everything else is here. Made by the worker (units.exports).
"""

from django.contrib.auth.models import Permission
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from post_office.models import Email

from .exports import person_ref, units_data
from .exports import when as _when
from .languages import interface_tag
from .models import (
    Answer,
    Assignment,
    AuditEntry,
    Comment,
    Decision,
    Enrolment,
    PortfolioGrant,
    Profile,
    RecordAccess,
    SecurityEvent,
    UnitSignOff,
    Verification,
)
from .portfolio import unit_records
from .roles import role_label


def _criterion(answer) -> dict:
    criterion = answer.learning_outcome
    return {"unit": criterion.unit.code, "criterion": criterion.code}


def collect(person, *, exported_by) -> tuple[dict, str]:
    """The person's data as a dict (the JSON) and as an HTML document (the PDF)."""
    from .models import Unit

    profile = Profile.objects.filter(user=person).first()
    units = (
        Unit.objects.filter(
            Q(enrolments__candidate=person) | Q(criteria__answers__candidate=person)
        )
        .distinct()
        .order_by("code")
    )
    records = unit_records(person, units, for_candidate=True)
    roles = sorted(role_label(group.name) for group in person.groups.all())
    data = {
        "format": "nvqbank-personal-data",
        "version": 1,
        "exported_at": _when(timezone.now()),
        "account": {
            "username": person.username,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "email": person.email,
            "date_joined": _when(person.date_joined),
            "last_login": _when(person.last_login),
            "active": person.is_active,
            "roles": roles,
            "permissions_of_your_own": sorted(
                f"{p.content_type.app_label}.{p.codename}"
                for p in Permission.objects.filter(user=person).select_related("content_type")
            ),
            "interface_language": profile.interface_language if profile else "",
            "model_answer_language": profile.answer_language if profile else "",
            "deactivated_at": _when(profile.deactivated_at) if profile else None,
        },
        "enrolments": [
            {"unit": e.unit.code, "enrolled_at": _when(e.enrolled_at)}
            for e in Enrolment.objects.filter(candidate=person).select_related("unit")
        ],
        "your_assessors": [
            person_ref(a.assessor)
            for a in Assignment.objects.filter(candidate=person).select_related("assessor")
        ],
        "candidates_you_assess": [
            person_ref(a.candidate)
            for a in Assignment.objects.filter(assessor=person).select_related("candidate")
        ],
        "portfolio": units_data(records),
        "current_drafts": [
            {
                **_criterion(answer),
                "status": answer.status,
                "updated_at": _when(answer.updated_at),
                "language": "en",
                "text": answer.text,
            }
            for answer in Answer.objects.filter(candidate=person).select_related(
                "learning_outcome__unit"
            )
        ],
        "comments_you_wrote_on_others_answers": [
            {
                **_criterion(comment.answer),
                "candidate": person_ref(comment.answer.candidate),
                "at": _when(comment.created_at),
                "passage": comment.quote,
                "body_markdown": comment.body,
            }
            for comment in Comment.objects.filter(author=person)
            .exclude(answer__candidate=person)
            .select_related("answer__candidate", "answer__learning_outcome__unit")
        ],
        "decisions_you_made": [
            {
                **_criterion(decision.answer),
                "candidate": person_ref(decision.answer.candidate),
                "outcome": decision.outcome,
                "at": _when(decision.created_at),
                "reason": decision.reason,
                "ip_address": decision.ip_address,
            }
            for decision in Decision.objects.filter(assessor=person).select_related(
                "answer__candidate", "answer__learning_outcome__unit"
            )
        ],
        "changes_you_made": [
            {
                **_criterion(entry.answer),
                "action": entry.action,
                "at": _when(entry.created_at),
                "ip_address": entry.ip_address,
                "note": entry.note,
            }
            for entry in AuditEntry.objects.filter(actor=person).select_related(
                "answer__learning_outcome__unit"
            )
        ],
        "verifications_you_made": [
            _verification(v)
            for v in Verification.objects.filter(verifier=person).select_related(
                "verifier", "decision__assessor", "decision__answer__learning_outcome__unit"
            )
        ],
        "verifications_of_your_decisions": [
            _verification(v)
            for v in Verification.objects.for_assessor(person).select_related(
                "verifier", "decision__assessor", "decision__answer__learning_outcome__unit"
            )
        ],
        "sign_offs_you_gave": [
            {
                "unit": s.unit.code,
                "candidate": person_ref(s.candidate),
                "signed_off_at": _when(s.signed_at),
                "withdrawn_at": _when(s.withdrawn_at),
            }
            for s in UnitSignOff.objects.filter(assessor=person).select_related("unit", "candidate")
        ],
        "external_verifier_access": [
            {
                "candidate": person_ref(g.candidate),
                "unit": g.unit.code if g.unit else None,
                "from": _when(g.starts_at),
                "until": _when(g.expires_at),
            }
            for g in PortfolioGrant.objects.filter(verifier=person).select_related(
                "candidate", "unit"
            )
        ],
        "sign_in_events": [
            {
                "kind": e.kind,
                "at": _when(e.created_at),
                "ip_address": e.ip_address,
                "browser": e.user_agent,
            }
            for e in SecurityEvent.objects.filter(Q(user=person) | Q(username=person.username))
        ],
        "who_read_or_exported_your_records": [
            _access(a)
            for a in RecordAccess.objects.filter(person=person).select_related("reader", "unit")
        ],
        "records_you_read_or_exported": [
            _access(a)
            for a in RecordAccess.objects.filter(reader=person).select_related("person", "unit")
        ],
        "emails_sent_to_you": _emails(person.email),
    }
    html = render_to_string(
        "exports/personal_data.html",
        {
            "person": person,
            "data": data,
            "records": records,
            "exported_by": exported_by,
            "exported_at": timezone.now(),
            "language_tag": interface_tag(translation.get_language()),
        },
    )
    return data, html


def _emails(address: str) -> list[dict]:
    """The notifications addressed to this address: matched whole, not as a part of
    another address (mina@example.com is not in xmina@example.com)."""
    if not address:
        return []
    wanted = address.lower()
    return [
        {"subject": e.subject, "created_at": _when(e.created), "status": e.get_status_display()}
        for e in Email.objects.filter(to__icontains=address).order_by("created")
        if wanted in (recipient.lower() for recipient in e.to)
    ]


def _verification(v) -> dict:
    return {
        **_criterion(v.decision.answer),
        "decision_outcome": v.decision.outcome,
        "assessor": person_ref(v.decision.assessor),
        "verifier": person_ref(v.verifier),
        "verdict": v.verdict,
        "at": _when(v.created_at),
        "reason": v.reason,
        "action": v.action,
        "feedback": v.feedback,
    }


def _access(a) -> dict:
    return {
        "kind": a.kind,
        "reader": person_ref(a.reader),
        "person": person_ref(a.person),
        "unit": a.unit.code if a.unit else None,
        "what": a.what,
        "at": _when(a.created_at),
    }
