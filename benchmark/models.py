from django.db import models


class Fortune(models.Model):
    """The TechEmpower Fortunes table: the floor every page is compared with."""

    message = models.CharField(max_length=2048)

    def __str__(self):
        return self.message
