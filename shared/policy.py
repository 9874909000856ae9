"""What the operator decided about watching: which jobs to leave out, and how loud each finding is.
Pure. No I/O. Built from settings; a tick only reads it."""

from __future__ import annotations

from dataclasses import dataclass

from shared.attention import NoiseSettings
from shared.model import Job
from shared.rules import RuleSettings


@dataclass(frozen=True)
class Exclusions:
    """Test or retired apps left out entirely: not kept in the snapshot, no events, no cards."""

    service_principal_ids: frozenset[str] = frozenset()  # lower case
    template_ids: frozenset[str] = frozenset()

    def excludes(self, job: Job) -> bool:
        return job.service_principal.id.lower() in self.service_principal_ids or job.template_id in self.template_ids


@dataclass(frozen=True)
class Policy:
    exclusions: Exclusions = Exclusions()
    rules: RuleSettings = RuleSettings()
    noise: NoiseSettings = NoiseSettings()
