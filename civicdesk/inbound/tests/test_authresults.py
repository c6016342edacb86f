"""Reading Authentication-Results (RFC 8601): only our server's topmost header counts (decision 52)."""

import pytest

from civicdesk.inbound import authresults

OURS = "mx.city.test"


def test_it_parses_the_rfc_8601_examples_with_comments_and_versions():
    value = (
        "mx.city.test 1; (a comment; with a semicolon) spf=pass (sender SPF authorized) "
        'smtp.mailfrom=Ana@Example.org; dkim/1=pass reason="good; signature" header.d=example.org header.s=s1'
    )
    assert authresults.parse(value) == (
        "mx.city.test",
        [
            ("spf", "pass", {"smtp.mailfrom": "ana@example.org"}),
            ("dkim", "pass", {"reason": "good; signature", "header.d": "example.org", "header.s": "s1"}),
        ],
    )
    assert authresults.parse("mx.city.test; none") == ("mx.city.test", [])
    assert authresults.parse("") == ("", [])


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["mx.city.test; dmarc=pass header.from=example.org"], True),
        (["mx.city.test; dkim=pass header.d=mail.example.org"], True),  # relaxed alignment
        (["mx.city.test; spf=pass smtp.mailfrom=bounce@example.org"], True),
        (["MX.City.Test; DMARC=Pass"], True),
        (["mx.city.test; dmarc=fail header.from=example.org; dkim=pass header.d=other.test"], False),
        (["mx.city.test; dmarc=pass header.from=other.test"], False),
        (["mx.city.test; dkim=pass header.d=org"], False),  # a bare suffix aligns with nothing
        (["mx.city.test; spf=softfail smtp.mailfrom=a@example.org"], False),
        (["mx.elsewhere.test; dmarc=pass header.from=example.org"], False),
        # The topmost of ours is the one our server wrote; a sender's forged one under it is ignored.
        (["mx.city.test; dmarc=fail", "mx.city.test; dmarc=pass header.from=example.org"], False),
        (["relay.test; dmarc=fail", "mx.city.test; dmarc=pass header.from=example.org"], True),
        (["mx.city.test (unterminated; dmarc=pass"], False),
        ([], False),
    ],
)
def test_it_verifies_only_what_our_server_authenticated(values, expected):
    assert authresults.verified(values, OURS, "example.org") is expected


def test_it_verifies_nothing_without_an_authserv_id_or_a_from_domain():
    values = ["mx.city.test; dmarc=pass header.from=example.org"]
    assert not authresults.verified(values, "", "example.org")
    assert not authresults.verified(values, OURS, "")
