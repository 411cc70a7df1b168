"""Create the demo accounts listed in the README. Safe to run again."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from units import enrolling, notifications, services
from units.models import Answer, Assignment, LearningOutcome, PortfolioGrant, Profile, Unit
from units.roles import (
    ADMIN,
    ASSESSOR,
    CANDIDATE,
    EXTERNAL_VERIFIER,
    INTERNAL_VERIFIER,
    ensure_roles,
)

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - published in the README, demo only

PEOPLE = [
    # username, first name, last name, role
    ("admin", "Ada", "Admin", ADMIN),
    ("amara", "Amara", "Okafor", ASSESSOR),
    ("ben", "Ben", "Hughes", ASSESSOR),
    ("mina", "Mina", "Park", CANDIDATE),
    ("jelena", "Jelena", "Petrović", CANDIDATE),
    ("wei", "Wei", "Zhang", CANDIDATE),
    ("grace", "Grace", "Adeyemi", INTERNAL_VERIFIER),
    ("tom", "Tom", "Fletcher", EXTERNAL_VERIFIER),
]
# The external verifier reads Mina's portfolio for this long from the first run.
GRANT_DAYS = 30
# The model answers each candidate reads first; their interface follows their
# browser until they choose (the switcher, or "Your languages").
ANSWER_LANGUAGES = {"mina": "ko", "jelena": "sr-Cyrl", "wei": "zh-Hans"}
ASSIGNMENTS = [("mina", "amara"), ("jelena", "amara"), ("jelena", "ben"), ("wei", "ben")]

# Mina's answers in F3, one in each state, so every screen has something to show.
MINA_ANSWERS = {
    "3.1": (
        "accepted",
        "Our organisation works with partners such as the police, the fire service and "
        "the health service to understand what residents need. We ask people what they "
        "expect, involve them in decisions and check our services against that.",
    ),
    "3.2": (
        "needs_revision",
        "Money is limited, so we cannot offer everything. We have fewer staff, which "
        "means longer waits.",
    ),
    "3.3": (
        "submitted",
        "The service chain includes managers, social workers, clients and their families. "
        "When one link fails, for example a carer falls ill, everyone after them is "
        "affected, so we plan cover and keep families informed.",
    ),
    "3.4": (
        "draft",
        "Customers form expectations from what they have seen before, from other "
        "organisations, from what friends tell them and",
    ),
}


class Command(BaseCommand):
    help = "Create the demo accounts (refused unless DEBUG is on or --force is given)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even though DEBUG is off.")

    @transaction.atomic
    def handle(self, *args, **options):
        if not (settings.DEBUG or options["force"]):
            raise CommandError(
                "seed_demo creates accounts with published passwords; it runs only with "
                "DEBUG on, or with --force."
            )
        ensure_roles()
        users = {person[0]: self._person(*person) for person in PEOPLE}
        for candidate, assessor in ASSIGNMENTS:
            Assignment.objects.get_or_create(candidate=users[candidate], assessor=users[assessor])
        # The demo reads as before drafts and enrolment: every complete unit in the
        # bank published, every demo candidate enrolled on each. Both keep what is
        # already there, so running this again changes nothing.
        for unit in Unit.objects.filter(published_at=None):
            for problem in unit.publish():
                self.stdout.write(f"{unit.code} stays a draft: {problem}")
        candidates = [users[username] for username, *_names, role in PEOPLE if role == CANDIDATE]
        enrolling.enrol(candidates, Unit.objects.all(), by=users["admin"])
        # Mina's invented history is nobody's news: it queues no emails (make run's
        # worker would otherwise print them all at start).
        with notifications.muted():
            self._mina_answers(users["mina"], users["amara"])
        if not PortfolioGrant.objects.active().filter(verifier=users["tom"]).exists():
            PortfolioGrant.objects.create(
                verifier=users["tom"],
                candidate=users["mina"],
                expires_at=timezone.now() + timedelta(days=GRANT_DAYS),
                note="EQA visit (demo)",
                granted_by=users["admin"],
            )
        self.stdout.write(f"Demo accounts ready: {', '.join(users)} (password {DEMO_PASSWORD}).")

    def _person(self, username, first_name, last_name, role):
        user, _ = get_user_model().objects.get_or_create(username=username)
        user.first_name, user.last_name = first_name, last_name
        user.email = f"{username}@example.com"
        user.is_active = True
        user.is_staff = user.is_superuser = role == ADMIN
        user.set_password(DEMO_PASSWORD)
        user.save()
        user.groups.set([Group.objects.get(name=role)])
        # get_or_create: running make run again keeps a choice the person has made since.
        Profile.objects.get_or_create(
            user=user, defaults={"answer_language": ANSWER_LANGUAGES.get(username, "")}
        )
        return user

    def _mina_answers(self, mina, assessor):
        if Answer.objects.for_candidate(mina).exists():
            return  # already seeded (or used): leave the candidate's work alone
        criteria = {
            c.code: c
            for c in LearningOutcome.objects.filter(unit__code="F3", code__in=MINA_ANSWERS)
        }
        if len(criteria) < len(MINA_ANSWERS):
            self.stdout.write("Unit F3 is not loaded: the demo answers were skipped.")
            return
        for code, (state, text) in MINA_ANSWERS.items():
            criterion = criteria[code]
            if state == "draft":
                services.draft_save(candidate=mina, criterion=criterion, text=text, base_version=0)
                continue
            revision = services.draft_submit(
                candidate=mina, criterion=criterion, text=text, base_version=0, declaration=True
            )
            if state == "accepted":
                services.answer_accept(answer=revision.answer, assessor=assessor)
            elif state == "needs_revision":
                services.comment_add(
                    answer=revision.answer,
                    author=assessor,
                    body="Good start. Explain *how* having fewer staff changes the service "
                    "customers receive, with an example from your own work.",
                    quote="We have fewer staff, which means longer waits.",
                )
                services.answer_return(answer=revision.answer, assessor=assessor)
