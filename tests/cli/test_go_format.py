"""Go's printing of JSON-decoded values; every expectation is what kubectl v1.32 printed for the value."""

import pytest

from cli.go_format import GoInt, format_float, format_value, go_json, go_syntax, json_float, sprint, sprintf


@pytest.mark.parametrize(("number", "text"), [
    (1234567.5, "1.2345675e+06"),  # %v switches to an exponent from 1e+06 on
    (100000.5, "100000.5"),
    (1e21, "1e+21"),
    (0.0001, "0.0001"),
    (1.5e-7, "1.5e-07"),
    (-0.0, "-0"),
    (1.2345678901234567e+19, "1.2345678901234567e+19"),
])
def test_floats_print_with_gos_shortest_g(number, text):
    assert format_float(number) == text


@pytest.mark.parametrize(("number", "text"), [
    (1.5e-7, "1.5e-7"),
    (1e21, "1e+21"),
    (1e20, "100000000000000000000"),
    (0.00001, "0.00001"),
    (-0.0, "-0"),
])
def test_encoding_json_writes_plain_digits_between_1e_minus_6_and_1e21(number, text):
    assert json_float(number) == text


def test_maps_lists_and_nil_print_as_fmt_does():
    assert format_value({"b": [1, "a", None, {"c": 2.5}], "a": True}) == "map[a:true b:[1 a <nil> map[c:2.5]]]"
    assert sprint([GoInt(1), GoInt(2), "a", "b", GoInt(3), None]) == "1 2ab3 <nil>"


def test_go_syntax_and_json_of_a_map():
    value = {"s": 'a"b', "n": None, "l": [1, "x"], "f": 1.5}
    assert go_syntax(value) == 'map[string]interface {}{"f":1.5, "l":[]interface {}{1, "x"}, "n":interface {}(nil), ' \
                               '"s":"a\\"b"}'
    assert go_json({"html": "<&>", "f": 1e-7}) == '{"f":1e-7,"html":"\\u003c\\u0026\\u003e"}'


@pytest.mark.parametrize(("fmt", "args", "text"), [
    ("%q|%v|%x|%5.2f|%e|%g|%T|%T|%T", ['hé\x01\t"\\<', "a", 'hé\x01\t"\\<', 1234567.5, 1234567.5, 1234567.5,
                                      1234567.5, 123456, GoInt(3)],
     '"hé\\x01\\t\\"\\\\<"|a|68c3a90109225c3c|1234567.50|1.234568e+06|1.2345675e+06|float64|int64|int'),
    ("%d|%s|%v", [1234567.5, 1234567.5, None], "%!d(float64=1.2345675e+06)|%!s(float64=1.2345675e+06)|<nil>"),
    ("%d %d", [GoInt(1)], "1 %!d(MISSING)"),
    ("%d", [GoInt(1), GoInt(2)], "1%!(EXTRA int=2)"),
    ("%s", [[1, "a", None]], "[%!s(int64=1) a <nil>]"),
    ("%05d|%-5d|%+d|%#x|%c|%U|%08.3f|%+v", [42, 42, 42, 255, 65, 65, -3.14159, {"a": 1}],
     "00042|42   |+42|0xff|A|U+0041|-003.142|map[a:1]"),
])
def test_sprintf_matches_go(fmt, args, text):
    assert sprintf(fmt, args) == text
