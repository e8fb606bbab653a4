"""Write a deterministic synthetic monorepo for benchmarks.

The Terraform part is shaped like a real platform repository: services, each with a few
environment root modules that call shared local modules with variables, providers and
tfvars, plus resources that are not stores (networks, IAM, DNS), so the scanner has to do
the same work it does on real code. Same arguments, same bytes.
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

REGIONS = ["eu-central-1", "eu-west-1", "us-east-1", "ap-southeast-1"]
ENVIRONMENTS = ["dev", "stage", "prod"]

MODULE_DB = """\
variable "name" {{
  type = string
}}

variable "tags" {{
  type    = map(string)
  default = {{}}
}}

resource "aws_db_instance" "this" {{
  identifier        = var.name
  engine            = "postgres"
  instance_class    = "db.t4g.{size}"
  allocated_storage = {storage}

  tags = merge(var.tags, {{
    DataClassification = "{classification}"
  }})
}}

resource "aws_db_subnet_group" "this" {{
  name       = "${{var.name}}-subnets"
  subnet_ids = ["subnet-{seed:08x}", "subnet-{seed2:08x}"]
}}

output "identifier" {{
  value = aws_db_instance.this.identifier
}}
"""

MODULE_BUCKET = """\
variable "bucket_name" {{
  type = string
}}

resource "aws_s3_bucket" "this" {{
  bucket = var.bucket_name

  tags = {{
    DataClassification = "{classification}"
    Service            = "{service}"
  }}
}}

resource "aws_s3_bucket_versioning" "this" {{
  bucket = aws_s3_bucket.this.id

  versioning_configuration {{
    status = "Enabled"
  }}
}}

resource "aws_s3_bucket_public_access_block" "this" {{
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}}
"""

ENV_MAIN = """\
locals {{
  prefix = "{service}-${{var.environment}}"
  tags = {{
    Service     = "{service}"
    Environment = var.environment
    CostCenter  = "{cost}"
  }}
}}

module "db" {{
  source = "../../modules/db"
  name   = "${{local.prefix}}-db"
  tags   = local.tags
}}

module "uploads" {{
  source      = "../../modules/bucket"
  bucket_name = "${{local.prefix}}-uploads"
}}

resource "aws_iam_role" "app" {{
  name = "${{local.prefix}}-app"
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Action    = "sts:AssumeRole"
      Effect    = "Allow"
      Principal = {{ Service = "ecs-tasks.amazonaws.com" }}
    }}]
  }})
}}

resource "aws_security_group" "app" {{
  name   = "${{local.prefix}}-app"
  vpc_id = "vpc-{seed:08x}"

  ingress {{
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.{a}.0.0/16"]
  }}
}}
"""

ENV_PROVIDERS = """\
provider "aws" {{
  region = var.region
}}

variable "region" {{
  type    = string
  default = "{region}"
}}

variable "environment" {{
  type = string
}}
"""


def write_terraform(root: Path, files: int, rng: random.Random) -> int:
    written = 0
    service = 0
    while written < files:
        name = f"svc{service:04d}"
        base = root / "platform" / name
        classification = rng.choice(["PII", "internal", "public"])
        seed = rng.getrandbits(32)
        templates = {
            "modules/db/main.tf": MODULE_DB.format(
                size=rng.choice(["small", "medium", "large"]),
                storage=rng.choice([20, 50, 100]),
                classification=classification,
                seed=seed,
                seed2=rng.getrandbits(32),
            ),
            "modules/bucket/main.tf": MODULE_BUCKET.format(
                classification=classification, service=name
            ),
        }
        for env in ENVIRONMENTS:
            templates[f"envs/{env}/main.tf"] = ENV_MAIN.format(
                service=name, cost=rng.randint(100, 999), seed=seed, a=rng.randint(0, 255)
            )
            templates[f"envs/{env}/providers.tf"] = ENV_PROVIDERS.format(region=rng.choice(REGIONS))
            templates[f"envs/{env}/terraform.tfvars"] = f'environment = "{env}"\n'
        for rel, text in templates.items():
            if written >= files:
                break
            path = base / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            written += 1
        service += 1
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--terraform", type=int, default=2000, help="number of Terraform files")
    parser.add_argument("--seed", type=int, default=152)
    args = parser.parse_args()
    if args.out.exists():
        shutil.rmtree(args.out)
    args.out.mkdir(parents=True)
    (args.out / ".residency-audit.yaml").write_text("data_subjects: [RU]\n")
    rng = random.Random(args.seed)
    count = write_terraform(args.out, args.terraform, rng)
    print(f"wrote {count} Terraform files to {args.out}")


if __name__ == "__main__":
    main()
