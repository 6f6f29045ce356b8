"""What operators ask about disputes: which are open, and by when evidence is due."""

from __future__ import annotations

import attrs

from billing.domain.dispute import Dispute
from billing.ports.unit_of_work import UnitOfWorkFactory


@attrs.frozen
class DisputeService:
    _uow_factory: UnitOfWorkFactory

    def list(self, open_only: bool = False, limit: int = 100) -> list[Dispute]:
        """Disputes, the soonest evidence due date first (open ones only, if asked)."""
        with self._uow_factory() as uow:
            return uow.disputes.list(open_only, limit)

    def open_count(self) -> int:
        with self._uow_factory() as uow:
            return uow.disputes.count_open()
