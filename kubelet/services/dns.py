"""Cluster DNS: the answers every kubelet gives its pods about Services and pods, as CoreDNS would.

    pod's resolver ─► kube-dns ClusterIP:53 ─► (this node's data path) ─► dns_server (UDP and TCP)
                                                                             │
                                      ClusterResolver.resolve(query) ◄───────┘
                                        │
          name under cluster.local ─────┼─► dns_lookup.find_targets(catalog) ─► Answer (A, AAAA, SRV, CNAME, TXT, PTR;
          or a Service's reverse name   │                                        NXDOMAIN or NODATA with the SOA)
                                        ├─► an ExternalName's CNAME to an outside name ─► ChaseOutside
          anything else ────────────────┴─► Forward: dns_upstream asks the node's own nameservers

The resolver is pure: it reads the catalog and builds dnslib records; the server
does the I/O. Every record has TTL 5 and a name error carries the zone's SOA,
both as CoreDNS's kubernetes plugin serves them, so a pod's resolver caches
negative answers as briefly as it would on a real cluster.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from dnslib import AAAA, CNAME, NS, PTR, QTYPE, RCODE, RR, SOA, SRV, TXT, A, DNSRecord

from kubelet.services.dns_lookup import DnsCatalog, Target, cluster_ips, find_targets, reverse_names
from kubelet.services.dns_names import is_reverse, parse_cluster_name, relative_labels, reverse_ip
from objects.service import CLUSTER_DOMAIN

TTL = 5  # CoreDNS's kubernetes plugin default
SCHEMA_VERSION = "1.1.0"  # the Kubernetes DNS specification version, served at dns-version.<domain> (TXT)
MAX_CNAME_CHAIN = 8  # CoreDNS's limit on following CNAMEs inside the zone
KUBE_DNS = ("kube-system", "kube-dns")  # its ClusterIP is the zone's name server, ns.dns.<domain>
# The zone's SOA timers, CoreDNS's; the minimum (negative-caching) TTL is the record TTL.
SOA_REFRESH, SOA_RETRY, SOA_EXPIRE = 7200, 1800, 86400


@dataclass(frozen=True)
class Answer:
    """The complete reply."""

    reply: DNSRecord


@dataclass(frozen=True)
class Forward:
    """Not the cluster's name: ask the node's nameservers the query as it came."""


@dataclass(frozen=True)
class ChaseOutside:
    """A reply that ends in a CNAME to a name outside the cluster; the upstream's records for `target`
    (of type `qtype`) complete it, as CoreDNS completes an ExternalName answer."""

    reply: DNSRecord
    target: str
    qtype: int


Resolution = Answer | Forward | ChaseOutside


class ClusterResolver:
    """Answers questions about the cluster domain from a DnsCatalog. Thread-safe as the catalog is."""

    def __init__(self, catalog: DnsCatalog, *, domain: str = CLUSTER_DOMAIN, ttl: int = TTL):
        self.catalog, self.domain, self.ttl = catalog, domain.strip(".").lower(), ttl
        self._serial = int(time.time())

    def note_change(self) -> None:
        """The catalog changed: the SOA serial moves on, as CoreDNS's follows its informers' last change."""
        self._serial = max(self._serial + 1, int(time.time()))

    def resolve(self, query: DNSRecord) -> Resolution:
        question = query.q
        qname, qtype = str(question.qname), question.qtype
        relative = relative_labels(qname, self.domain)
        if relative is not None:
            return self._answer_in_zone(query, relative)
        if qtype == QTYPE.PTR and is_reverse(qname):
            return self._answer_reverse(query)
        return Forward()

    # ----- the cluster domain

    def _answer_in_zone(self, query: DNSRecord, relative: list[str]) -> Resolution:
        qname, qtype = str(query.q.qname), query.q.qtype
        special = self._special_records(qname, qtype, relative)
        if special is not None:
            return self._records_or_nodata(query, special)
        name = parse_cluster_name(relative)
        targets = find_targets(self.catalog, name, self.domain) if name is not None else None
        if targets is None:
            return Answer(self._error_reply(query, RCODE.NXDOMAIN))
        records: list[RR] = []
        extra: list[RR] = []
        chase: str | None = None
        if qtype in (QTYPE.A, QTYPE.AAAA, QTYPE.TXT):
            records, chase = self._addresses(qname, qtype, targets, depth=0)
        elif qtype == QTYPE.SRV:
            records, extra = self._services(qname, targets)
        elif qtype == QTYPE.CNAME and targets and targets[0].ip is None:
            records = [self._rr(qname, QTYPE.CNAME, CNAME(_fqdn(targets[0].host)))]
        if not records:
            return Answer(self._error_reply(query, RCODE.NOERROR))  # NODATA: the name exists, the type does not
        reply = query.reply(ra=1, aa=1)
        reply.add_answer(*records)
        reply.add_ar(*extra)
        return ChaseOutside(reply, chase, qtype) if chase else Answer(reply)

    def _special_records(self, qname: str, qtype: int, relative: list[str]) -> list[RR] | None:
        """The apex's SOA and NS, the name server's address and the schema version; None for other names."""
        if not relative:
            if qtype == QTYPE.SOA:
                return [self._soa()]
            if qtype == QTYPE.NS:
                return [self._rr(qname, QTYPE.NS, NS(_fqdn(self._ns_name())))]
            return []
        if relative == ["ns", "dns"]:
            return [self._rr(qname, QTYPE.A, A(ip)) for ip in self._kube_dns_ips()] if qtype == QTYPE.A else []
        if relative == ["dns-version"]:
            return [self._rr(qname, QTYPE.TXT, TXT(SCHEMA_VERSION))] if qtype == QTYPE.TXT else []
        return None

    def _addresses(self, qname: str, qtype: int, targets: list[Target], *,
                   depth: int) -> tuple[list[RR], str | None]:
        """A/AAAA records for the addresses; for a name, its CNAME followed inside the zone, or with the
        outside name returned for the upstream to complete. TXT only follows CNAMEs: no target holds text."""
        records: list[RR] = []
        seen: set[str] = set()
        for target in targets:
            ip = target.ip
            if ip is not None:
                if target.host not in seen and qtype == (QTYPE.A if ip.version == 4 else QTYPE.AAAA):
                    seen.add(target.host)
                    records.append(self._rr(qname, qtype, A(target.host) if ip.version == 4 else AAAA(target.host)))
                continue
            if depth >= MAX_CNAME_CHAIN or target.host.lower() == qname.lower().rstrip("."):
                continue  # a chain too long, or x CNAME x: answer without it rather than loop
            cname = self._rr(qname, QTYPE.CNAME, CNAME(_fqdn(target.host)))
            inner = relative_labels(target.host, self.domain)
            if inner is None:
                return [*records, cname], target.host
            name = parse_cluster_name(inner)
            more = (find_targets(self.catalog, name, self.domain) if name is not None else None) or []
            followed, chase = self._addresses(target.host, qtype, more, depth=depth + 1)
            if followed:  # an in-zone CNAME leading nowhere is left out, as CoreDNS leaves it
                records += [cname, *followed]
            if chase:
                return records, chase
        return records, None

    def _services(self, qname: str, targets: list[Target]) -> tuple[list[RR], list[RR]]:
        """One SRV record per (target name, port), with equal weights summing to about 100 as CoreDNS
        weighs them, and the targets' addresses for the additional section."""
        with_ports = [(target, target.port) for target in targets if target.port is not None]
        weight = max(1, 100 // len(with_ports)) if with_ports else 0
        records: dict[tuple[str, int], RR] = {}
        extra: dict[tuple[str, str], RR] = {}
        for target, port in with_ports:
            ip = target.ip
            points_at = target.owner if ip is not None else target.host
            if (points_at, port) not in records:
                records[points_at, port] = self._rr(qname, QTYPE.SRV, SRV(0, weight, port, _fqdn(points_at)))
            if ip is not None and (points_at, target.host) not in extra:
                rtype, rdata = (QTYPE.A, A(target.host)) if ip.version == 4 else (QTYPE.AAAA, AAAA(target.host))
                extra[points_at, target.host] = self._rr(points_at, rtype, rdata)
        return list(records.values()), list(extra.values())

    # ----- reverse lookups

    def _answer_reverse(self, query: DNSRecord) -> Resolution:
        """PTR for a Service's cluster IP or a ready endpoint; any other address is the upstream's."""
        qname = str(query.q.qname)
        ip = reverse_ip(qname)
        names = reverse_names(self.catalog, ip, self.domain) if ip else []
        if not names:
            return Forward()
        reply = query.reply(ra=1, aa=1)
        reply.add_answer(*(self._rr(qname, QTYPE.PTR, PTR(_fqdn(name))) for name in names))
        return Answer(reply)

    # ----- replies

    def _records_or_nodata(self, query: DNSRecord, records: list[RR]) -> Answer:
        if not records:
            return Answer(self._error_reply(query, RCODE.NOERROR))  # NODATA: the name exists, the type does not
        reply = query.reply(ra=1, aa=1)
        reply.add_answer(*records)
        if query.q.qtype == QTYPE.NS:
            reply.add_ar(*(self._rr(self._ns_name(), QTYPE.A, A(ip)) for ip in self._kube_dns_ips()))
        return Answer(reply)

    def _error_reply(self, query: DNSRecord, rcode: int) -> DNSRecord:
        """NXDOMAIN, or NODATA (NOERROR, no answer), with the zone's SOA telling resolvers how long to
        remember it."""
        reply = query.reply(ra=1, aa=1)
        reply.header.rcode = rcode
        reply.add_auth(self._soa())
        return reply

    def _soa(self) -> RR:
        soa = SOA(mname=_fqdn(self._ns_name()), rname=_fqdn(f"hostmaster.{self.domain}"),
                  times=(self._serial & 0xFFFFFFFF, SOA_REFRESH, SOA_RETRY, SOA_EXPIRE, self.ttl))
        return self._rr(self.domain, QTYPE.SOA, soa)

    def _ns_name(self) -> str:
        return f"ns.dns.{self.domain}"

    def _kube_dns_ips(self) -> list[str]:
        service = self.catalog.service(*KUBE_DNS)
        return cluster_ips(service) if service else []

    def _rr(self, name: str, rtype: int, rdata: object) -> RR:
        return RR(_fqdn(name), rtype, rdata=rdata, ttl=self.ttl)


def _fqdn(name: str) -> str:
    return name if name.endswith(".") else name + "."
