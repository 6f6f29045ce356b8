"""The sandbox's hosted payment page in the pages' locale: with ``BILLING_INVOICE_LOCALE=fr``
it speaks French, amounts as French writes them, and its refusals too."""

from __future__ import annotations

from collections.abc import Iterator

import attrs
import pytest
from dependency_injector import providers
from flask.testing import FlaskClient

from billing.adapters.memory import MemoryUnitOfWorkFactory
from billing.domain.catalog import Product
from billing.domain.money import Money
from billing.entrypoints.container import build_container
from billing.entrypoints.flask_app import create_app

from .test_sandbox_http import CART, SETTINGS, hidden_fields, page


@pytest.fixture
def client() -> Iterator[FlaskClient]:
    container = build_container(attrs.evolve(SETTINGS, invoice_locale="fr"))
    container.uow_factory.override(providers.Singleton(MemoryUnitOfWorkFactory))
    with container.uow_factory()() as uow:
        uow.catalog.put(Product("book", "Un livre", Money(1250, "EUR")))
        uow.commit()
    yield create_app(container=container).test_client()
    container.unwire()


def _hosted_page(client: FlaskClient) -> str:
    answer = client.post("/billing/checkout/", json={**CART, "mode": "checkout_session"})
    assert answer.status_code == 201, answer.json
    assert answer.json is not None
    return page(answer.json["payment"]["checkout_url"])


def test_the_hosted_page_is_in_french(client: FlaskClient) -> None:
    shown = client.get(_hosted_page(client))

    assert shown.status_code == 200
    assert '<html lang="fr">' in shown.text
    assert "<h1>Payer 25,00\N{NO-BREAK SPACE}€</h1>" in shown.text  # 2 x 12,50 €
    assert "Numéro de carte" in shown.text
    assert ">En attente de paiement<" in shown.text
    assert "aucun paiement réel" in shown.text
    assert "Pay " not in shown.text


def test_a_refused_form_is_explained_in_french(client: FlaskClient) -> None:
    url = _hosted_page(client)
    fields = hidden_fields(client.get(url).text)

    forged = client.post(url, data={**fields, "page_token": "0" * 64, "card": "4242424242424242"})

    assert forged.status_code == 403
    assert "<h1>Paiement refusé</h1>" in forged.text
    assert "son jeton manque ou est erroné" in forged.text
