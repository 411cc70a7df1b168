"""Where Django's date formats for a language are not what its readers expect
(settings.FORMAT_MODULE_PATH; anything not set here is Django's own)."""
