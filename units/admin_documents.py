"""Turning a study-guide document into a draft of a unit's model answers, in the admin."""


def unit_urls(model_admin) -> list:
    """URLs added to the unit admin (named admin:units_unit_…)."""
    return []
