"""A logged-in user's customer at the provider: created once, kept in its ``CustomerProfile``.

The provider is asked under the key ``cus:{user_id}``, so two first checkouts of one user at the
same moment (or a crash before the id was stored) get the same customer back; the id is then
kept in ``CustomerProfile.provider_customer_id`` and the provider is not asked again. Every
PaymentIntent and Checkout Session of that user is attached to it: the provider's dashboard,
receipts and saved cards see one customer, not one email per payment.
"""

from __future__ import annotations

import attrs

from billing.domain.customer import CustomerProfile
from billing.domain.errors import DuplicateRecord
from billing.ports.clock import Clock, IdGenerator
from billing.ports.payments import PaymentProvider
from billing.ports.unit_of_work import UnitOfWorkFactory
from billing.retry import retry_on_conflict


def customer_key(user_id: str) -> str:
    return f"cus:{user_id}"


@attrs.frozen
class ProviderCustomers:
    _uow_factory: UnitOfWorkFactory
    _provider: PaymentProvider
    _clock: Clock
    _ids: IdGenerator

    def customer_id(self, user_id: str, email: str | None) -> str:
        """The user's customer at the provider, created (once) if it has none yet."""
        with self._uow_factory() as uow:
            profile = uow.customers.find_by_user(user_id)
        if profile is not None and profile.provider_customer_id is not None:
            return profile.provider_customer_id
        created = self._provider.create_customer(user_id, email, customer_key(user_id))
        try:
            self._keep(user_id, email, created)
        except DuplicateRecord:  # a concurrent first checkout added the profile meanwhile
            self._keep(user_id, email, created)
        return created

    @retry_on_conflict
    def _keep(self, user_id: str, email: str | None, customer_id: str) -> None:
        with self._uow_factory() as uow:
            profile = uow.customers.find_by_user(user_id)
            if profile is None:
                uow.customers.add(
                    CustomerProfile(
                        self._ids.new_id("cus"),
                        self._clock.now(),
                        user_id=user_id,
                        email=email,
                        provider_customer_id=customer_id,
                    )
                )
            elif profile.provider_customer_id is None:
                profile.provider_customer_id = customer_id
                uow.customers.save(profile)
            uow.commit()
