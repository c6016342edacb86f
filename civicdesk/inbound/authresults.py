"""Did our own mail server verify the sender? Read from the Authentication-Results header (RFC 8601)
it added. Pure functions, no Django: the caller passes the trusted authserv-id (decision 52)."""

import re

COMMENT = re.compile(r"\([^()]*\)")  # RFC 8601 allows comments anywhere; nested ones are rare
# A ";"-separated piece, keeping quoted strings (a reason="a; b") whole.
PIECE = re.compile(r'(?:[^;"]|"[^"]*")+')
PROPERTY = re.compile(r'([\w./-]+)\s*=\s*("[^"]*"|[^\s;]+)')


def parse(value):
    """(authserv-id, [(method, result, {property: value})]) of one header value; ("", []) when it
    cannot be read."""
    text = str(value)
    for _round in range(5):  # comments inside comments, innermost first
        text = COMMENT.sub(" ", text)
    text = text.partition("(")[0]  # an unclosed comment runs to the end
    pieces = [piece.strip() for piece in PIECE.findall(text)]
    if not pieces or not pieces[0]:
        return "", []
    authserv_id = pieces[0].split()[0].lower()
    results = []
    for piece in pieces[1:]:
        pairs = PROPERTY.findall(piece)
        if not pairs:
            continue
        method, result = pairs[0]
        properties = {name.lower(): value.strip('"').lower() for name, value in pairs[1:]}
        results.append((method.split("/")[0].lower(), result.lower(), properties))
    return authserv_id, results


def verified(header_values, authserv_id, from_domain):
    """Is the From domain authenticated by the first (topmost) Authentication-Results header our
    server (`authserv_id`) wrote? Yes for dmarc=pass, or for a dkim or spf pass whose domain is
    aligned with the From domain. Others' headers, and ours further down (a sender can write one
    with our id before it reaches us), are never read."""
    if not authserv_id or not from_domain:
        return False
    for value in header_values:
        found_id, results = parse(value)
        if found_id == authserv_id.lower():
            return any(
                _passes(method, result, properties, from_domain) for method, result, properties in results
            )
    return False


def _passes(method, result, properties, from_domain):
    if result != "pass":
        return False
    if method == "dmarc":
        return aligned(properties.get("header.from", from_domain), from_domain)
    if method == "dkim":
        return aligned(properties.get("header.d", ""), from_domain)
    if method == "spf":
        return aligned(properties.get("smtp.mailfrom", "").rpartition("@")[2], from_domain)
    return False


def aligned(domain, from_domain):
    """Relaxed alignment (RFC 7489), approximated without the public suffix list: the same domain,
    or one a subdomain of the other."""
    domain, from_domain = domain.lower().strip("."), from_domain.lower().strip(".")
    if not domain or "." not in domain or "." not in from_domain:
        return False
    return domain == from_domain or domain.endswith("." + from_domain) or from_domain.endswith("." + domain)
