"""The codes themselves: drawn from :mod:`secrets`, stored only as a keyed hash, compared
in constant time.

The hash is HMAC-SHA256 under ``OTP_HASH_KEY`` over the phone, the purpose and the code,
so a database dump alone does not give the codes (a 6-digit code's plain SHA-256 is
reversed by trying the million values), and a hash copied onto another phone's row does
not match there. Client IPs are hashed the same way, under their own label.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets

from zns_notify.conf import app_settings


def new_code() -> str:
    """A fresh code of ``OTP_CODE_LENGTH`` decimal digits, leading zeros kept."""
    length = app_settings.OTP_CODE_LENGTH
    return f"{secrets.randbelow(10**length):0{length}d}"


def _digest(*parts: str) -> str:
    # The unit separator cannot occur in a phone, a purpose name or a digit string, so
    # two different triples never join into the same message.
    text = "\x1f".join(parts).encode()
    return hmac.new(app_settings.OTP_HASH_KEY, text, hashlib.sha256).hexdigest()


def code_hash(phone: str, purpose: str, code: str) -> str:
    """The stored form of ``code`` sent to ``phone`` for ``purpose`` (64 hex characters)."""
    return _digest("code", phone, purpose, code)


def code_matches(stored_hash: str, phone: str, purpose: str, code: str) -> bool:
    """Whether ``code`` is the one ``stored_hash`` was made from; the comparison takes the
    same time whatever the first differing character (:func:`hmac.compare_digest`)."""
    return hmac.compare_digest(stored_hash, code_hash(phone, purpose, str(code)))


#: The prefix an IPv6 client holds: a home or a phone gets a /64 and picks addresses in
#: it at will (privacy addresses), so one address is no client.
IPV6_CLIENT_PREFIX = 64


def _client(client_ip: object) -> str:
    """The client behind ``client_ip``, one spelling for all of its forms: an IPv4 address
    as it is (also when mapped into IPv6, ``::ffff:203.0.113.7``), an IPv6 address as its
    /64 (``2001:db8::/64``). ``ValueError`` for anything else, without repeating it."""
    try:
        address = ipaddress.ip_address(str(client_ip).strip())
    except ValueError:
        raise ValueError(
            "client_ip must be one IPv4 or IPv6 address: the client's, as your proxy "
            "reports it (not a list of hops)."
        ) from None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        # The integer drops a zone (fe80::1%eth0), which names the host's interface.
        network = ipaddress.IPv6Network((int(address), IPV6_CLIENT_PREFIX), strict=False)
        return str(network)
    return str(address)


def ip_hash(client_ip: str | None) -> str:
    """The stored form of a client IP ("" for none): enough to count its requests, not to
    read it back. Every spelling of one client (:func:`_client`) hashes alike; what is not
    an IP address raises ``ValueError``: counted as spelt, each string would be a client of
    its own, and ignored it would lift the per-IP limits."""
    if client_ip is None or client_ip == "":
        return ""
    return _digest("ip", _client(client_ip))
