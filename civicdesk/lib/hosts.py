"""Which addresses a host name reaches, and whether each is on the public internet: the one check
behind every destination an operator types (webhook receivers, channel accounts' API bases and
IMAP hosts) against server-side request forgery."""

import ipaddress
import socket


def resolve(host, port):
    """The distinct IP addresses `host` resolves to, in the resolver's order. Raises OSError (or
    UnicodeError for a name IDNA cannot encode) when it does not resolve."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(sockaddr[0] for *_info, sockaddr in found))


def first_internal(addresses):
    """The first address that is not a public internet one (loopback, private, link-local,
    reserved or multicast), or None."""
    return next((a for a in addresses if not _public(a)), None)


def _public(address):
    ip = ipaddress.ip_address(address)
    return ip.is_global and not ip.is_multicast
