"""The parser on any bytes at all: a parsed message or Undecodable, never another error."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicdesk.inbound import loops, parsing

HEADERS = st.sampled_from(
    [
        b"From: a@example.org\r\n",
        b"From: =?utf-8?b?!!?= <\r\n",
        b"Subject: =?iso-8859-1?q?caf=E9?=\r\n",
        b"Content-Type: multipart/mixed; boundary=x\r\n",
        b"Content-Type: text/plain; charset=utf-16\r\n",
        b"Content-Type: text/html\r\n",
        b"Content-Transfer-Encoding: base64\r\n",
        b"Content-Transfer-Encoding: quoted-printable\r\n",
        b"Auto-Submitted: no\r\n",
        b"References: <a@b> <c@d\r\n",
        b"X-Loop: \r\n",
    ]
)
BODIES = st.one_of(
    st.binary(max_size=300),
    st.sampled_from(
        [b"--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n--x--\r\n", b"<p>hi</p>", b"=E9=\r\n", b"aGk="]
    ),
)


@settings(max_examples=300, deadline=None)
@given(headers=st.lists(HEADERS, max_size=6), body=BODIES)
def test_it_parses_or_refuses_any_bytes(headers, body):
    raw = b"".join(headers) + b"\r\n" + body
    try:
        parsed = parsing.parse(raw)
    except parsing.Undecodable as error:
        assert str(error)
        return
    assert isinstance(parsed.text, str)
    if parsed.html_only:
        assert "<p>" not in parsed.text  # markup never survives an HTML-only body
    assert isinstance(loops.automated_reason(parsed, ""), str)


def test_it_strips_html_to_text_only():
    html = '<style>p{}</style><script>alert(1)</script><p>Hole &amp; <a href="javascript:x">sign</a></p>'
    assert parsing.html_to_text(html) == "Hole & sign"


@pytest.mark.parametrize(
    ("html", "text"),
    [
        (
            "<p>Write to <ana@example.org> or see <https://x.test/a?b=1></p>",
            "Write to <ana@example.org> or see <https://x.test/a?b=1>",
        ),
        ("<p>Mail <mailto:ana@example.org> if 3 < 4</p>", "Mail <mailto:ana@example.org> if 3 < 4"),
        # A head (or title) never closed ends where the body's content starts, as in browsers.
        ("<html><head><title>Report<body><p>Pothole on Elm</p>", "Pothole on Elm"),
        ("<html><head><meta charset=utf-8><p>Text after the head</p>", "Text after the head"),
        ("<html><head><style>p{}</style>Loose text<div>Body</div>", "Loose text\nBody"),
        ("<html><head><title>T</title></head><body>B</body></html>", "B"),
    ],
)
def test_it_keeps_bracketed_addresses_and_text_after_an_unclosed_head(html, text):
    assert parsing.html_to_text(html) == text


def test_it_reduces_hostile_html_to_safe_text():
    html = (
        "<script>alert(1)</script><style>p{color:red}</style><!-- secret --><![CDATA[cdata]]>"
        "<p onclick=alert(2)>&lt;script&gt;x&lt;/script&gt; &amp;&#65;&#x42;&nbsp;</p>"
        + "<div><span>" * 20000
        + "deep"
        + "</span></div>" * 20000
        + "<title>" * 20000
        + "hidden"
        + "</title>" * 20000
        + "<p>end</p><script>never closed <p>lost</p>"
    )
    text = parsing.html_to_text(html)
    assert text.startswith("<script>x</script> &AB")  # entities are text, never markup
    assert "deep" in text and text.endswith("end")
    for hidden in ("alert", "color", "secret", "hidden", "lost", "onclick"):
        assert hidden not in text


def test_it_strips_quoted_history_and_sign_offs_in_both_languages():
    english = "Still broken.\n\nRegards,\nAna\n\nOn Tue, 8 Dec 2026, City <a@city.test> wrote:\n> Old text"
    spanish = "Sigue roto.\n\nSaludos,\nAna\n\nEl mar, 8 dic 2026, Ciudad <a@city.test> escribió:\n> Antes"
    assert parsing.strip_reply(english) == "Still broken."
    assert parsing.strip_reply(spanish) == "Sigue roto."
