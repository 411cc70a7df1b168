"""The log of who read whose records (units.models.RecordAccess): every portfolio
page, sampled decision and export download, by whoever reads them."""

from .models import RecordAccess
from .security import client_ip


def log_view(request, *, person, unit=None, kind=RecordAccess.Kind.VIEWED, what=None) -> None:
    RecordAccess.objects.create(
        kind=kind,
        reader=request.user,
        person=person,
        unit=unit,
        what=(what or request.get_full_path())[:300],
        ip_address=client_ip(request),
    )
