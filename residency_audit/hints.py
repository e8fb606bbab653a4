"""Advice for the reader when the report alone would mislead.

The most important one: a repository with personal-data stores but no sign of whose data
it is gets an inventory and no findings. Silence would look like compliance, so the report
says how to declare the data subjects.
"""

from __future__ import annotations

from collections.abc import Sequence

from residency_audit.config import Config
from residency_audit.model import SourceRef, Store
from residency_audit.policy.model import Policy


def scan_hints(
    stores: Sequence[Store], config: Config, policies: Sequence[Policy]
) -> tuple[str, ...]:
    hints: list[str] = []
    personal = [s for s in stores if s.personal_data.is_personal]
    protected = {subject for policy in policies for subject in policy.subjects}
    unscoped = [s for s in personal if not s.personal_data.subjects]
    if unscoped and not config.model.data_subjects:
        subjects = ", ".join(sorted(protected)) or "RU"
        hints.append(
            f"{len(unscoped)} store(s) hold personal data, but nothing in the repository says "
            f"whose. If the project serves users protected by the policy ({subjects}), declare "
            f"it in .residency-audit.yaml:\n  data_subjects: [{subjects}]\n"
            'or tag the stores (e.g. data_subjects = "RU"); until then they are listed '
            "without findings."
        )
    unknown = [s for s in personal if not s.location.is_known]
    if unknown and not config.model.variables:
        hints.append(
            f"{len(unknown)} personal-data store(s) have an unknown location. Terraform "
            "variables without a default can be given under `variables:` in the config."
        )
    return tuple(hints)


MAX_LISTED_WRITES = 5


def unresolved_writes_hint(refs: Sequence[SourceRef]) -> tuple[str, ...]:
    """Writes the scan saw but could not tie to a store: silence would hide a store."""
    if not refs:
        return ()
    lines = [f"  {r.file}:{r.line}  {r.note}" for r in refs[:MAX_LISTED_WRITES]]
    more = len(refs) - MAX_LISTED_WRITES
    if more > 0:
        lines.append(f"  ... and {more} more")
    return (
        f"{len(refs)} write(s) in the code go to a store the scan cannot name, so they are "
        "not in the report; name the bucket/host in a constant, settings or the config's "
        "`endpoints:`/`stores:`:\n" + "\n".join(lines),
    )
