"""What ``genreason leaderboard validate`` concludes (``genreason.validation``, version 1), and its text form."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from genreason.leaderboard.manifest import BundleSuite
from genreason.metrics import Summary
from genreason.types import ComponentSpec

VALIDATION_FORMAT = "genreason.validation"
VALIDATION_VERSION = 1
EXIT_VALID, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2
_SHOWN = 20  # mismatch lines printed; the JSON report has all of them
_HEADLINE = ("success", "pass_at_k", "seed", "sha256", "prompt")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Check(_Model):
    """One step of the validation: ``pass``, ``fail`` or ``skip`` (could not or need not run)."""

    name: str
    status: Literal["pass", "fail", "skip"]
    message: str


class Mismatch(_Model):
    """A claim that does not reproduce: which sample (None for suite- or summary-level claims), what, both values."""

    sample_id: str | None
    what: str
    claimed: Any = None
    found: Any = None


class ValidationReport(_Model):
    """The validation of one bundle.

    ``status`` is ``valid`` (every check passed), ``invalid`` (a check failed:
    tampered, unsafe or not reproducing) or ``unreadable`` (not a zip, or not a
    bundle this genreason reads). ``reverified`` is true when every video was
    in the bundle and re-judged, so ``summary`` holds recomputed scores; false
    means the scores are the submitter's claim. ``validator`` is the genreason
    version that validated (a cached report is reused only for the same one).
    """

    format: Literal["genreason.validation"] = VALIDATION_FORMAT
    version: int = VALIDATION_VERSION
    bundle: str
    bundle_sha256: str | None = None
    validator: str
    status: Literal["valid", "invalid", "unreadable"]
    reverified: bool = False
    partial: bool = False
    model: ComponentSpec | None = None
    suite: BundleSuite | None = None
    samples: int | None = None
    checks: list[Check] = Field(default_factory=list)
    mismatches: list[Mismatch] = Field(default_factory=list)
    summary: Summary | None = None

    @property
    def exit_code(self) -> int:
        return {"valid": EXIT_VALID, "invalid": EXIT_INVALID, "unreadable": EXIT_UNREADABLE}[self.status]

    def reasons(self) -> list[str]:
        """The failed checks, one line each (why a leaderboard rejects the bundle)."""
        return [f"{c.name}: {c.message}" for c in self.checks if c.status == "fail"]


def format_report(report: ValidationReport) -> str:
    """The human-readable list of checks, mismatches and the conclusion."""
    lines = [f"bundle: {report.bundle}" + (f" (sha256 {report.bundle_sha256[:16]}...)" if report.bundle_sha256 else "")]
    if report.model is not None and report.suite is not None:
        args = ", ".join(f"{k}={v}" for k, v in report.model.args.items())
        lines.append(f"model: {report.model.name}({args})  suite: {report.suite.name} version "
                     f"{report.suite.version}, {report.suite.n_puzzles} puzzles x {report.samples} samples")
    lines += [f"[{check.status}] {check.name}: {check.message}" for check in report.checks]
    # Success and pass@k first: they decide a ranking; the metrics that moved with them follow.
    shown = sorted(report.mismatches, key=lambda m: not any(key in m.what for key in _HEADLINE))
    for m in shown[:_SHOWN]:
        where = m.sample_id or "bundle"
        lines.append(f"  does not reproduce: {where}: {m.what}: claimed {_short(m.claimed)}, found {_short(m.found)}")
    if len(report.mismatches) > _SHOWN:
        lines.append(f"  ... and {len(report.mismatches) - _SHOWN} more (see --json)")
    if report.status == "valid":
        how = "re-verified" if report.reverified else "NOT re-verified: no videos, scores taken as claimed"
        score = ""
        if report.summary is not None and report.summary.overall is not None and report.summary.overall.pass_at_k:
            score = f": pass@1 {report.summary.overall.pass_at_k[0]:.3f}"
        lines.append(f"VALID ({how}){score}")
    else:
        failures = sum(check.status == "fail" for check in report.checks)
        lines.append(f"{report.status.upper()}: {failures} check(s) failed")
    return "\n".join(lines)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
