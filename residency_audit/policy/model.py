"""The shape of a policy file, validated strictly so a typo cannot switch a rule off.

A policy holds no code: it names the data subjects it protects, the countries where their
data may live, and rules whose conditions use a small fixed vocabulary that the evaluator
understands for any jurisdiction.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from residency_audit.model import PersonalDataStatus, Severity

Category = Literal["foreign_storage", "unknown_location", "cross_border_transfer"]


class LocationClass(StrEnum):
    """Where a store is, relative to a policy's allowed countries."""

    INSIDE = "inside"  # every country of the store is allowed
    OUTSIDE = "outside"  # at least one country is not allowed
    UNKNOWN = "unknown"  # the location could not be determined


class Receives(StrEnum):
    """How a store comes to hold the personal data."""

    DIRECT = "direct"  # written, declared, tagged or named as personal by itself
    COPY_OF_INSIDE = "copy_of_inside"  # only as a copy of stores that are all inside
    COPY_OF_OUTSIDE = "copy_of_outside"  # a copy of a store outside or of unknown location


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(_Strict):
    """All given fields must hold; an omitted field places no constraint."""

    personal_data: tuple[PersonalDataStatus, ...] = (
        PersonalDataStatus.YES,
        PersonalDataStatus.LIKELY,
    )
    location: tuple[LocationClass, ...] | None = None
    receives: tuple[Receives, ...] | None = None

    @field_validator("personal_data", mode="before")
    @classmethod
    def _yaml_booleans(cls, value: object) -> object:
        """YAML 1.1 reads a bare ``yes``/``no`` as a boolean; mean the status words."""
        items = value if isinstance(value, list | tuple) else [value]
        return [{True: "yes", False: "no"}.get(v, v) if isinstance(v, bool) else v for v in items]

    @field_validator("location", "receives", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


class Rule(_Strict):
    id: str = Field(min_length=1)
    category: Category
    severity: Severity
    severity_if_likely: Severity | None = None
    title: str = Field(min_length=1)
    when: Condition
    message: str = Field(min_length=1)
    help: str = ""
    references: tuple[str, ...] = ()


class Policy(_Strict):
    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    subjects: tuple[str, ...] = Field(min_length=1)
    allowed_countries: tuple[str, ...] = Field(min_length=1)
    references: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = Field(min_length=1)

    @field_validator("subjects", "allowed_countries")
    @classmethod
    def _upper(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(v.upper() for v in values)


def rules_by_id(policies: Sequence[Policy]) -> dict[str, Rule]:
    """Every rule of these policies by id; the first policy naming an id wins."""
    rules: dict[str, Rule] = {}
    for policy in policies:
        for rule in policy.rules:
            rules.setdefault(rule.id, rule)
    return rules
