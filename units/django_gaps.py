"""Django's own interface strings that some of its catalogues lack or mistranslate
(as of Django 5.2: Croatian has neither the password rules with their curly
apostrophes nor the "%(num)d minute" forms `timesince` uses; Chinese lacks the
password-length refusal; Serbian in Latin joins "2 dana,3 sata" without a space).

Nothing imports this module: it exists so `make messages` puts these strings in
our catalogues, which Django reads before its own (LOCALE_PATHS comes first).
"""

from django.utils.translation import gettext_noop, ngettext_lazy

PASSWORD_RULES = [
    # The refusals (Croatian, and Chinese for the length, lack these wordings).
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        "min_length",
    ),
    gettext_noop("The password is too similar to the %(verbose_name)s."),
    gettext_noop("This password is too common."),
    # The rules shown beside the form.
    gettext_noop("Your password can’t be too similar to your other personal information."),
    gettext_noop("Your password can’t be a commonly used password."),
    gettext_noop("Your password can’t be entirely numeric."),
]

# As django.utils.timesince.TIME_STRINGS: "2 days, 3 hours" on the review queue.
TIME_STRINGS = [
    ngettext_lazy("%(num)d year", "%(num)d years", "num"),
    ngettext_lazy("%(num)d month", "%(num)d months", "num"),
    ngettext_lazy("%(num)d week", "%(num)d weeks", "num"),
    ngettext_lazy("%(num)d day", "%(num)d days", "num"),
    ngettext_lazy("%(num)d hour", "%(num)d hours", "num"),
    ngettext_lazy("%(num)d minute", "%(num)d minutes", "num"),
    # Between the parts of a duration ("2 days, 3 hours").
    gettext_noop(", "),
]
