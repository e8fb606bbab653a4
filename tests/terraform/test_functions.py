from __future__ import annotations

import pickle

import pytest

from residency_audit.sources.terraform.evaluate import MappingScope, evaluate
from residency_audit.sources.terraform.functions import (
    FrozenMap,
    Unknown,
    call,
    call_lazy,
    first_unknown,
    format_number,
    freeze,
    json_encode,
    supported_functions,
    values_equal,
)
from residency_audit.sources.terraform.hcl import parse_hcl

REGIONS = FrozenMap({"ru": "ru-central1", "eu": "eu-central-1"})
UNSET = Unknown("var.region has no default and no value was given")


def error(name: str, args: list[object]) -> str:
    """The message of an error result; fails the test if the call did not fail."""
    result = call(name, args)
    assert isinstance(result, Unknown), result
    assert result.is_error, result
    return result.reason


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        # lookup
        ("lookup", [REGIONS, "ru"], "ru-central1"),
        ("lookup", [REGIONS, "us", "us-east-1"], "us-east-1"),
        ("lookup", [REGIONS, "eu", UNSET], "eu-central-1"),  # an unused default may be unknown
        # element wraps around in both directions
        ("element", [("a", "b", "c"), 1], "b"),
        ("element", [("a", "b", "c"), 3], "a"),
        ("element", [("a", "b", "c"), -1], "c"),
        ("element", [("a", "b", "c"), "2"], "c"),
        # format
        ("format", ["%s-%d-%v-%q-%%", "a", 3, True, 'q"x'], 'a-3-true-"q\\"x"-%'),
        ("format", ["%s-db-%03d", "acme", 7], "acme-db-007"),
        ("format", ["%-4s|%4d|%.1f|%x", "ab", 7, 3.14159, 255], "ab  |   7|3.1|ff"),
        ("format", ["%[2]s-%[1]s", "a", "b"], "b-a"),
        ("format", ["%#v", FrozenMap({"a": (1, None)})], '{"a":[1,null]}'),
        ("format", ["%v", ("x",)], '["x"]'),
        ("format", ["%v|%v", None, 2.5], "null|2.5"),
        ("format", ["%s", 10], "10"),
        ("format", ["%t", "true"], "true"),
        ("format", ["no verbs"], "no verbs"),
        # join / split
        ("join", ["-", ("a", 1, True)], "a-1-true"),
        ("join", [",", ("a",), ("b", "c")], "a,b,c"),
        ("join", [",", ()], ""),
        ("split", [",", "a,,b"], ("a", "", "b")),
        ("split", [",", ""], ("",)),
        ("split", ["", "ab"], ("a", "b")),
        # case
        ("lower", ["EU-Central-1"], "eu-central-1"),
        ("upper", ["ru"], "RU"),
        ("upper", [1], "1"),
        ("title", ["hello world"], "Hello World"),
        # replace
        ("replace", ["eu-central-1", "-", "_"], "eu_central_1"),
        ("replace", ["db.eu-west-1.rds", r"/^db\.([a-z0-9-]+)\..*$/", "$1"], "eu-west-1"),
        ("replace", ["x-1", r"/(?P<n>\d)/", "<${n}>$$"], "x-<1>$"),
        ("replace", ["a1", r"/(\d)/", "$1x"], "a"),  # Go reads "$1x" as group "1x": empty
        ("replace", ["aaa", "/", "-"], "aaa"),  # a lone slash is not a regex
        # coalesce
        ("coalesce", [None, "", "ru-central1", "x"], "ru-central1"),
        ("coalesce", [None, 1, "a"], "1"),  # mixed arguments unify to string
        ("coalesce", [None, 2], 2),
        ("coalesce", ["a", UNSET], "a"),
        ("coalescelist", [(), ("a",)], ("a",)),
        # collections
        (
            "merge",
            [REGIONS, None, FrozenMap({"ru": "x"})],
            FrozenMap({"eu": "eu-central-1", "ru": "x"}),
        ),
        ("merge", [], FrozenMap()),
        ("concat", [("a",), (), ("b", "c")], ("a", "b", "c")),
        ("length", ["héllo"], 5),
        ("length", [REGIONS], 2),
        ("length", [()], 0),
        ("keys", [REGIONS], ("eu", "ru")),
        ("values", [REGIONS], ("eu-central-1", "ru-central1")),
        ("contains", [("a", "b"), "b"], True),
        ("contains", [(1,), True], False),  # no conversion between types
        ("contains", [(1, 2), 2.0], True),
        ("index", [("a", "b"), "b"], 1),
        ("distinct", [("a", "b", "a", 1, 1.0)], ("a", "b", 1)),
        ("flatten", [(("a", ("b",)), (), "c", REGIONS)], ("a", "b", "c", REGIONS)),
        ("compact", [("a", "", None, "b", 1)], ("a", "b", "1")),
        ("zipmap", [("b", "a"), (1, 2)], FrozenMap({"a": 2, "b": 1})),
        ("one", [()], None),
        ("one", [("a",)], "a"),
        ("reverse", [(1, 2)], (2, 1)),
        ("sort", [("b", "a", "c")], ("a", "b", "c")),
        ("slice", [(1, 2, 3), 1, 3], (2, 3)),
        # conversions
        ("tostring", [1.5], "1.5"),
        ("tostring", [True], "true"),
        ("tostring", [None], None),
        ("tonumber", ["42"], 42),
        ("tonumber", ["4.50"], 4.5),
        ("tonumber", ["1e3"], 1000),
        ("tonumber", [None], None),
        ("tobool", ["false"], False),
        ("toset", [("b", "a", "b")], ("a", "b")),
        ("toset", [(3, 1, 3)], (1, 3)),
        ("toset", [("a", 1)], ("1", "a")),
        ("tolist", [("a",)], ("a",)),
        ("tomap", [REGIONS], REGIONS),
        # strings
        ("trimspace", ["  eu-west-1 \n"], "eu-west-1"),
        ("trimprefix", ["eu-central-1", "eu-"], "central-1"),
        ("trimprefix", ["eu-central-1", "ru-"], "eu-central-1"),
        ("trimsuffix", ["main.tf", ".tf"], "main"),
        ("chomp", ["a\r\n\n"], "a"),
        ("startswith", ["ru-central1", "ru-"], True),
        ("endswith", ["x.json", ".yaml"], False),
        ("substr", ["hello world", 1, 4], "ello"),
        ("substr", ["hello", -3, -1], "llo"),
        ("substr", ["hello", 10, 2], ""),
        ("substr", ["hello", -10, 2], "he"),
        ("substr", ["hello", 1, 0], ""),
        # jsonencode
        (
            "jsonencode",
            [FrozenMap({"b": (1, 2.5, None, True), "a": "<&>"})],
            '{"a":"\\u003c\\u0026\\u003e","b":[1,2.5,null,true]}',
        ),
        ("jsonencode", [1e21], "1000000000000000000000"),
        ("jsonencode", ["ключ"], '"ключ"'),
        # numbers
        ("abs", [-3], 3),
        ("abs", ["-2.5"], 2.5),
        ("min", [3, "1", 2.5], 1),
        ("max", [3, 7.5], 7.5),
    ],
)
def test_function_values(name: str, args: list[object], expected: object) -> None:
    result = call(name, args)
    assert values_equal(result, expected), result
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("lookup", [REGIONS, "us"], "lookup(): no key 'us' in the map and no default given"),
        ("lookup", [REGIONS], "lookup() takes 2 to 3 arguments, got 1"),
        ("lookup", [("a",), "0"], "lookup(): the first argument must be a map or object, not list"),
        ("element", [(), 0], "element(): cannot take an element of an empty list"),
        ("element", [("a",), 0.5], "element(): the index must be a whole number, not 0.5"),
        ("format", ["%s"], "format(): not enough arguments for '%s'"),
        ("format", ["%s", "a", "b"], "format(): too many arguments: 2 given, 1 used"),
        ("format", ["%d", 1.5], "format(): %d needs a whole number, not 1.5"),
        ("format", ["%z", 1], "format(): unsupported format verb %z"),
        ("format", ["%s", ("a",)], "format(): argument must be a string, not list"),
        ("join", [",", ("a", None)], "join(): a list element is null"),
        ("join", [","], "join() takes at least 2 arguments, got 1"),
        (
            "replace",
            ["ab", "/(?=a)/", "x"],
            "replace(): /(?=a)/ uses look-around or back-references",
        ),
        ("coalesce", [None, ""], "coalesce(): no non-null, non-empty-string argument"),
        ("merge", [REGIONS, ("a",)], "merge(): every argument must be a map or object, not list"),
        ("concat", [("a",), None], "concat(): every argument must be a list, not null"),
        ("tostring", [("a",)], "tostring(): argument must be a string, not list"),
        ("tonumber", ["x"], 'tonumber(): string "x" cannot be used as a number'),
        ("tonumber", [True], "tonumber(): bool true cannot be used as a number"),
        ("tolist", [FrozenMap()], "tolist(): argument must be a list, not map"),
        ("one", [("a", "b")], "one(): the list has 2 elements; at most one is allowed"),
        ("length", [None], "length(): cannot take the length of null"),
        ("index", [("a",), "z"], 'index(): "z" is not in the list'),
        ("zipmap", [("a",), ()], "zipmap(): 1 keys but 0 values"),
        ("slice", [(1,), 0, 2], "slice(): indexes 0..2 are out of range for 1 items"),
        ("min", [], "min() takes at least 1 argument, got 0"),
        ("upper", [None], "upper(): argument must be a string, not null"),
        ("keys", ["x"], "keys(): argument must be a map or object, not string"),
        ("jsonencode", [float("inf")], "jsonencode(): the number is not finite"),
    ],
)
def test_function_errors(name: str, args: list[object], message: str) -> None:
    assert error(name, args).startswith(message)


def test_errors_name_the_call() -> None:
    result = call("lookup", [REGIONS, "us"], where='lookup(local.regions, "us")')
    assert result == Unknown(
        "lookup(): no key 'us' in the map and no default given in `lookup(local.regions, \"us\")`",
        is_error=True,
    )


class TestUnknownArguments:
    def test_unknown_argument_propagates_unchanged(self) -> None:
        assert call("upper", [UNSET]) is UNSET

    def test_unknown_inside_a_list_propagates(self) -> None:
        assert call("join", [",", ("a", UNSET)]) is UNSET

    def test_propagation_drops_candidates(self) -> None:
        maybe = Unknown("var.env is unknown", candidates=("a", "b"))
        assert call("upper", [maybe]) == Unknown("var.env is unknown")

    def test_functions_that_do_not_look_inside_keep_unknown_elements(self) -> None:
        assert call("length", [("a", UNSET)]) == 2
        assert call("concat", [("a",), (UNSET,)]) == ("a", UNSET)
        assert call("lookup", [FrozenMap({"k": UNSET}), "k"]) is UNSET

    def test_coalesce_stops_at_an_unknown_before_a_value(self) -> None:
        assert call("coalesce", [None, UNSET, "a"]) is UNSET

    def test_lookup_with_unknown_map_or_key(self) -> None:
        assert call("lookup", [UNSET, "k", "d"]) is UNSET
        assert call("lookup", [REGIONS, UNSET, "d"]) is UNSET


class TestRegex:
    def test_catastrophic_patterns_are_not_run(self) -> None:
        for pattern in ("/(a+)+b/", "/(a|aa)*c/", "/([a-z]+)*$/", "/((ab)*)+/"):
            result = call("replace", ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", pattern, "x"])
            assert result == Unknown(
                f"replace() with the regular expression {pattern} is not evaluated"
            ), pattern

    def test_plain_groups_and_quantifiers_are_run(self) -> None:
        assert call("replace", ["eu-west-1a", "/([a-z]+-[a-z]+-[0-9])[a-z]?/", "$1"]) == (
            "eu-west-1"
        )
        assert call("replace", ["a.b.c", "/[.]/", "-"]) == "a-b-c"

    def test_pattern_python_cannot_compile_is_unknown_not_error(self) -> None:
        result = call("replace", ["a", "/(/", "x"])
        assert isinstance(result, Unknown)
        assert not result.is_error
        assert result.reason.startswith("replace(): /(/ is not a regular expression we can run")


def test_unsupported_function_is_plain_unknown() -> None:
    assert call("timestamp", []) == Unknown("function timestamp() is not evaluated statically")
    assert call("provider::aws::arn_parse", ["x"]) == Unknown(
        "function provider::aws::arn_parse() is not evaluated statically"
    )


def test_supported_functions_cover_the_brief() -> None:
    required = {
        "lookup", "element", "format", "join", "split", "lower", "upper", "replace",
        "coalesce", "try", "can", "merge", "concat", "tostring", "tonumber", "tolist",
        "toset", "tomap", "one", "length", "keys", "values", "contains", "trimspace",
        "trimprefix", "trimsuffix", "substr", "distinct", "flatten", "compact", "zipmap",
        "index", "startswith", "endswith", "jsonencode", "abs", "min", "max",
    }  # fmt: skip
    assert required <= supported_functions()


def _eval_attr(source: str, values: dict[str, object]) -> object:
    (attribute,) = parse_hcl(f"x = {source}\n").attributes
    return evaluate(attribute.value, MappingScope(values)).value


class TestTryAndCan:
    VALUES: dict[str, object] = {  # noqa: RUF012 - read-only test data
        "var": {"settings": {"region": "eu-west-1"}, "empty": {}, "unset": UNSET}
    }

    def test_try_returns_the_first_argument_that_works(self) -> None:
        assert _eval_attr('try(var.settings.region, "x")', self.VALUES) == "eu-west-1"
        assert _eval_attr('try(var.empty.region, "ru-central1")', self.VALUES) == "ru-central1"

    def test_try_does_not_guess_past_an_unknown(self) -> None:
        result = _eval_attr('try(var.unset.region, "ru-central1")', self.VALUES)
        assert result == Unknown(
            "try(): cannot tell whether `var.unset.region` succeeds "
            "(var.region has no default and no value was given)"
        )

    def test_try_with_every_argument_failing(self) -> None:
        result = _eval_attr("try(var.empty.a, var.empty.b)", self.VALUES)
        assert result == Unknown(
            "try(): every argument fails; the last: `var.empty.b`: there is no attribute 'b'",
            is_error=True,
        )

    def test_can(self) -> None:
        assert _eval_attr("can(var.settings.region)", self.VALUES) is True
        assert _eval_attr('can(regex("x", var.settings.region))', self.VALUES) == Unknown(
            'can(): cannot tell whether `regex("x", var.settings.region)` succeeds '
            "(function regex() is not evaluated statically)"
        )
        assert _eval_attr("can(var.empty.region)", self.VALUES) is False
        assert _eval_attr("can(var.empty.region, 1)", self.VALUES) == Unknown(
            "can() takes 1 argument, got 2", is_error=True
        )

    def test_lazy_functions_need_call_lazy(self) -> None:
        assert call("try", [1]) == Unknown("try() needs its arguments unevaluated (use call_lazy)")
        assert call_lazy("nope", (), lambda e: None) == Unknown(
            "function nope() is not evaluated statically"
        )


class TestValues:
    def test_frozen_map_sorts_hashes_and_pickles(self) -> None:
        value = FrozenMap({"b": (1, 2), "a": FrozenMap({"z": None})})
        assert list(value) == ["a", "b"]
        assert hash(value) == hash(FrozenMap({"a": FrozenMap({"z": None}), "b": (1, 2)}))
        assert pickle.loads(pickle.dumps(value)) == value
        assert value == {"a": {"z": None}, "b": (1, 2)}

    def test_freeze(self) -> None:
        frozen = freeze({"tags": {"Name": "x"}, "zones": ["b", "a"], "ids": {"b", "a"}})
        assert frozen == FrozenMap(
            {"tags": FrozenMap({"Name": "x"}), "zones": ("b", "a"), "ids": ("a", "b")}
        )

    def test_values_equal_does_not_convert(self) -> None:
        assert not values_equal("1", 1)
        assert not values_equal(True, 1)
        assert values_equal(1, 1.0)
        assert values_equal((FrozenMap({"a": None}),), (FrozenMap({"a": None}),))
        assert not values_equal(FrozenMap({"a": 1}), FrozenMap({"b": 1}))

    def test_first_unknown(self) -> None:
        failing = Unknown("missing", is_error=True)
        nested = FrozenMap({"a": (1, UNSET), "b": failing})
        assert first_unknown(nested) is UNSET
        assert first_unknown(nested, errors_only=True) is failing
        assert first_unknown(("a", 1)) is None

    def test_numbers_print_like_terraform(self) -> None:
        assert [format_number(n) for n in (2, 2.0, 0.1, 1.5e-7, 1e21)] == [
            "2",
            "2",
            "0.1",
            "0.00000015",
            "1000000000000000000000",
        ]
        assert json_encode(FrozenMap({"n": 3.0})) == '{"n":3}'
