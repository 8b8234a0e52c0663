from __future__ import annotations

from src.core.data.pagination import Page
from src.features.admin.read_model import AuditEntry

__all__ = ("AuditLogPage",)


class AuditLogPage(Page[AuditEntry], frozen=True):
    """A page of the audit log, newest first (`data` restated: OpenAPI does not resolve a generic base)."""

    data: list[AuditEntry]
