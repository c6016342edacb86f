"""The years CivicDesk accepts in any date it is given (decision 24).

Far from Python's datetime limits, so shifting a date by a time zone, a day or a 90-day window can
never overflow into a server error.
"""

from datetime import date

from django.core.validators import MaxValueValidator, MinValueValidator

FIRST_YEAR, LAST_YEAR = 1900, 9000


def in_range(value):
    """Whether a date or datetime falls within the accepted years."""
    return FIRST_YEAR <= value.year <= LAST_YEAR


def year_limits():
    """Validators keeping a form's date field within the accepted years."""
    return [MinValueValidator(date(FIRST_YEAR, 1, 1)), MaxValueValidator(date(LAST_YEAR, 1, 1))]
