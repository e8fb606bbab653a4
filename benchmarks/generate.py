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


PY_PLAIN = """\
\"\"\"{doc}\"\"\"

from __future__ import annotations

import logging
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

RETRIES = {retries}


@dataclass
class {cls}:
    name: str
    weight: float = {weight}
    tags: list[str] = field(default_factory=list)

    def score(self, other: {cls}) -> float:
        shared = len(set(self.tags) & set(other.tags))
        return shared * self.weight / (1 + abs(self.weight - other.weight))


def {func}(items: list[{cls}], limit: int = {limit}) -> list[{cls}]:
    ranked = sorted(items, key=lambda item: item.weight, reverse=True)
    for attempt in range(RETRIES):
        log.debug("attempt %s over %d items", attempt, len(ranked))
    return ranked[:limit]
"""

PY_MODEL = """\
from sqlalchemy import Column, Date, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class {cls}(Base):
    __tablename__ = "{table}"

    id = Column(Integer, primary_key=True)
    email = Column(String(255), nullable=False)
    phone = Column(String(32))
    full_name = Column(String(255))
    birth_date = Column(Date)
"""

PY_CLIENT = """\
import os

import boto3

BUCKET = os.environ.get("{env}", "{bucket}")
s3 = boto3.client("s3", region_name="{region}")


def upload_profile(user_id: str, email: str, phone: str, body: bytes) -> None:
    s3.put_object(
        Bucket=BUCKET,
        Key=f"profiles/{{user_id}}.json",
        Body=body,
        Metadata={{"email": email, "phone": phone}},
    )
"""

K8S_STATEFUL = """\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {name}
  namespace: {namespace}
  labels:
    app: {name}
spec:
  serviceName: {name}
  replicas: 1
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      nodeSelector:
        topology.kubernetes.io/region: {region}
      containers:
        - name: db
          image: {image}
          ports:
            - containerPort: {port}
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        accessModes: ["ReadWriteOnce"]
        resources:
          requests:
            storage: 10Gi
"""

K8S_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {namespace}
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      containers:
        - name: app
          image: registry.example.com/{name}:{version}
          env:
            - name: LOG_LEVEL
              value: info
---
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {namespace}
spec:
  selector:
    app: {name}
  ports:
    - port: 80
      targetPort: 8080
"""

WORDS = ["ledger", "route", "basket", "quota", "signal", "parcel", "tariff", "batch", "cursor"]


def write_python(root: Path, files: int, rng: random.Random) -> int:
    for index in range(files):
        package = root / "services" / f"svc{index // 50:04d}" / "app"
        package.mkdir(parents=True, exist_ok=True)
        word = rng.choice(WORDS)
        cls = f"{word.title()}{index}"
        roll = rng.random()
        if roll < 0.02:
            text = PY_MODEL.format(cls=cls, table=f"{word}_users_{index}")
        elif roll < 0.04:
            text = PY_CLIENT.format(
                env=f"{word.upper()}_BUCKET",
                bucket=f"acme-{word}-{index}",
                region=rng.choice(REGIONS),
            )
        else:
            text = PY_PLAIN.format(
                doc=f"Ranking of {word} entries for service {index // 50}.",
                retries=rng.randint(1, 5),
                cls=cls,
                weight=round(rng.random(), 3),
                func=f"rank_{word}_{index}",
                limit=rng.randint(5, 50),
            )
        (package / f"{word}_{index}.py").write_text(text)
    return files


def write_kubernetes(root: Path, files: int, rng: random.Random) -> int:
    images = [("postgres:16", 5432), ("redis:7.2", 6379), ("mongo:7", 27017)]
    for index in range(files):
        directory = root / "deploy" / f"team{index // 40:03d}"
        directory.mkdir(parents=True, exist_ok=True)
        name = f"{rng.choice(WORDS)}-{index}"
        if rng.random() < 0.1:
            image, port = rng.choice(images)
            text = K8S_STATEFUL.format(
                name=name,
                namespace=f"team{index // 40}",
                region=rng.choice(["eu-central-1", "ru-central1"]),
                image=image,
                port=port,
            )
        else:
            text = K8S_DEPLOYMENT.format(
                name=name,
                namespace=f"team{index // 40}",
                replicas=rng.randint(1, 5),
                version=f"1.{rng.randint(0, 40)}.{rng.randint(0, 9)}",
            )
        (directory / f"{name}.yaml").write_text(text)
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument(
        "--files",
        type=int,
        default=10_000,
        help="total files (70%% Python, "
        "20%% Terraform, 10%% Kubernetes) unless the counts below are given",
    )
    parser.add_argument("--terraform", type=int, default=None, help="number of Terraform files")
    parser.add_argument("--python", type=int, default=None, help="number of Python files")
    parser.add_argument("--kubernetes", type=int, default=None, help="number of manifests")
    parser.add_argument("--seed", type=int, default=152)
    args = parser.parse_args()
    if args.out.exists():
        shutil.rmtree(args.out)
    args.out.mkdir(parents=True)
    (args.out / ".residency-audit.yaml").write_text("data_subjects: [RU]\n")
    total = args.files
    terraform = args.terraform if args.terraform is not None else total * 2 // 10
    python = args.python if args.python is not None else total * 7 // 10
    kubernetes = args.kubernetes if args.kubernetes is not None else total - terraform - python
    rng = random.Random(args.seed)
    written = write_terraform(args.out, terraform, rng)
    written += write_python(args.out, python, rng)
    written += write_kubernetes(args.out, kubernetes, rng)
    print(
        f"wrote {written} files to {args.out} "
        f"({terraform} Terraform, {python} Python, {kubernetes} Kubernetes)"
    )


if __name__ == "__main__":
    main()
