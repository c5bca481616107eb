"""SAN classification: the names a serving certificate is made for, and read back from one."""

import datetime
import ipaddress

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from wire.tls_names import in_certificate_order, san_entries, sans_of


def certificate(*extensions: x509.ExtensionType) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1)))
    for extension in extensions:
        builder = builder.add_extension(extension, critical=False)
    return builder.sign(key, hashes.SHA256())


def test_ip_addresses_become_ip_entries_and_everything_else_dns_entries():
    entries = san_entries(["10.0.0.5", "::1", "node-a", "master.example.com"])

    assert entries == {
        x509.IPAddress(ipaddress.ip_address("10.0.0.5")),
        x509.IPAddress(ipaddress.ip_address("::1")),
        x509.DNSName("node-a"),
        x509.DNSName("master.example.com"),
    }


def test_a_bracketed_ipv6_host_from_a_url_is_an_ip_entry():
    assert san_entries(["[fd00::7]"]) == {x509.IPAddress(ipaddress.ip_address("fd00::7"))}


def test_dns_names_are_lowercased_and_blanks_and_repeats_are_dropped():
    assert san_entries(["Node-A", " node-a ", "", "  "]) == {x509.DNSName("node-a")}


def test_sans_of_reads_back_the_entries_a_certificate_was_made_for():
    wanted = san_entries(["localhost", "127.0.0.1"])

    cert = certificate(x509.SubjectAlternativeName(in_certificate_order(wanted)))

    assert sans_of(cert) == wanted


def test_a_certificate_without_a_san_extension_is_valid_for_no_name():
    assert sans_of(certificate()) == frozenset()


def test_certificate_order_puts_dns_names_before_ips_each_sorted():
    ordered = in_certificate_order(san_entries(["::1", "zeta", "127.0.0.1", "alpha"]))

    assert ordered == [x509.DNSName("alpha"), x509.DNSName("zeta"),
                       x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.IPAddress(ipaddress.ip_address("::1"))]
