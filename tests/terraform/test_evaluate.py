from __future__ import annotations

import pickle

import pytest

from residency_audit.model import SourceRef
from residency_audit.sources.terraform.evaluate import (
    MAX_EVALUATION_DEPTH,
    ChainScope,
    Evaluated,
    FrozenMap,
    MappingScope,
    Unknown,
    evaluate,
)
from residency_audit.sources.terraform.expr import (
    Expr,
    FunctionCall,
    GetAttr,
    Literal,
    Traversal,
    UnaryOp,
)
from residency_audit.sources.terraform.hcl import parse_hcl

UNSET = Unknown("var.region has no default and no value was given")

TFVARS_REF = SourceRef("prod.tfvars", 3, 'environment = "prod"')
REGION_REF = SourceRef("variables.tf", 7, 'variable "region" default = "eu-central-1"')

VALUES: dict[str, object] = {
    "var": {
        "environment": "prod",
        "region": "eu-central-1",
        "zones": ["eu-central-1a", "eu-central-1b"],
        "replicas": 2,
        "enabled": True,
        "nothing": None,
        "ratio": "0.5",
        "tags": {"Team": "platform", "CostCenter": "1234"},
        "unset": UNSET,
        "servers": [{"name": "a", "region": "eu"}, {"name": "b", "region": "ru"}],
    },
    "local": {"regions": {"prod": "ru-central1", "staging": "eu-west-1"}},
}
SCOPE = MappingScope(
    VALUES, {"var.environment": TFVARS_REF, "var.region": REGION_REF, "var": SourceRef("v", 1, "")}
)


def expression(source: str) -> Expr:
    (attribute,) = parse_hcl(f"x = {source}\n").attributes
    return attribute.value


def value_of(source: str, scope: MappingScope | ChainScope = SCOPE) -> object:
    return evaluate(expression(source), scope).value


class TestTemplates:
    def test_concatenation_converts_numbers_and_bools(self) -> None:
        assert value_of('"${var.environment}-${var.replicas}-${var.enabled}"') == "prod-2-true"

    def test_single_interpolation_keeps_the_value(self) -> None:
        assert value_of('"${var.zones}"') == ("eu-central-1a", "eu-central-1b")

    def test_unknown_part_is_named(self) -> None:
        assert value_of('"db-${var.unset}"') == Unknown(
            "`var.unset`: var.region has no default and no value was given"
        )
        assert value_of('"db-${timestamp()}"') == Unknown(
            "function timestamp() is not evaluated statically"
        )

    def test_null_and_collections_cannot_be_interpolated(self) -> None:
        assert value_of('"a-${var.nothing}"') == Unknown(
            "`var.nothing`: the value is null and cannot be interpolated", is_error=True
        )
        assert value_of('"a-${var.tags}"') == Unknown(
            "`var.tags`: a map cannot be interpolated into a string", is_error=True
        )

    def test_heredoc(self) -> None:
        text = "x = <<-EOT\n  region=${var.region}\n  EOT\n"
        assert evaluate(parse_hcl(text).attributes[0].value, SCOPE).value == (
            "region=eu-central-1\n"
        )


class TestTraversals:
    def test_attribute_and_index_steps(self) -> None:
        assert value_of("var.tags.Team") == "platform"
        assert value_of('var.tags["CostCenter"]') == "1234"
        assert value_of("var.zones[1]") == "eu-central-1b"
        assert value_of('var.zones["0"]') == "eu-central-1a"
        assert value_of("var.servers[1].region") == "ru"
        assert value_of("local.regions[var.environment]") == "ru-central1"

    def test_missing_key_names_the_expression(self) -> None:
        assert value_of("var.tags.Owner") == Unknown(
            "`var.tags.Owner`: there is no attribute 'Owner'", is_error=True
        )
        assert value_of('local.regions["dev"]') == Unknown(
            "`local.regions[\"dev\"]`: there is no key 'dev'", is_error=True
        )
        assert value_of("var.zones[5]") == Unknown(
            "`var.zones[5]`: index 5 is out of range for 2 elements", is_error=True
        )
        assert value_of("var.nothing.id") == Unknown(
            "`var.nothing.id`: cannot read 'id' of a null value", is_error=True
        )
        assert value_of("var.region.name") == Unknown(
            "`var.region.name`: cannot read attribute 'name' of a string", is_error=True
        )

    def test_unknown_root(self) -> None:
        assert value_of("aws_db_instance.users.endpoint") == Unknown(
            "`aws_db_instance.users.endpoint` refers to `aws_db_instance`, which is not known here"
        )

    def test_unknown_value_passes_through_further_steps(self) -> None:
        assert value_of("var.unset.name") == UNSET

    def test_splats(self) -> None:
        assert value_of("var.servers[*].name") == ("a", "b")
        assert value_of("var.servers.*.region") == ("eu", "ru")
        assert value_of("var.nothing[*].id") == ()
        assert value_of("var.tags[*].Team") == ("platform",)
        # An attribute-only splat ends at the first index; a full splat carries it along.
        assert value_of("var.servers.*.name[0]") == "a"
        assert value_of('var.servers[*]["name"]') == ("a", "b")

    def test_relative_traversal(self) -> None:
        assert value_of('split(",", "eu,ru")[1]') == "ru"
        assert value_of('{a = {b = "c"}}.a.b') == "c"


class RecordingScope:
    """A scope that answers ``aws_s3_bucket.<name>`` itself and records what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, tuple[str | int, ...]]] = []

    def resolve(self, root: str, steps: tuple[str | int, ...]) -> tuple[Evaluated, int] | None:
        self.asked.append((root, steps))
        if root != "aws_s3_bucket":
            return None
        ref = SourceRef("main.tf", 12, f'resource "aws_s3_bucket" "{steps[0]}"')
        bucket = {"bucket": "acme-users", "tags": {"Name": "users"}}
        return Evaluated(bucket, (ref,)), 1


class TestScopeProtocol:
    def test_static_steps_are_passed_and_the_rest_applied(self) -> None:
        scope = RecordingScope()
        result = evaluate(expression('aws_s3_bucket.users.tags["Name"]'), scope)
        assert scope.asked == [("aws_s3_bucket", ("users", "tags", "Name"))]
        assert result == Evaluated(
            "users", (SourceRef("main.tf", 12, 'resource "aws_s3_bucket" "users"'),)
        )

    def test_dynamic_index_is_evaluated_into_a_static_step(self) -> None:
        recording = RecordingScope()
        scope = ChainScope(MappingScope({"each": {"key": "users"}}), recording)
        result = evaluate(expression("aws_s3_bucket[each.key].bucket"), scope)
        assert recording.asked == [("aws_s3_bucket", ("users", "bucket"))]
        assert result.value == "acme-users"

    def test_splat_stops_static_steps(self) -> None:
        scope = RecordingScope()
        evaluate(expression("aws_s3_bucket.users[*].bucket"), scope)
        assert scope.asked == [("aws_s3_bucket", ("users",))]

    def test_trace_collects_every_consulted_definition_once_in_order(self) -> None:
        result = evaluate(
            expression('"${var.environment}/${var.region}/${var.environment}"'), SCOPE
        )
        assert result.value == "prod/eu-central-1/prod"
        var_ref = SourceRef("v", 1, "")
        assert result.trace == (var_ref, TFVARS_REF, REGION_REF)

    def test_scope_that_raises_gives_unknown(self) -> None:
        class Broken:
            def resolve(
                self, root: str, steps: tuple[str | int, ...]
            ) -> tuple[Evaluated, int] | None:
                raise KeyError(root)

        result = evaluate(expression("var.region"), Broken())
        assert result == Evaluated(Unknown("`var.region` could not be evaluated (KeyError('var'))"))


class TestConditionals:
    def test_only_the_taken_branch_is_evaluated(self) -> None:
        result = evaluate(
            expression('var.environment == "prod" ? local.regions.prod : var.region'), SCOPE
        )
        assert result == Evaluated("ru-central1", (SourceRef("v", 1, ""), TFVARS_REF))
        assert value_of('var.enabled ? "ok" : var.tags.missing') == "ok"

    def test_unknown_condition_lists_candidates(self) -> None:
        result = value_of('var.unset == "x" ? "eu-central-1" : "ru-central1"')
        assert result == Unknown(
            "`var.unset`: var.region has no default and no value was given",
            candidates=("eu-central-1", "ru-central1"),
        )

    def test_unknown_condition_with_equal_branches(self) -> None:
        assert value_of('var.unset ? "ru-central1" : "ru-central1"') == "ru-central1"

    def test_non_bool_condition_is_an_error(self) -> None:
        assert value_of('var.zones ? "a" : "b"') == Unknown(
            '`var.zones ? "a" : "b"`: list ["eu-central-1a","eu-central-1b"] cannot be used'
            " as a bool",
            is_error=True,
        )

    def test_string_bool_converts(self) -> None:
        assert value_of('"true" ? 1 : 2') == 1


class TestOperators:
    @pytest.mark.parametrize(
        ("source", "expected"),
        [
            ("1 + 2 * 3", 7),
            ("(1 + 2) * 3", 9),
            ("7 / 2", 3.5),
            ("8 / 2", 4),
            ("7 % 3", 1),
            ("-7 % 3", -1),
            ('"5" + 1', 6),
            ("var.ratio * 4", 2),
            ("var.replicas > 1", True),
            ("var.replicas <= 1", False),
            ('var.environment == "prod"', True),
            ('var.environment != "prod"', False),
            ('1 == "1"', False),
            ('var.zones == ["eu-central-1a", "eu-central-1b"]', True),
            ("null == var.nothing", True),
            ("!var.enabled", False),
            ("-var.replicas", -2),
            ("true && false || true", True),
            ("var.enabled && var.replicas == 2", True),
        ],
    )
    def test_values(self, source: str, expected: object) -> None:
        result = value_of(source)
        assert result == expected
        assert type(result) is type(expected)

    def test_logical_operators_decide_without_the_unknown_side(self) -> None:
        assert value_of("false && var.unset") is False
        assert value_of("var.unset && false") is False
        assert value_of("true || var.unset") is True
        assert value_of("var.unset || true") is True
        assert value_of("true && var.unset") == Unknown(
            "`var.unset`: var.region has no default and no value was given"
        )

    def test_errors(self) -> None:
        assert value_of("var.replicas / 0") == Unknown(
            "`var.replicas / 0`: division by zero", is_error=True
        )
        assert value_of('"abc" + 1') == Unknown(
            '`"abc" + 1`: string "abc" cannot be used as a number', is_error=True
        )
        assert value_of("var.unset + 1") == Unknown(
            "`var.unset`: var.region has no default and no value was given"
        )
        assert value_of("[var.unset] == []") == Unknown(
            "`[var.unset]`: var.region has no default and no value was given"
        )


class TestCollections:
    def test_tuple_keeps_unknown_elements(self) -> None:
        assert value_of('["a", var.unset]') == ("a", UNSET)

    def test_object(self) -> None:
        result = value_of('{Name = "x", (var.environment) = 1, 2 = true}')
        assert result == FrozenMap({"Name": "x", "prod": 1, "2": True})

    def test_object_with_unknown_key(self) -> None:
        assert value_of("{(var.unset) = 1}") == Unknown(
            "`var.unset`: var.region has no default and no value was given"
        )

    def test_for_over_a_list(self) -> None:
        assert value_of('[for z in var.zones : upper(z) if z != "eu-central-1b"]') == (
            "EU-CENTRAL-1A",
        )
        assert value_of('[for i, z in var.zones : "${i}:${z}"]') == (
            "0:eu-central-1a",
            "1:eu-central-1b",
        )

    def test_for_over_a_map_iterates_in_key_order(self) -> None:
        assert value_of("[for k, v in var.tags : k]") == ("CostCenter", "Team")
        assert value_of("{for k, v in local.regions : v => k}") == FrozenMap(
            {"ru-central1": "prod", "eu-west-1": "staging"}
        )

    def test_for_grouping_and_duplicates(self) -> None:
        assert value_of("{for s in var.servers : s.region => s.name...}") == FrozenMap(
            {"eu": ("a",), "ru": ("b",)}
        )
        assert value_of('{for s in var.servers : "all" => s.name...}') == FrozenMap(
            {"all": ("a", "b")}
        )
        assert value_of('{for s in var.servers : "all" => s.name}') == Unknown(
            "`{for s in var.servers : \"all\" => s.name}`: two elements have the key 'all'"
            " (use ... to group)",
            is_error=True,
        )

    def test_for_names_shadow_the_scope(self) -> None:
        assert value_of("[for var in [1, 2] : var * 10]") == (10, 20)

    def test_for_over_unknown(self) -> None:
        assert value_of("[for z in var.unset : z]") == Unknown(
            "`var.unset`: var.region has no default and no value was given"
        )
        assert value_of("[for z in var.region : z]") == Unknown(
            "`var.region`: cannot iterate over string", is_error=True
        )


class TestFunctionCalls:
    def test_region_lookup(self) -> None:
        result = evaluate(expression("lookup(local.regions, var.environment, var.region)"), SCOPE)
        assert result == Evaluated("ru-central1", (SourceRef("v", 1, ""), TFVARS_REF, REGION_REF))

    def test_expansion(self) -> None:
        assert value_of('format("%s-%s", ["a", "b"]...)') == "a-b"
        assert value_of("merge(var.tags...)") == Unknown(
            "`merge(var.tags...)`: only a list can be expanded with ..., not map", is_error=True
        )

    def test_unknown_argument_is_named(self) -> None:
        assert value_of('format("%s", var.unset)') == Unknown(
            "`var.unset`: var.region has no default and no value was given"
        )

    def test_unsupported_function(self) -> None:
        assert value_of('file("region.txt")') == Unknown(
            "function file() is not evaluated statically"
        )


class TestRobustness:
    def test_unsupported_syntax(self) -> None:
        assert value_of('"%{ if var.enabled }a%{ endif }"') == Unknown(
            '`"%{ if var.enabled }a%{ endif }"` uses a template directive,'
            " which is not evaluated statically"
        )

    def test_deep_expression_gives_unknown_not_recursion_error(self) -> None:
        deep: Expr = Literal(1)
        for _ in range(5000):
            deep = UnaryOp("-", deep)
        result = evaluate(deep, SCOPE)
        assert isinstance(result.value, Unknown)
        assert "too deeply" in result.value.reason

    def test_self_referential_scope_gives_unknown(self) -> None:
        class Locals:
            """A naive local scope with no cycle guard: local.a = local.a."""

            def resolve(
                self, root: str, steps: tuple[str | int, ...]
            ) -> tuple[Evaluated, int] | None:
                again = Traversal("local", (GetAttr("a"),), text="local.a")
                return evaluate(again, self), 1

        result = evaluate(Traversal("local", (GetAttr("a"),), text="local.a"), Locals())
        assert result.value == Unknown("`local.a` is nested or refers to itself too deeply")
        assert MAX_EVALUATION_DEPTH == 100

    def test_expensive_for_expression_is_cut_off(self) -> None:
        source = "[for a in var.big : [for b in var.big : [for c in var.big : a]]]"
        scope = MappingScope({"var": {"big": list(range(100))}})
        assert value_of(source, scope) == Unknown(
            "`[for a in var.big : [for b in var.big : [for c in var.big : a]]]` takes too many"
            " steps to evaluate statically"
        )

    def test_evaluated_pickles(self) -> None:
        result = evaluate(expression('{a = var.unset, b = [1, "x"]}'), SCOPE)
        assert pickle.loads(pickle.dumps(result)) == result
        assert not result.is_known
        assert evaluate(expression("[1]"), SCOPE).is_known

    def test_call_node_built_without_text(self) -> None:
        result = evaluate(FunctionCall("upper", (Traversal("var", (GetAttr("unset"),)),)), SCOPE)
        assert result.value == Unknown(
            "`var.unset`: var.region has no default and no value was given"
        )
