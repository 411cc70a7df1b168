"""The work the worker does (`manage.py db_worker`), queued in the database through
Django's tasks framework (django-tasks, the backport of django.tasks)."""

from django_tasks import task


@task()
def build_export(export_id: int) -> None:
    """Make an export's file: see units.exports.build."""
    from . import exports

    exports.build(export_id)
