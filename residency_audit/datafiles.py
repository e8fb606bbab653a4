"""Loading the package's own YAML data tables quickly.

Every scan loads a few hundred kilobytes of data tables at start-up; PyYAML's pure-Python
parser makes that a noticeable part of a warm scan, so the C parser is used when PyYAML was
built with libyaml (constructors stay PyYAML's safe ones either way).
"""

from __future__ import annotations

from typing import Any

import yaml

FastSafeLoader: type[yaml.SafeLoader]
try:
    FastSafeLoader = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    FastSafeLoader = yaml.SafeLoader


def load_yaml(text: str) -> Any:
    """``yaml.safe_load`` with the C parser when available: plain data only."""
    return yaml.load(text, Loader=FastSafeLoader)
