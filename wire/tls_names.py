"""Which names a serving certificate is for: its subjectAltName entries.

A client checks the name it dialed against these entries, and an IP address
only ever matches an iPAddress entry, never a dNSName one. So "10.0.0.5" and
"[::1]" must become IP entries and everything else a (lowercased) DNS entry.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from cryptography import x509


def san_entries(names: Iterable[str]) -> frozenset[x509.GeneralName]:
    """Classify each name as an IP or a DNS SAN; blanks are skipped, DNS names lowercased."""
    entries: set[x509.GeneralName] = set()
    for raw in names:
        # An IPv6 host may arrive as it appears in a URL, in brackets.
        name = raw.strip().removeprefix("[").removesuffix("]")
        if not name:
            continue
        try:
            entries.add(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.add(x509.DNSName(name.lower()))
    return frozenset(entries)


def sans_of(cert: x509.Certificate) -> frozenset[x509.GeneralName]:
    """The SAN entries `cert` is valid for; none if it has no subjectAltName extension."""
    try:
        extension = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return frozenset()
    return frozenset(extension.value)


def in_certificate_order(entries: Iterable[x509.GeneralName]) -> list[x509.GeneralName]:
    """DNS names first, then IPs, each sorted: a stable order keeps reissued certificates readable."""
    return sorted(entries, key=lambda entry: (type(entry).__name__, str(entry.value)))
