"""``GET /billing/products``: the active products and their server-side prices (public)."""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response, jsonify

from billing.services.catalog import CatalogService

from ..container import Container
from .catalog_responses import product_list

blueprint = Blueprint("billing_catalog", __name__)


@blueprint.get("/products")
@inject
def products(catalog: CatalogService = Provide[Container.catalog]) -> Response:
    return jsonify(product_list(catalog.products()))
