"""The bulletin's letterhead and wording from the [bulletin] settings: issuer, 文号, 主送机关, opening, closing and
signature, with {city}, {issuer}, {year} and {month} filled in (pure; the settings check the placeholders)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Letterhead:
    issuer: str  # 发文机关
    issue_no: str  # 文号
    recipients: str  # 主送机关
    opening: str  # "……现将……通报如下："
    closing: str
    signature: str  # 落款


def letterhead(cfg: Any, month: str, *, issuer: str | None = None, issue_no: str | None = None) -> Letterhead:
    """The letterhead of ``month`` ('YYYY-MM') from the [bulletin] section; ``issuer`` / ``issue_no`` given by a
    caller replace the configured ones."""
    year, mon = (int(p) for p in month.split("-"))
    values = {"city": cfg.city, "year": year, "month": mon}
    values["issuer"] = issuer or cfg.issuer.format_map(values)

    def fill(text: str) -> str:
        return text.format_map(values)

    return Letterhead(issuer=values["issuer"], issue_no=issue_no or fill(cfg.issue_no_pattern),
                      recipients=fill(cfg.recipients), opening=fill(cfg.opening), closing=fill(cfg.closing),
                      signature=fill(cfg.signature))
