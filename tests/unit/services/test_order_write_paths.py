"""Every path of the services that writes an order locks it (or adds it) first.

The unit of work refuses ``orders.save`` of an order neither added nor locked in it (the
contract suite proves it for memory, SQLite and PostgreSQL), so every service test on the
memory adapter already fails on an unlocked write it runs. This scan covers the paths no test
runs: it reads the services' source and lists each function that calls ``….orders.save(`` or
``….orders.add(``; one that saves must call ``lock_order(`` or ``orders.add(`` itself or through
a function of its module that it calls (``self._apply`` → ``_locked_order`` → ``lock_order``).
A new write path that forgets the lock fails here before it ships.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import attrs

import billing.services

SERVICES = Path(billing.services.__file__).parent


@attrs.frozen
class Function:
    name: str  # ``module.Class.method`` or ``module.function``
    saves: bool
    adds: bool
    locks: bool
    calls: frozenset[str]  # names of what it calls: ``f(…)``, ``self.f(…)``, ``x.f(…)``


def _order_call(call: ast.Call, method: str) -> bool:
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr == method
        and isinstance(func.value, ast.Attribute)
        and func.value.attr == "orders"
    )


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _function(qualified: str, node: ast.FunctionDef | ast.AsyncFunctionDef) -> Function:
    calls = [n for n in ast.walk(node) if isinstance(n, ast.Call)]
    return Function(
        name=qualified,
        saves=any(_order_call(c, "save") for c in calls),
        adds=any(_order_call(c, "add") for c in calls),
        locks=any(_called_name(c) == "lock_order" for c in calls),
        calls=frozenset(name for c in calls if (name := _called_name(c)) is not None),
    )


def functions_of(module: str, source: str) -> list[Function]:
    """The module's functions and methods (a nested function counts in the one holding it)."""
    found = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.append(_function(f"{module}.{node.name}", node))
        elif isinstance(node, ast.ClassDef):
            for member in node.body:
                if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef):
                    found.append(_function(f"{module}.{node.name}.{member.name}", member))
    return found


def unlocked_saves(module: str, source: str) -> list[str]:
    """The functions of a module that save an order without locking or adding one first."""
    functions = functions_of(module, source)
    by_name: dict[str, list[Function]] = {}
    for function in functions:
        by_name.setdefault(function.name.rsplit(".", 1)[-1], []).append(function)

    def locks(function: Function, seen: frozenset[str]) -> bool:
        if function.locks or function.adds:
            return True
        callees = [f for name in function.calls - seen for f in by_name.get(name, [])]
        return any(locks(f, seen | {f.name.rsplit(".", 1)[-1]}) for f in callees)

    return [f.name for f in functions if f.saves and not locks(f, frozenset())]


def _services() -> dict[str, str]:
    return {path.stem: path.read_text() for path in sorted(SERVICES.glob("*.py"))}


def test_every_service_path_that_saves_an_order_locks_it_first() -> None:
    unlocked = [
        name for module, source in _services().items() for name in unlocked_saves(module, source)
    ]

    assert unlocked == []


def test_the_scan_sees_the_write_paths_of_the_services() -> None:
    found = [f for module, source in _services().items() for f in functions_of(module, source)]
    saving = {f.name for f in found if f.saves}
    adding = {f.name for f in found if f.adds}

    assert {
        "payments.PaymentService._record_payment",
        "orders.OrderService._cancel_locked",
        "refunds.RefundService._record",
        "webhooks.WebhookService._process_once",
        "entitlements.EntitlementService.merge_guest",
    } <= saving
    assert {"checkout.CheckoutService._order", "orders.OrderService.create_order"} <= adding


UNLOCKED_MERGE = """
class EntitlementService:
    def merge_guest(self, email, user_id):
        with self._uow_factory() as uow:
            for order in uow.orders.list_for_guest(email):
                order.customer = merged_customer(order.customer, user_id)
                uow.orders.save(order)
            uow.commit()
"""

LOCKED_THROUGH_A_HELPER = """
def _locked(uow, order_id):
    return uow.lock_order(order_id)

class Service:
    def _apply(self, uow, order_id):
        return _locked(uow, order_id)

    def process(self, order_id):
        with self._uow_factory() as uow:
            order = self._apply(uow, order_id)
            uow.orders.save(order)
"""


def test_the_scan_flags_an_unlocked_save_and_follows_helpers_that_lock() -> None:
    assert unlocked_saves("entitlements", textwrap.dedent(UNLOCKED_MERGE)) == [
        "entitlements.EntitlementService.merge_guest"
    ]
    assert unlocked_saves("webhooks", textwrap.dedent(LOCKED_THROUGH_A_HELPER)) == []
