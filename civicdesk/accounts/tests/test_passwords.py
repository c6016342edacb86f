"""Password policy at OWASP ASVS level 2: 12 to 128 characters, not common, not digits only."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from civicdesk.accounts.models import User


def refusal_codes(password, user=None):
    """Django's validators give codes; zxcvbn's estimate has none and is named "guessable"."""
    try:
        validate_password(password, user)
    except ValidationError as error:
        return {
            e.code or ("guessable" if "too guessable" in e.message else e.message) for e in error.error_list
        }
    return set()


LONG_PASSPHRASE = (
    "the tram to the harbour leaves at dawn, the gulls follow it along the quay; "
    "orchard lanterns glow above the seventh ferry slip"
)


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("quiet-river", "password_too_short"),  # 11 characters
        ("12345678", "password_entirely_numeric"),
        ("48205917", "password_entirely_numeric"),
        ("839201746583920174", "password_entirely_numeric"),  # long, still digits only
        ("1q2w3e4r5t6y", "password_too_common"),  # on Django's shipped list of breached passwords
        ("q1w2e3r4t5y6", "password_too_common"),
        ("passwordpassword", "guessable"),  # zxcvbn: a repeated common word
        ("qwertyuiopasdfgh", "guessable"),  # zxcvbn: a keyboard walk
        ("1qaz2wsx3edc4rfv", "guessable"),
        ("riverton2026", "guessable"),  # the city's name (PASSWORD_EXTRA_DICTIONARY) and a year
        ("x" * 128, "guessable"),
        ("x" * 129, "password_too_long"),
    ],
)
def test_it_refuses_weak_passwords(password, code):
    assert code in refusal_codes(password)


@pytest.mark.parametrize(
    "password", ["quiet-river7", "tram lantern orchard", "Ω-café-marzipan", LONG_PASSPHRASE]
)
def test_it_accepts_a_good_password_of_12_to_128_characters(password):
    assert 12 <= len(password) <= 128
    assert refusal_codes(password) == set()


def test_it_refuses_a_password_like_the_persons_own_address(db):
    user = User(email="margaret.okonkwo@example.org", full_name="Margaret Okonkwo")
    assert "password_too_similar" in refusal_codes("margaret.okonkwo", user)


def test_it_applies_the_policy_on_the_sign_up_page(client, db):
    weak = {"email": "new@example.org", "password1": "12345678", "password2": "12345678"}
    response = client.post("/accounts/signup/", weak)
    assert response.status_code == 200
    assert not User.objects.filter(email="new@example.org").exists()
    page = response.content.decode()
    assert "at least 12 characters" in page and "entirely numeric" in page

    strong = {
        "email": "new@example.org",
        "password1": "tram lantern orchard",
        "password2": "tram lantern orchard",
    }
    assert client.post("/accounts/signup/", strong).status_code == 302
    assert User.objects.get(email="new@example.org").check_password("tram lantern orchard")
