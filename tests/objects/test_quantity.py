"""Quantities parse, round and print as Kubernetes' resource.Quantity does."""

from decimal import Decimal

import pytest

from objects.quantity import canonical_quantity, cpu_millicores, parse_quantity, to_bytes


@pytest.mark.parametrize(
    ("quantity", "value"),
    [
        ("500m", Decimal("0.5")),
        ("1", Decimal(1)),
        ("1.5", Decimal("1.5")),
        ("2k", Decimal(2000)),
        ("1M", Decimal(10**6)),
        ("3G", Decimal(3 * 10**9)),
        ("1T", Decimal(10**12)),
        ("1P", Decimal(10**15)),
        ("1E", Decimal(10**18)),
        ("250u", Decimal("0.00025")),
        ("7n", Decimal("0.000000007")),
        ("1Ki", Decimal(1024)),
        ("64Mi", Decimal(64 * 2**20)),
        ("1.5Gi", Decimal(3 * 2**29)),
        ("1Ti", Decimal(2**40)),
        ("1Pi", Decimal(2**50)),
        ("1Ei", Decimal(2**60)),
        ("1e3", Decimal(1000)),
        ("1E3", Decimal(1000)),
        ("2e-3", Decimal("0.002")),
        ("+1.5e+2", Decimal(150)),
        ("-100m", Decimal("-0.1")),
        ("0", Decimal(0)),
        (".5", Decimal("0.5")),
        ("1.", Decimal(1)),
        ("007", Decimal(7)),
    ],
)
def test_every_suffix_scales_the_number_as_kubernetes_does(quantity, value):
    assert parse_quantity(quantity) == value


@pytest.mark.parametrize(("number", "value"), [(1, Decimal(1)), (0, Decimal(0)), (0.5, Decimal("0.5")), (2.0, Decimal(2))])
def test_bare_json_numbers_are_quantities(number, value):
    assert parse_quantity(number) == value


def test_surrounding_whitespace_is_trimmed_as_the_json_decoder_does():
    assert parse_quantity(" 100m ") == Decimal("0.1")


@pytest.mark.parametrize(
    "bad", ["", " ", "abc", "1K", "1ki", "1 Gi", "1.2.3", "1Mi5", "1e", "1e+", "1-", "--1", "1m1", "0x10", "1,5", "∞"]
)
def test_malformed_quantities_are_value_errors_that_name_the_input(bad):
    with pytest.raises(ValueError, match="invalid quantity"):
        parse_quantity(bad)


@pytest.mark.parametrize("bad", [True, None, [1], float("nan"), float("inf")])
def test_non_quantity_json_values_are_value_errors(bad):
    with pytest.raises(ValueError, match="invalid quantity"):
        parse_quantity(bad)


def test_the_error_text_is_kubernetes_own():
    with pytest.raises(ValueError, match=r"quantities must match the regular expression"):
        parse_quantity("abc")
    with pytest.raises(ValueError, match="unable to parse quantity's suffix"):
        parse_quantity("5K")


def test_lone_sign_dot_or_suffix_is_zero_because_kubernetes_scanner_allows_it():
    assert [parse_quantity(q) for q in ("-", "+", ".", "m", "Gi")] == [0, 0, 0, 0, 0]


def test_precision_below_nano_rounds_up_away_from_zero():
    assert parse_quantity("0.1n") == Decimal("1e-9")
    assert parse_quantity("1.0000000001") == Decimal("1.000000001")
    assert parse_quantity("-0.1n") == Decimal("-1e-9")


def test_binary_si_is_capped_at_int64_max():
    assert parse_quantity("16Ei") == 2**63 - 1
    assert parse_quantity("-16Ei") == -(2**63 - 1)


def test_absurd_exponents_cost_nothing():
    assert canonical_quantity("1e999999999") == "1e999999999"
    assert parse_quantity("1e-999999999") == Decimal("1e-9")
    assert to_bytes("1e999999999") == 2**63 - 1


@pytest.mark.parametrize(
    ("quantity", "millicores"),
    [("1", 1000), ("500m", 500), ("0.5", 500), ("2.5", 2500), ("100m", 100), ("0.1m", 1), ("1n", 1), (1, 1000), (0.25, 250)],
)
def test_cpu_millicores_round_up_like_milli_value(quantity, millicores):
    assert cpu_millicores(quantity) == millicores


@pytest.mark.parametrize(
    ("quantity", "size"),
    [("128Mi", 128 * 2**20), ("1G", 10**9), ("1.5Gi", 1610612736), ("1500m", 2), ("1e3", 1000), (1024, 1024)],
)
def test_to_bytes_rounds_up_to_a_whole_number(quantity, size):
    assert to_bytes(quantity) == size


@pytest.mark.parametrize(
    ("quantity", "canonical"),
    [
        ("0.5", "500m"),
        ("1000m", "1"),
        ("1500m", "1500m"),
        ("1.5", "1500m"),
        ("1G", "1G"),
        ("1000M", "1G"),
        ("1500", "1500"),
        ("1.5k", "1500"),
        ("1500000", "1500k"),
        ("12345", "12345"),
        ("0.1n", "1n"),
        ("1.5m", "1500u"),
        ("-1500m", "-1500m"),
        ("0", "0"),
        ("0Mi", "0"),
        ("-0.0", "0"),
        ("1024Mi", "1Gi"),
        ("1.5Gi", "1536Mi"),
        ("1Ki", "1Ki"),
        ("1025Ki", "1025Ki"),
        ("1536", "1536"),
        ("1.5Ki", "1536"),  # binary, but not a whole number of Ki
        ("0.5Ki", "512"),  # binary under 1024 prints as decimal SI
        ("1.1Ki", "1126400m"),  # binary with a fraction: decimal SI, nothing lost
        ("16Ei", "9223372036854775807"),
        ("1e3", "1e3"),
        ("1.5e3", "1500"),
        ("12e6", "12e6"),
        ("1e-3", "1e-3"),
        ("1000E", "1e21"),  # past the last SI suffix (kubernetes#140459)
        (1, "1"),
        (0.5, "500m"),
        (" 2 ", "2"),
    ],
)
def test_canonical_form_matches_kubernetes(quantity, canonical):
    assert canonical_quantity(quantity) == canonical


@pytest.mark.parametrize("quantity", ["500m", "1", "1G", "1Gi", "1536Mi", "12e6", "1500k", "1e21", "7n"])
def test_canonical_strings_are_fixed_points(quantity):
    assert canonical_quantity(quantity) == quantity
    assert canonical_quantity(canonical_quantity(quantity)) == canonical_quantity(quantity)
