"""Claim registry and the evidence a check collects (no mathematics here)."""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field

STATUSES = ("verified", "discrepancy", "unproved", "crashed")

#: Placeholder a discrepancy leaves for the empirical side (simulator tests).
SIMULATOR_PENDING = "simulator_support: PENDING (checked by the empirical tests, not here)"


@dataclass
class Evidence:
    """What a check found: failed requirements make a claim ``unproved``."""

    lines: list = field(default_factory=list)
    failures: list = field(default_factory=list)
    discrepancies: list = field(default_factory=list)

    def note(self, text):
        """Record a derivation step or a number."""
        self.lines.append(text)

    def require(self, condition, text):
        """A step of the derivation or a numeric cross-check that must hold."""
        if bool(condition):
            self.lines.append(f"ok: {text}")
        else:
            self.failures.append(text)
            self.lines.append(f"FAILED: {text}")
        return bool(condition)

    def differs(self, published, derived, evidence, simulator=None):
        """Record that the published form disagrees with the derivation.

        ``simulator`` says which form the simulator (Algorithm 3 as implemented in
        ``linparity.ntp``) supports, with its numbers.
        """
        support = f"simulator_support: {simulator}" if simulator else SIMULATOR_PENDING
        self.discrepancies.append(f"published: {published} | derived: {derived} | evidence: {evidence} | {support}")

    def status(self):
        if self.failures:
            return "unproved"
        if self.discrepancies:
            return "discrepancy"
        return "verified"

    def detail(self):
        parts = [f"DISCREPANCY {d}" for d in self.discrepancies]
        if self.failures:
            parts.append("not established: " + "; ".join(self.failures))
        parts.extend(self.lines)
        return " || ".join(parts)


@dataclass(frozen=True)
class Claim:
    id: str
    statement: str
    method: str
    check: callable


CLAIMS: list = []


def claim(claim_id, statement, method):
    """Register ``check(ev: Evidence) -> None`` as the check of one docs/theory.md claim."""

    def register(func):
        if any(c.id == claim_id for c in CLAIMS):
            raise ValueError(f"duplicate claim id {claim_id}")
        CLAIMS.append(Claim(claim_id, statement, method, func))
        return func

    return register


def run_claim(c):
    """Run one check; a crash is caught and reported, never propagated."""
    ev = Evidence()
    try:
        c.check(ev)
    except Exception as exc:  # noqa: BLE001 - one broken check must not stop the rest
        tb = traceback.format_exc(limit=3).strip().replace("\n", " / ")
        return {
            "id": c.id,
            "statement": c.statement,
            "status": "crashed",
            "method": c.method,
            "detail": f"check crashed: {exc!r} ({tb})",
        }
    return {"id": c.id, "statement": c.statement, "status": ev.status(), "method": c.method, "detail": ev.detail()}
