from __future__ import annotations

import pickle

import pytest

from residency_audit.sources.terraform.expr import (
    BinaryOp,
    Block,
    Conditional,
    Expr,
    ForExpr,
    FunctionCall,
    GetAttr,
    HclFile,
    Index,
    Literal,
    ObjectExpr,
    RelativeTraversal,
    Splat,
    Template,
    Traversal,
    TupleExpr,
    UnaryOp,
    Unsupported,
    describe,
    render,
)
from residency_audit.sources.terraform.hcl import (
    MAX_BLOCK_DEPTH,
    HclSyntaxError,
    parse_hcl,
    parse_template,
    parse_tf_json,
    parse_tfvars,
    parse_tfvars_json,
)

MAIN_TF = """\
# Platform storage for the EU and RU deployments.
# Owner: platform team

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.40"
    }
  }
}

variable "aws_region" {
  description = "Primary AWS region"
  type        = string
  default     = "eu-central-1"
}

locals {
  name_prefix = "acme-${var.environment}"

  common_tags = {
    Team        = "platform"
    Environment = var.environment
  }

  user_data = <<-EOT
    #!/bin/bash
    echo "region=${var.aws_region}"
    echo "cost=$${NOT_INTERPOLATED}"
  EOT
}

// The users bucket holds profile photos.
resource "aws_s3_bucket" "users" {
  provider = aws.replica
  bucket   = "${local.name_prefix}-users"

  tags = merge(local.common_tags, {
    Name = "users"
  })

  lifecycle {
    prevent_destroy = true
  }
}

/* Database for the RU users,
   kept in Yandex Cloud. */
resource "yandex_mdb_postgresql_cluster" "ru" {
  name = "ru-users"

  host {
    zone = "ru-central1-a"
  }

  host {
    zone = "ru-central1-b"
  }
}
"""


def _block(hcl: HclFile, type_: str, *labels: str) -> Block:
    (found,) = [b for b in hcl.blocks if b.type == type_ and b.labels == labels]
    return found


def _attr(block: Block, name: str) -> tuple[int, object]:
    attribute = block.attribute(name)
    assert attribute is not None, name
    return attribute.line, attribute.value


class TestLines:
    def test_block_lines_after_comments_and_blank_lines(self) -> None:
        hcl = parse_hcl(MAIN_TF)
        summary = [(b.type, b.labels, b.line, b.end_line) for b in hcl.blocks]
        assert summary == [
            ("terraform", (), 4, 11),
            ("variable", ("aws_region",), 13, 17),
            ("locals", (), 19, 32),
            ("resource", ("aws_s3_bucket", "users"), 35, 46),
            ("resource", ("yandex_mdb_postgresql_cluster", "ru"), 50, 60),
        ]

    def test_attribute_lines_around_heredoc_and_multiline_object(self) -> None:
        hcl = parse_hcl(MAIN_TF)
        locals_block = _block(hcl, "locals")
        assert [(a.name, a.line) for a in locals_block.attributes] == [
            ("name_prefix", 20),
            ("common_tags", 22),
            ("user_data", 27),
        ]
        bucket = _block(hcl, "resource", "aws_s3_bucket", "users")
        assert [(a.name, a.line) for a in bucket.attributes] == [
            ("provider", 36),
            ("bucket", 37),
            ("tags", 39),
        ]
        (lifecycle,) = bucket.blocks_of("lifecycle")
        assert (lifecycle.line, lifecycle.end_line) == (43, 45)
        assert _attr(lifecycle, "prevent_destroy") == (44, Literal(True))

    def test_nested_blocks_repeat_in_order(self) -> None:
        cluster = _block(parse_hcl(MAIN_TF), "resource", "yandex_mdb_postgresql_cluster", "ru")
        hosts = cluster.blocks_of("host")
        assert [(h.line, _attr(h, "zone")) for h in hosts] == [
            (53, (54, Literal("ru-central1-a"))),
            (57, (58, Literal("ru-central1-b"))),
        ]
        assert cluster.blocks_of("missing") == ()
        assert cluster.attribute("missing") is None

    def test_expression_lines_inside_a_multiline_object(self) -> None:
        locals_block = _block(parse_hcl(MAIN_TF), "locals")
        _, tags = _attr(locals_block, "common_tags")
        assert isinstance(tags, ObjectExpr)
        assert [(k.line, v.line) for k, v in tags.items] == [(23, 23), (24, 24)]

    def test_heredoc_interpolation_keeps_its_own_line(self) -> None:
        locals_block = _block(parse_hcl(MAIN_TF), "locals")
        _, user_data = _attr(locals_block, "user_data")
        assert user_data == Template(
            (
                Literal('#!/bin/bash\necho "region='),
                Traversal("var", (GetAttr("aws_region"),)),
                Literal('"\necho "cost=${NOT_INTERPOLATED}"\n'),
            )
        )
        assert isinstance(user_data, Template)
        assert user_data.line == 27
        assert user_data.parts[1].line == 29
        assert user_data.parts[1].text == "var.aws_region"

    def test_crlf_file_gives_the_same_lines_and_values(self) -> None:
        lf = parse_hcl(MAIN_TF)
        crlf = parse_hcl(MAIN_TF.replace("\n", "\r\n"))
        assert crlf == lf
        assert [(b.line, b.end_line) for b in crlf.blocks] == [
            (b.line, b.end_line) for b in lf.blocks
        ]

    def test_block_whose_brace_follows_a_comment(self) -> None:
        text = 'resource "aws_s3_bucket" "legacy" # imported in 2019\n{\n  bucket = "old"\n}\n'
        (block,) = parse_hcl(text).blocks
        assert (block.labels, block.line, block.end_line) == (("aws_s3_bucket", "legacy"), 1, 4)
        assert _attr(block, "bucket") == (3, Literal("old"))

    def test_byte_order_mark_is_ignored(self) -> None:
        (attribute,) = parse_hcl('\ufeffregion = "ru-central1"\n').attributes
        assert (attribute.name, attribute.value, attribute.line) == (
            "region",
            Literal("ru-central1"),
            1,
        )

    def test_file_without_final_newline_and_comment_at_end(self) -> None:
        hcl = parse_hcl('region = "eu-west-1" # default')
        assert hcl.attributes[0].value == Literal("eu-west-1")


class TestExpressions:
    @staticmethod
    def value(source: str) -> Expr:
        (attribute,) = parse_hcl(f"x = {source}\n").attributes
        return attribute.value

    def test_literals(self) -> None:
        assert self.value("42") == Literal(42)
        assert self.value("1.5") == Literal(1.5)
        assert self.value("1e3") == Literal(1000.0)
        assert self.value("true") == Literal(True)
        assert self.value("false") == Literal(False)
        assert self.value("null") == Literal(None)
        assert self.value('""') == Literal("")

    def test_string_escapes(self) -> None:
        assert self.value(r'"a\"b\\c\nd\te"') == Literal('a"b\\c\nd\te')
        assert self.value(r'"\u00e9\U0001F600"') == Literal("é😀")
        assert self.value('"cost $${x} and %%{y}"') == Literal("cost ${x} and %{y}")

    def test_template_with_interpolations(self) -> None:
        assert self.value('"${var.prefix}-users-${count.index}"') == Template(
            (
                Traversal("var", (GetAttr("prefix"),)),
                Literal("-users-"),
                Traversal("count", (GetAttr("index"),)),
            )
        )

    def test_template_directive_is_unsupported(self) -> None:
        value = self.value('"%{ if var.prod }prod%{ else }dev%{ endif }"')
        assert isinstance(value, Unsupported)
        assert value.kind == "a template directive"
        assert value.text == '"%{ if var.prod }prod%{ else }dev%{ endif }"'

    def test_traversal_steps(self) -> None:
        assert self.value('module.network.subnets["private"][0].id') == Traversal(
            "module",
            (
                GetAttr("network"),
                GetAttr("subnets"),
                Index(Literal("private")),
                Index(Literal(0)),
                GetAttr("id"),
            ),
        )
        assert self.value("aws_instance.web.0.id") == Traversal(
            "aws_instance", (GetAttr("web"), Index(Literal(0)), GetAttr("id"))
        )
        assert self.value("var.m[var.k]") == Traversal(
            "var", (GetAttr("m"), Index(Traversal("var", (GetAttr("k"),))))
        )

    def test_splats(self) -> None:
        assert self.value("aws_subnet.private[*].id") == Traversal(
            "aws_subnet", (GetAttr("private"), Splat(full=True), GetAttr("id"))
        )
        assert self.value("aws_subnet.private.*.id") == Traversal(
            "aws_subnet", (GetAttr("private"), Splat(full=False), GetAttr("id"))
        )

    def test_relative_traversal_and_parentheses(self) -> None:
        assert self.value('split(",", var.zones)[0]') == RelativeTraversal(
            FunctionCall("split", (Literal(","), Traversal("var", (GetAttr("zones"),)))),
            (Index(Literal(0)),),
        )
        assert self.value("(var.settings).region") == Traversal(
            "var", (GetAttr("settings"), GetAttr("region"))
        )
        assert self.value("(1 + 2)") == BinaryOp("+", Literal(1), Literal(2))

    def test_function_calls(self) -> None:
        assert self.value("merge(local.a, var.b...)") == FunctionCall(
            "merge",
            (Traversal("local", (GetAttr("a"),)), Traversal("var", (GetAttr("b"),))),
            expand_final=True,
        )
        assert self.value("timestamp()") == FunctionCall("timestamp", ())
        assert self.value("provider::aws::arn_parse(var.arn)") == FunctionCall(
            "provider::aws::arn_parse", (Traversal("var", (GetAttr("arn"),)),)
        )
        multiline = self.value('lookup(\n  var.regions,\n  "ru",\n  "ru-central1",\n)')
        assert isinstance(multiline, FunctionCall)
        assert len(multiline.args) == 3

    def test_object_keys(self) -> None:
        value = self.value('{\n  Name = "a"\n  "Quoted" = 1\n  (var.key) = 2\n  in = 3\n}')
        assert value == ObjectExpr(
            (
                (Literal("Name"), Literal("a")),
                (Literal("Quoted"), Literal(1)),
                (Traversal("var", (GetAttr("key"),)), Literal(2)),
                (Literal("in"), Literal(3)),
            )
        )

    def test_tuple_with_trailing_comma_and_comments(self) -> None:
        value = self.value('[\n  "a", # first\n  "b",\n]')
        assert value == TupleExpr((Literal("a"), Literal("b")))

    def test_operators_and_precedence(self) -> None:
        assert self.value("a + b * c") == BinaryOp(
            "+", Traversal("a"), BinaryOp("*", Traversal("b"), Traversal("c"))
        )
        assert self.value('var.env == "prod" && !var.dr') == BinaryOp(
            "&&",
            BinaryOp("==", Traversal("var", (GetAttr("env"),)), Literal("prod")),
            UnaryOp("!", Traversal("var", (GetAttr("dr"),))),
        )
        assert self.value("-1") == UnaryOp("-", Literal(1))

    def test_multiline_operator_continuation(self) -> None:
        value = self.value('var.a == "x"\n  # either\n  || var.b')
        assert isinstance(value, BinaryOp)
        assert value.op == "||"

    def test_conditional(self) -> None:
        assert self.value('var.prod ? "eu-central-1" : "eu-west-1"') == Conditional(
            Traversal("var", (GetAttr("prod"),)), Literal("eu-central-1"), Literal("eu-west-1")
        )

    def test_for_expressions(self) -> None:
        assert self.value('[for s in var.list : upper(s) if s != ""]') == ForExpr(
            None,
            "s",
            Traversal("var", (GetAttr("list"),)),
            None,
            FunctionCall("upper", (Traversal("s"),)),
            BinaryOp("!=", Traversal("s"), Literal("")),
        )
        assert self.value("{for k, v in var.m : v => k...}") == ForExpr(
            "k", "v", Traversal("var", (GetAttr("m"),)), Traversal("v"), Traversal("k"), None, True
        )

    def test_heredocs(self) -> None:
        assert self.value("<<EOT\n  keep\n    indent\nEOT\n") == Literal("  keep\n    indent\n")
        assert self.value("<<-EOT\n    a\n      b\n\n    c\n  EOT\n") == Literal("a\n  b\n\nc\n")
        assert self.value("<<EOT\nEOT\n") == Literal("")
        # A tab counts as one whitespace character when trimming, as in HCL.
        assert self.value("<<-EOT\n\tFoo\n  Bar\n  EOT\n") == Literal("Foo\n Bar\n")

    def test_text_is_the_exact_source(self) -> None:
        hcl = parse_hcl('x = var.a + var.b # total\ny = {\n  k = "v"\n}\n')
        assert [a.value.text for a in hcl.attributes] == ["var.a + var.b", '{\n  k = "v"\n}']

    def test_over_deep_expression_becomes_unsupported(self) -> None:
        value = self.value("[" * 200 + "1" + "]" * 200)
        unsupported = value
        while isinstance(unsupported, TupleExpr):
            unsupported = unsupported.items[0]
        assert isinstance(unsupported, Unsupported)
        assert "nested more than 64 levels" in unsupported.kind

    def test_render_and_describe(self) -> None:
        value = self.value('merge(var.tags, {Name = "${var.prefix}-db"})')
        assert render(value) == 'merge(var.tags, {Name = "${var.prefix}-db"})'
        assert describe(value) == 'merge(var.tags, {Name = "${var.prefix}-db"})'
        built = Conditional(
            BinaryOp("==", Traversal("var", (GetAttr("env"),)), Literal("prod")),
            Literal("a"),
            RelativeTraversal(TupleExpr((Literal(1),)), (Splat(True), Index(Literal(0)))),
        )
        assert describe(built) == 'var.env == "prod" ? "a" : ([1])[*][0]'


class TestErrors:
    def test_leading_dot_continuation_is_rejected_on_its_line(self) -> None:
        text = (
            'data "aws_iam_policy_document" "this" {}\n'
            "\n"
            "locals {\n"
            "  policy = data.aws_iam_policy_document.this\n"
            "    .json\n"
            "}\n"
        )
        with pytest.raises(HclSyntaxError) as info:
            parse_hcl(text)
        assert (info.value.line, info.value.column) == (5, 5)
        assert "leading '.'" in info.value.message

    def test_leading_dot_inside_brackets_is_also_rejected(self) -> None:
        # Terraform accepts this one (newlines are ignored inside brackets); python-hcl2 not.
        text = "locals {\n  ids = concat(\n    module.vpc\n      .private_subnets,\n  )\n}\n"
        with pytest.raises(HclSyntaxError) as info:
            parse_hcl(text)
        assert info.value.line == 4

    def test_unclosed_block_points_at_the_last_line_with_content(self) -> None:
        with pytest.raises(HclSyntaxError) as info:
            parse_hcl('resource "aws_s3_bucket" "b" {\n  bucket = "x"\n\n')
        assert (info.value.message, info.value.line) == ("unexpected end of file", 2)

    def test_garbage_character(self) -> None:
        with pytest.raises(HclSyntaxError) as info:
            parse_hcl('bucket = "ok"\nregion = @eu\n')
        assert (info.value.message, info.value.line, info.value.column) == (
            "unexpected '@eu'",
            2,
            10,
        )
        assert str(info.value) == "line 2, column 10: unexpected '@eu'"

    def test_missing_value(self) -> None:
        with pytest.raises(HclSyntaxError) as info:
            parse_hcl("a = 1\nb =\nc = 2\n")
        assert (info.value.message, info.value.line) == ("unexpected end of line", 2)

    def test_inline_block_comment_before_a_value_is_a_library_gap(self) -> None:
        with pytest.raises(HclSyntaxError) as info:
            parse_hcl("count = /* disabled */ 0\n")
        assert info.value.line == 1

    def test_deeply_nested_blocks(self) -> None:
        depth = MAX_BLOCK_DEPTH + 2
        text = "".join(f"b{i} {{\n" for i in range(depth)) + "}\n" * depth
        with pytest.raises(HclSyntaxError) as info:
            parse_hcl(text)
        assert info.value.line == MAX_BLOCK_DEPTH + 1

    def test_error_pickles(self) -> None:
        error = HclSyntaxError("unexpected '}'", 3, 1)
        copy = pickle.loads(pickle.dumps(error))
        assert (copy.message, copy.line, copy.column, str(copy)) == (
            "unexpected '}'",
            3,
            1,
            "line 3, column 1: unexpected '}'",
        )


def test_ast_pickles_and_keeps_text() -> None:
    hcl = parse_hcl(MAIN_TF)
    copy = pickle.loads(pickle.dumps(hcl))
    assert copy == hcl
    bucket = _block(copy, "resource", "aws_s3_bucket", "users")
    _, tags = _attr(bucket, "tags")
    assert isinstance(tags, FunctionCall)
    assert tags.text == 'merge(local.common_tags, {\n    Name = "users"\n  })'
    assert tags.line == 39


def test_tfvars_are_top_level_attributes() -> None:
    hcl = parse_tfvars(
        '# prod values\naws_region = "eu-central-1"\n\nreplicas = {\n  eu = "eu-west-1"\n}\n'
    )
    assert hcl.blocks == ()
    assert [(a.name, a.line) for a in hcl.attributes] == [("aws_region", 2), ("replicas", 4)]
    aws_region = hcl.attribute("aws_region")
    assert aws_region is not None and aws_region.value == Literal("eu-central-1")


class TestTemplates:
    def test_strip_markers(self) -> None:
        value = parse_template("a   ${~ x ~}   b", 1)
        assert value == Template((Literal("a"), Traversal("x"), Literal("b")))

    def test_escapes_and_lines(self) -> None:
        value = parse_template("line1\n$${HOME} ${var.a}\n${var.b}", 10)
        assert value == Template(
            (
                Literal("line1\n${HOME} "),
                Traversal("var", (GetAttr("a"),)),
                Literal("\n"),
                Traversal("var", (GetAttr("b"),)),
            )
        )
        assert isinstance(value, Template)
        assert [p.line for p in value.parts if not isinstance(p, Literal)] == [11, 12]

    def test_nested_braces_and_strings(self) -> None:
        value = parse_template('${jsonencode({a = "}"})}', 1)
        assert value == Template(
            (FunctionCall("jsonencode", (ObjectExpr(((Literal("a"), Literal("}")),)),)),)
        )

    def test_unreadable_interpolation_stays_local(self) -> None:
        value = parse_template("ok ${var.}", 3)
        assert isinstance(value, Template)
        bad = value.parts[1]
        assert isinstance(bad, Unsupported)
        assert bad.kind.startswith("an interpolation python-hcl2 could not read")
        assert (bad.text, bad.line) == ("var.", 3)

    def test_unterminated_and_directives(self) -> None:
        assert parse_template("${var.a", 1) == Unsupported("an unterminated interpolation")
        assert parse_template("%{ for x in y }${x}%{ endfor }", 1) == Unsupported(
            "a template directive"
        )


TF_JSON = """\
{
  "//": "Generated by tooling; do not edit.",
  "variable": {
    "region": {
      "type": "string",
      "default": "eu-central-1"
    },
    "settings": {
      "default": {"replica": "eu-west-1"}
    }
  },
  "provider": {
    "aws": [
      {"region": "${var.region}"},
      {"alias": "replica", "region": "${var.settings.replica}"}
    ]
  },
  "resource": {
    "aws_s3_bucket": {
      "users": {
        "bucket": "acme-${var.env}-users",
        "tags": {"Name": "users", "Escaped": "$${not}"},
        "versioning": {"enabled": true}
      }
    }
  },
  "locals": {
    "replicas": 3,
    "zones": ["a", "${upper(var.region)}"]
  }
}
"""


class TestJson:
    def test_blocks_labels_and_lines(self) -> None:
        hcl = parse_tf_json(TF_JSON)
        assert [(b.type, b.labels, b.line, b.end_line) for b in hcl.blocks] == [
            ("variable", ("region",), 4, 7),
            ("variable", ("settings",), 8, 10),
            ("provider", ("aws",), 14, 14),
            ("provider", ("aws",), 15, 15),
            ("resource", ("aws_s3_bucket", "users"), 20, 24),
            ("locals", (), 27, 30),
        ]

    def test_strings_are_templates(self) -> None:
        hcl = parse_tf_json(TF_JSON)
        bucket = _block(hcl, "resource", "aws_s3_bucket", "users")
        assert _attr(bucket, "bucket") == (
            21,
            Template((Literal("acme-"), Traversal("var", (GetAttr("env"),)), Literal("-users"))),
        )
        replica = hcl.blocks_of("provider")[1]
        assert _attr(replica, "region") == (
            15,
            Template((Traversal("var", (GetAttr("settings"), GetAttr("replica"))),)),
        )

    def test_object_properties_are_attributes_and_blocks(self) -> None:
        bucket = _block(parse_tf_json(TF_JSON), "resource", "aws_s3_bucket", "users")
        assert _attr(bucket, "tags") == (
            22,
            ObjectExpr(
                (
                    (Literal("Name"), Literal("users")),
                    (Literal("Escaped"), Literal("${not}")),
                )
            ),
        )
        (versioning,) = bucket.blocks_of("versioning")
        assert (versioning.line, _attr(versioning, "enabled")) == (23, (23, Literal(True)))

    def test_variable_default_object_is_only_an_attribute(self) -> None:
        settings = _block(parse_tf_json(TF_JSON), "variable", "settings")
        assert settings.blocks == ()
        assert _attr(settings, "default") == (
            9,
            ObjectExpr(((Literal("replica"), Literal("eu-west-1")),)),
        )

    def test_locals_numbers_and_lists(self) -> None:
        locals_block = _block(parse_tf_json(TF_JSON), "locals")
        assert _attr(locals_block, "replicas") == (28, Literal(3))
        assert _attr(locals_block, "zones") == (
            29,
            TupleExpr(
                (
                    Literal("a"),
                    Template((FunctionCall("upper", (Traversal("var", (GetAttr("region"),)),)),)),
                )
            ),
        )

    def test_nested_labelled_blocks(self) -> None:
        text = (
            '{"terraform": {"backend": {"s3": {"region": "eu-central-1"}}},\n'
            ' "resource": {"aws_instance": {"web": {\n'
            '   "provisioner": [{"local-exec": {"command": "echo hi"}}]}}}}\n'
        )
        hcl = parse_tf_json(text)
        (backend,) = _block(hcl, "terraform").blocks_of("backend")
        assert (backend.labels, backend.line) == (("s3",), 1)
        assert _attr(backend, "region") == (1, Literal("eu-central-1"))
        instance = _block(hcl, "resource", "aws_instance", "web")
        (provisioner,) = instance.blocks_of("provisioner")
        assert (provisioner.labels, provisioner.line) == (("local-exec",), 3)

    def test_tfvars_json(self) -> None:
        hcl = parse_tfvars_json('{\n  "aws_region": "eu-west-1",\n  "replicas": [1, 2]\n}\n')
        assert [(a.name, a.line, a.value) for a in hcl.attributes] == [
            ("aws_region", 2, Literal("eu-west-1")),
            ("replicas", 3, TupleExpr((Literal(1), Literal(2)))),
        ]

    @pytest.mark.parametrize(
        ("text", "message", "line"),
        [
            ('{\n  "variable": {\n    "a": {"default": 1,}\n  }\n}', "expected a property", 3),
            ('{\n  "locals": {"a": tru}\n}', "unexpected character 't' in JSON", 2),
            ("[1, 2]", "a Terraform JSON file must hold one JSON object", 1),
            ('{"a": 1}\n{"b": 2}', "unexpected content after the JSON document", 2),
            ('{\n "resource": "x"\n}', "a 'resource' block must be a JSON object", 2),
            ('{"a": "\\q"}', "invalid JSON string", 1),
            ('{"a": ' + "[" * 100 + "]" * 100 + "}", "JSON nested more than 64 levels deep", 1),
            ('{\n  "locals": {"a": 1', "expected ',' or '}' in JSON", 2),
        ],
    )
    def test_errors_carry_lines(self, text: str, message: str, line: int) -> None:
        with pytest.raises(HclSyntaxError) as info:
            parse_tf_json(text)
        assert info.value.message.startswith(message)
        assert info.value.line == line
