"""Password rules Django does not ship: an upper bound on length, and a guessability estimate.

Every sign-in hashes what was typed (PBKDF2, hundreds of thousands of rounds); a megabyte-long
"password" makes each attempt costly for the server, so length is capped like ASVS 2.1.2 allows.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import ngettext
from django_zxcvbn_password_validator import ZxcvbnPasswordValidator

ZXCVBN_MAX_LENGTH = 72


class MaximumLengthValidator:
    def __init__(self, max_length=128):
        self.max_length = max_length

    def validate(self, password, user=None):
        if len(password) > self.max_length:
            raise ValidationError(self.get_error_message(), code="password_too_long")

    def get_error_message(self):
        return ngettext(
            "This password is too long. It must contain at most %(max_length)d character.",
            "This password is too long. It must contain at most %(max_length)d characters.",
            self.max_length,
        ) % {"max_length": self.max_length}

    def get_help_text(self):
        return ngettext(
            "Your password must contain at most %(max_length)d character.",
            "Your password must contain at most %(max_length)d characters.",
            self.max_length,
        ) % {"max_length": self.max_length}


class GuessabilityValidator(ZxcvbnPasswordValidator):
    """zxcvbn's estimate: its shipped lists (30,000 leaked passwords, English words, names) plus
    keyboard walks, repeats, dates and l33t substitutions, far beyond Django's list at 12+ characters.

    zxcvbn refuses input over 72 characters; a long passphrase is judged by its first 72, so the
    limit people meet is MaximumLengthValidator's.
    """

    def validate(self, password, user=None):
        super().validate(password[:ZXCVBN_MAX_LENGTH], user)
