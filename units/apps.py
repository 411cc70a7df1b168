from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UnitsConfig(AppConfig):
    name = "units"
    verbose_name = _("Units and answers")

    def ready(self):
        from . import roles, search, security
        from .models import content

        content.connect()
        security.connect()
        search.connect()
        roles.connect()
