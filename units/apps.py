from django.apps import AppConfig


class UnitsConfig(AppConfig):
    name = "units"
    verbose_name = "Units and answers"

    def ready(self):
        from . import security

        security.connect()
