import pytest
from django.conf import settings
from django.core.management import call_command

from units.models import LearningOutcome, ModelAnswer, Unit

FIXTURE_DIR = settings.BASE_DIR / "fixtures"
# The order an admin loads them in: readings name the units they belong to.
FIXTURE_FILES = [
    FIXTURE_DIR / "unit-f3.json",
    FIXTURE_DIR / "unit-a-601-2550.json",
    FIXTURE_DIR / "readings.json",
]


def publish_and_enrol():
    """Publish every unit and enrol every candidate on each: the state most tests
    start from (tests of drafts and enrolment set up their own)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from units.models import Enrolment
    from units.roles import CANDIDATE

    Unit.objects.filter(published_at=None).update(published_at=timezone.now())
    candidates = get_user_model().objects.filter(groups__name=CANDIDATE)
    Enrolment.objects.bulk_create(
        [Enrolment(candidate=c, unit=u) for c in candidates for u in Unit.objects.all()],
        ignore_conflicts=True,
    )


@pytest.fixture
def content(db):
    """The real content, loaded from the committed fixtures as an admin would."""
    call_command("loaddata", *FIXTURE_FILES, verbosity=0)
    call_command("rebuild_search_index", verbosity=0)
    publish_and_enrol()


def make_unit(code="U1", *, criteria=3, languages=("ko",), title=None):
    """A unit with `criteria` criteria (1.1 …) and a model answer per language."""
    unit = Unit.objects.create(code=code, slug=code.lower(), title=title or f"Unit {code}")
    outcomes = LearningOutcome.objects.bulk_create(
        LearningOutcome(
            unit=unit, code=f"1.{n}", outcome="LO1 Understand", question=f"Question {n}?"
        )
        for n in range(1, criteria + 1)
    )
    ModelAnswer.objects.bulk_create(
        ModelAnswer(learning_outcome=outcome, language=language, body=f"Answer **{language}**")
        for outcome in outcomes
        for language in languages
    )
    publish_and_enrol()
    return unit


def make_user(username, role=None, **extra):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from units.roles import ensure_roles

    user = get_user_model().objects.create_user(
        username=username, password="pw-" + username, email=f"{username}@example.com", **extra
    )
    if role:
        ensure_roles()  # a transactional test's flush empties the groups table
        user.groups.add(Group.objects.get(name=role))
        publish_and_enrol()
    return user


@pytest.fixture
def people(db):
    """Alice and Bob are candidates; Carol assesses Alice; Dave assesses no one here;
    Grace is an internal verifier; Tom an external verifier who may read Alice's
    portfolio for the next week."""
    from datetime import timedelta

    from django.utils import timezone

    from units.models import Assignment, PortfolioGrant
    from units.roles import ASSESSOR, CANDIDATE, EXTERNAL_VERIFIER, INTERNAL_VERIFIER

    alice = make_user("alice", CANDIDATE)
    bob = make_user("bob", CANDIDATE)
    carol = make_user("carol", ASSESSOR)
    dave = make_user("dave", ASSESSOR)
    admin = make_user("root", is_staff=True, is_superuser=True)
    grace = make_user("grace", INTERNAL_VERIFIER)
    tom = make_user("tom", EXTERNAL_VERIFIER)
    Assignment.objects.create(candidate=alice, assessor=carol)
    PortfolioGrant.objects.create(
        verifier=tom, candidate=alice, expires_at=timezone.now() + timedelta(days=7)
    )
    return {
        "alice": alice,
        "bob": bob,
        "carol": carol,
        "dave": dave,
        "admin": admin,
        "grace": grace,
        "tom": tom,
    }


@pytest.fixture
def criterion(db):
    unit = make_unit("T1", criteria=12, languages=("ko", "zh-Hans"))
    return unit.criteria.get(code="1.5")


JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture(autouse=True)
def _fresh_rate_counts():
    """Rate counts live in the cache, keyed by user id: ids repeat between tests."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def page_owner(client) -> str:
    """What a drafting page loaded for the client's signed-in person sends as
    `owner` with each save and submit ("" when nobody is signed in)."""
    from django.contrib.auth import SESSION_KEY, get_user_model

    from units.access import owner_token

    pk = client.session.get(SESSION_KEY)
    return owner_token(get_user_model().objects.get(pk=pk)) if pk else ""


def run_queued_tasks() -> int:
    """Run the queued tasks as `manage.py db_worker` runs each one (its own
    Worker.run_task), here in the test's transaction; returns how many ran. The
    command's loop itself is run by tests/test_exports.py."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="tests",
        excluded_queue_names=[],
    )
    ran = 0
    while (result := DBTaskResult.objects.ready().first()) is not None:
        result.claim(worker.worker_id)
        worker.run_task(result)
        ran += 1
    return ran
