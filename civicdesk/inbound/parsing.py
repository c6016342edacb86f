"""Reading an e-mail with the standard library (policy=default): the text a resident wrote, the
files they attached, and the headers threading and loop detection need. No Django here."""

import contextlib
import email
import email.policy
import re
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from mailparser_reply import EmailReplyParser

# Characters a body may hold after decoding; a decoder that yields replacement characters for more
# than this share of the text did not really decode it.
MAX_REPLACEMENT_SHARE = 0.05
# Quote headers mail-parser-reply misses (Gmail's Spanish one, Outlook's separators).
QUOTE_HEADER = re.compile(
    r"^(?:(?:On|El)\s.{0,200}?(?:wrote|escribi[oó])\s*:"
    r"|-{2,}\s*(?:Original Message|Mensaje original|Forwarded message|Mensaje reenviado)\s*-{2,}"
    r"|_{10,}"
    r"|(?:From|De):\s.*\n(?:(?:Sent|Enviado|Date|Fecha):\s))",
    re.IGNORECASE | re.MULTILINE,
)

SIGN_OFF = re.compile(
    r"^\s*(thanks|thank you|best|regards|kind regards|best regards|cheers|sincerely|gracias|muchas gracias|"
    r"saludos|un saludo|atentamente|cordialmente)[,.!]?\s*$",
    re.IGNORECASE,
)


class Undecodable(Exception):
    """The message cannot be read as e-mail text; its reason goes to the quarantine."""


@dataclass
class Part:
    name: str
    content_type: str
    data: bytes
    inline: bool = False


@dataclass
class ParsedMail:
    # No Message-ID: it was read once, at intake, as the message's key (InboundMessage.key).
    sender: str
    sender_name: str
    subject: str
    text: str
    full_text: str
    recipients: list
    in_reply_to: list
    references: list
    headers: object  # the email.message.EmailMessage, for the loop checks
    parts: list = field(default_factory=list)
    html_only: bool = False


def parse(raw):
    """Parse raw RFC 5322 bytes. Raises Undecodable with a reason."""
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        subject = _header(message, "Subject")
        sender_name, sender = _sender(message)
        body, html_only, parts = _body_and_parts(message)
    except Undecodable:
        raise
    except Exception as error:  # the email package raises many kinds on broken input
        raise Undecodable(f"Unreadable MIME: {type(error).__name__}: {error}") from error
    return ParsedMail(
        sender=sender,
        sender_name=sender_name,
        subject=subject,
        text=strip_reply(body),
        full_text=body,
        recipients=_recipients(message),
        in_reply_to=_ids(_header(message, "In-Reply-To")),
        references=_ids(_header(message, "References")),
        headers=message,
        parts=parts,
        html_only=html_only,
    )


def _header(message, name):
    """A header as text; a malformed one read as its raw characters rather than refused."""
    try:
        value = message.get(name)
    except Exception:  # noqa: BLE001 - header parsing errors in the registry
        value = None
        for key, raw_value in message.raw_items():
            if key.lower() == name.lower():
                value = raw_value
                break
    return " ".join(str(value).split()) if value is not None else ""


def _sender(message):
    name, address = parseaddr(_header(message, "From"))
    address = address.strip().lower()
    if "@" not in address:
        address = ""
    return name, address


def _recipients(message):
    values = [_header(message, name) for name in ("To", "Cc", "Delivered-To", "X-Original-To")]
    return [address.lower() for _name, address in getaddresses(values) if "@" in address]


def message_ids(value):
    """The <...> ids in a Message-ID, In-Reply-To or References header, in order."""
    return re.findall(r"<[^<>\s]+>", value or "")


_ids = message_ids


def _body_and_parts(message):
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",)) if plain is None else None
    if plain is None and html is None and message.get_content_maintype() != "multipart":
        raise Undecodable(f"No text in a {message.get_content_type()} message")
    text = _decode(plain) if plain is not None else html_to_text(_decode(html)) if html is not None else ""
    parts = []
    for part in message.walk():
        if part is plain or part is html or part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        ctype = part.get_content_type()
        if disposition is None and ctype in ("text/plain", "text/html"):
            continue  # the other alternative of the body
        data = part.get_payload(decode=True) or b""
        name = part.get_filename() or f"part.{part.get_content_subtype()}"
        parts.append(Part(name=name[:200], content_type=ctype, data=data, inline=disposition == "inline"))
    return text.strip(), plain is None and html is not None, parts


def _decode(part):
    data = part.get_payload(decode=True) or b""
    charset = part.get_content_charset() or "us-ascii"
    if charset in ("iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"):
        # What mail programs label Latin-1 or ASCII is Windows-1252 in practice (smart quotes, €).
        charset = "windows-1252"
    try:
        text = data.decode(charset)
    except LookupError as error:
        raise Undecodable(f"Unknown charset {charset!r}") from error
    except UnicodeDecodeError:
        text = data.decode(charset, errors="replace")
        if text.count("\ufffd") > max(1, len(text) * MAX_REPLACEMENT_SHARE):
            raise Undecodable(f"Body is not valid {charset}") from None
    return text


def strip_reply(text):
    """The new text of a reply: quoted history and signatures removed, in English and Spanish."""
    # A parser failure must not lose the message: the text is then kept whole.
    with contextlib.suppress(Exception):
        text = EmailReplyParser(languages=["en", "es"]).parse_reply(text=text) or text
    match = QUOTE_HEADER.search(text)
    if match and match.start() > 0:
        text = text[: match.start()]
    lines = [line.rstrip() for line in text.splitlines() if not line.startswith(">")]
    return _without_signature(lines)


def _without_signature(lines):
    """Lines before a "-- " signature separator, or before a closing ("Thanks,", "Saludos,") that
    only a name or two short lines follow."""
    if "--" in lines:
        lines = lines[: lines.index("--")]
    while lines and not lines[-1].strip():
        lines.pop()
    for back in range(1, 4):
        if len(lines) > back and SIGN_OFF.match(lines[-back]) and all(len(x) < 40 for x in lines[-back:]):
            lines = lines[:-back]
            break
    return "\n".join(lines).strip()


class _TextExtractor(HTMLParser):
    """Text of HTML, nothing else: no tag, attribute, script or style survives."""

    SKIP = {"script", "style", "head", "title", "template"}
    # Closed by the body's first content when a sender's HTML never closes them (as browsers do).
    HEAD_ONLY = {"head", "title"}
    BREAKS = {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out = []
        self.open = dict.fromkeys(self.SKIP, 0)  # counts, not a stack: deep nesting costs nothing

    def handle_starttag(self, tag, attrs):
        if tag == "body" or tag in self.BREAKS:
            self.open.update(dict.fromkeys(self.HEAD_ONLY, 0))
        if tag in self.SKIP:
            self.open[tag] += 1
        elif tag in self.BREAKS:
            self.out.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.open[tag] = max(0, self.open[tag] - 1)
        elif tag in self.BREAKS:
            self.out.append("\n")

    def handle_data(self, data):
        skipping = [tag for tag, count in self.open.items() if count]
        if skipping == ["head"] and data.strip():  # text closes an unclosed head, as in browsers
            self.open["head"] = 0
            skipping = []
        if not skipping:
            self.out.append(data)


# An address or link written in angle brackets in the text ("write to <ana@example.org>"): text, not
# a tag, so it is escaped before parsing (no HTML tag name holds "@" or "://").
BRACKETED = re.compile(r"<((?:mailto:)?[^\s<>@/]+@[^\s<>]+|[a-z][a-z0-9+.-]*://[^\s<>]+)>", re.IGNORECASE)


def html_to_text(html):
    """A small html.parser-based stripper: no HTML library is a dependency, and only text is kept."""
    extractor = _TextExtractor()
    extractor.feed(BRACKETED.sub(r"&lt;\1&gt;", html))
    extractor.close()
    text = "".join(extractor.out)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def address_domain(address):
    try:
        return Address(addr_spec=address).domain.lower()
    except Exception:  # noqa: BLE001
        return address.rpartition("@")[2].lower()


def parse_leniently(raw):
    """For a quarantined message released by staff: whatever text can be read, never an error."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    texts = []
    for part in message.walk():
        if part.get_content_maintype() == "text":
            data = part.get_payload(decode=True) or b""
            texts.append(data.decode("utf-8", errors="replace"))
    text = "\n".join(texts).strip()
    if "<" in text and ">" in text:
        text = html_to_text(text)
    sender_name, sender = parseaddr(str(message.get("From") or ""))
    return ParsedMail(
        sender=sender.lower() if "@" in sender else "",
        sender_name=sender_name,
        subject=" ".join(str(message.get("Subject") or "").split())[:300],
        text=text,
        full_text=text,
        recipients=[],
        in_reply_to=[],
        references=[],
        headers=email.message_from_bytes(b"", policy=email.policy.default),
        parts=[],
    )
