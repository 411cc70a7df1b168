import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from units.models import Answer, Assignment, PortfolioGrant, Revision


def import_settings(**env):
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    return subprocess.run(  # noqa: S603 - our own interpreter
        [
            sys.executable,
            "-c",
            "import nvqbank.settings as s; print(s.DATABASES['default']['ENGINE'])",
        ],
        cwd=settings.BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_needs_a_secret_key():
    result = import_settings()
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_debug_runs_without_a_secret_key():
    assert import_settings(DEBUG="1").returncode == 0


def test_database_url_selects_postgresql():
    result = import_settings(DEBUG="1", DATABASE_URL="postgres://postgres@127.0.0.1:5432/x")
    assert result.stdout.strip() == "django.db.backends.postgresql"


def test_sqlite_is_the_default():
    result = import_settings(DEBUG="1", DATABASE_URL="")
    assert result.stdout.strip() == "django.db.backends.sqlite3"


@pytest.mark.django_db
def test_seed_demo_is_refused_without_debug_or_force():
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert not get_user_model().objects.exists()


def demo_state():
    users = {
        user.username: sorted(user.groups.values_list("name", flat=True))
        for user in get_user_model().objects.all()
    }
    answers = sorted(
        Answer.objects.values_list("candidate__username", "learning_outcome__code", "status")
    )
    return users, answers, Assignment.objects.count(), Revision.objects.count(), grants()


def grants():
    return sorted(
        PortfolioGrant.objects.active().values_list("verifier__username", "candidate__username")
    )


def test_seed_demo_is_idempotent(client, content):
    call_command("seed_demo", "--force", verbosity=0)
    first = demo_state()
    call_command("seed_demo", "--force", verbosity=0)
    assert demo_state() == first
    users, answers, assignments, revisions, granted = first
    assert granted == [("tom", "mina")]
    assert users == {
        "admin": ["Admin"], "amara": ["Assessor"], "ben": ["Assessor"],
        "mina": ["Candidate"], "jelena": ["Candidate"], "wei": ["Candidate"],
        "grace": ["Internal verifier"], "tom": ["External verifier"],
    }  # fmt: skip
    assert {status for _, _, status in answers} == {
        "draft", "submitted", "needs_revision", "accepted",
    }  # fmt: skip
    assert assignments == 4 and revisions == 3
    assert get_user_model().objects.get(username="admin").is_superuser
    for username in users:
        signed_in = client.post(
            "/accounts/login/", {"username": username, "password": "demo-pass-2026"}
        )
        assert signed_in.status_code == 302, username
