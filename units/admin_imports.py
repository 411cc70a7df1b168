"""Importing fixtures in the admin: upload, validate, preview, confirm; the import log."""


def unit_urls(model_admin) -> list:
    """URLs added to the unit admin (named admin:units_unit_…)."""
    return []
