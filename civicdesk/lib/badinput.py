"""Input no page can use: NUL characters and text that is not UTF-8.

PostgreSQL's driver refuses NUL in text (a 500 if it gets that far) and SQLite would store it; a
form body in another character set cannot be read as the text the person meant. So both are
refused with a 400 before any view looks them up. Open311 and the REST API answer in their own
error shapes with the same checks (`nul_field`, `utf8_charset`, `undecodable_field`); the
middleware answers every other page.

Form fields with NUL in a POST body are left to the forms: Django's CharField already gives a
field error ("Null characters are not allowed."), which is kinder than a 400 page. The admin is the
exception: its JSON fields would pass NUL on (`admin_form_problem`).
"""

import codecs
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.shortcuts import render
from django.utils.translation import gettext as _

NUL = "\x00"
JSON_NUL = "\\u0000"
STRICT = ("/admin/",)  # pages whose forms do not all refuse NUL themselves (JSON fields)
FORM = "application/x-www-form-urlencoded"


def nul_field(items):
    """The name of the first (name, value) pair with a NUL in either, else None."""
    for name, value in items:
        if NUL in name or (isinstance(value, str) and NUL in value):
            return name.replace(NUL, "\\0")
    return None


def utf8_charset(request):
    """True unless the body declares a character set other than UTF-8 (any alias of it) or ASCII,
    which is UTF-8's first half: its bytes are then checked as UTF-8 like any other."""
    charset = request.content_params.get("charset") if request.content_params else None
    if not charset:
        return True
    try:
        return codecs.lookup(charset).name in ("utf-8", "ascii")
    except LookupError:
        return False


def undecodable_field(body):
    """The first field of a urlencoded body whose name or value is not UTF-8, else None.

    Django decodes such bytes to U+FFFD without a word, so the text stored would not be what was sent.
    """
    for pair in body.split(b"&"):
        name, _sep, value = pair.partition(b"=")
        raw_name = unquote_to_bytes(name.replace(b"+", b" "))
        for raw in (raw_name, unquote_to_bytes(value.replace(b"+", b" "))):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return raw_name.decode("utf-8", "replace")
    return None


def body_problem(request):
    """Why a form body cannot be read as UTF-8 text, or None. Only urlencoded bodies are scanned:
    a multipart body may be a large upload, and its text parts are few and decoded by Django."""
    if request.method != "POST":
        return None
    if not utf8_charset(request):
        return _("Send the form in UTF-8.")
    if request.content_params.get("charset"):
        request.encoding = "utf-8"  # "UTF8" and other aliases: Django itself accepts only "utf-8"
    if request.content_type == FORM and (name := undecodable_field(request.body)) is not None:
        return _("The field “%(name)s” is not UTF-8 text.") % {"name": name[:60]}
    return None


def admin_form_problem(request):
    """NUL in any field of a form under the admin, raw or as JSON's escape: the admin's JSON fields
    (translations, routing conditions) pass "\\u0000" to PostgreSQL, which refuses it (a 500)."""
    if request.method != "POST" or not request.path.startswith(STRICT):
        return None
    for name, values in request.POST.lists():
        if (field := nul_field((name, value.replace(JSON_NUL, NUL)) for value in values)) is not None:
            return _("The field “%(name)s” contains a NUL character.") % {"name": field[:60]}
    return None


def query_problem(request):
    if NUL in request.path:
        return _("The web address contains a NUL character.")
    if (name := nul_field(request.GET.items())) is not None:
        return _("The parameter “%(name)s” contains a NUL character.") % {"name": name[:60]}
    return None


class RefuseBadInput:
    """A 400 page for NUL in the address or query and for form bodies that are not UTF-8.

    Paths in BAD_INPUT_OWN_SHAPE (Open311, the REST API) are skipped: they check the same things
    themselves and answer in the error shape their clients parse.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(tuple(settings.BAD_INPUT_OWN_SHAPE)):
            try:
                problem = query_problem(request) or body_problem(request) or admin_form_problem(request)
            except RequestDataTooBig:  # the view's own handling of a body too large answers it
                problem = None
            if problem:
                return render(request, "bad_input.html", {"problem": problem}, status=400)
        return self.get_response(request)
