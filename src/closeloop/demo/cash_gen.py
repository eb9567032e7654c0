"""Orders for won deals, their lines, payment plans, invoices, payments and allocations.

Customers pay on time, late, in part, or not at all; nothing after ``now`` has happened yet.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from closeloop.demo.deals_gen import DealBatch
from closeloop.demo.leads_gen import DAY
from closeloop.demo.wire import Batch, dates, timestamps

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

PRODUCTS = np.array(
    ["Platform licence", "Implementation services", "Premium support"], dtype=object
)
LINE_SHARES = {1: [1.0], 2: [0.8, 0.2], 3: [0.7, 0.2, 0.1]}
INSTALLMENT_SHARES = {1: [1.0], 2: [0.5, 0.5], 3: [0.4, 0.3, 0.3]}
INSTALLMENT_DUE_DAYS = [30, 120, 210]
METHODS = np.array(["bank_transfer", "alipay", "wechat_pay", "card"], dtype=object)


def _split(
    total: IntArray, parts: IntArray, shares: dict[int, list[float]]
) -> tuple[IntArray, IntArray, IntArray]:
    """Split each total into parts (whole currency units); the first part takes the remainder.

    Returns the owner index of each part, its position, and its amount in minor units.
    """
    owner = np.repeat(np.arange(len(total)), parts)
    position = np.arange(len(owner)) - np.repeat(np.cumsum(parts) - parts, parts)
    share_table = np.zeros((4, 3))
    for count, values in shares.items():
        share_table[count, : len(values)] = values
    share = share_table[parts[owner], position]
    amount = (np.floor(total[owner] * share / 100) * 100).astype(np.int64)
    first = position == 0
    rest = np.bincount(owner[~first], weights=amount[~first], minlength=len(total)).astype(np.int64)
    amount[first] = total - rest
    return owner, position, amount


def generate_cash(
    rng: np.random.Generator,
    deals: DealBatch,
    *,
    first_ids: dict[str, int],
    now: float,
    currency: str,
) -> dict[str, Batch]:
    """Everything from the signed order to the cash allocated, for the won deals of a batch."""
    w = len(deals.won_opportunity_ids)
    order_ids = np.arange(first_ids["orders"], first_ids["orders"] + w)
    signed = np.minimum(deals.won_at + rng.uniform(0, 2 * DAY, w), now)
    total = deals.won_amount_minor

    line_count = rng.choice([1, 2, 3], w, p=[0.3, 0.4, 0.3])
    line_owner, line_position, line_amount = _split(total, line_count, LINE_SHARES)
    plan_ids = np.arange(first_ids["payment_plans"], first_ids["payment_plans"] + w)
    installment_count = rng.choice([1, 2, 3], w, p=[0.45, 0.35, 0.2])
    inst_owner, inst_position, inst_amount = _split(total, installment_count, INSTALLMENT_SHARES)
    inst_ids = np.arange(first_ids["installments"], first_ids["installments"] + len(inst_owner))
    due = signed[inst_owner] + np.array(INSTALLMENT_DUE_DAYS)[inst_position] * DAY
    issued = due - 30 * DAY
    is_issued = issued <= now

    # Invoices for installments whose issue date has come.
    inv_inst = np.flatnonzero(is_issued)
    inv_ids = np.arange(first_ids["invoices"], first_ids["invoices"] + len(inv_inst))
    inv_order = inst_owner[inv_inst]
    inv_amount = inst_amount[inv_inst]
    inv_due = due[inv_inst]
    k = len(inv_inst)
    behaviour = rng.choice(4, k, p=[0.72, 0.18, 0.06, 0.04])  # on time, late, partial, never
    first_pay = np.select(
        [behaviour == 0, behaviour == 1, behaviour == 2],
        [
            inv_due - rng.uniform(0, 10 * DAY, k),
            inv_due + rng.lognormal(np.log(25 * DAY), 0.6, k),
            inv_due + rng.uniform(0, 10 * DAY, k),
        ],
        np.nan,
    )
    first_pay = np.maximum(first_pay, issued[inv_inst])
    first_amount = np.where(behaviour == 2, (inv_amount // 200) * 100, inv_amount)
    second_pay = np.where(
        (behaviour == 2) & (rng.random(k) < 0.5),
        inv_due + (60 + rng.uniform(0, 30, k)) * DAY,
        np.nan,
    )
    pay_invoice = np.concatenate([np.arange(k), np.arange(k)])
    pay_at = np.concatenate([first_pay, second_pay])
    pay_amount = np.concatenate([first_amount, inv_amount - first_amount])
    happened = np.isfinite(pay_at) & (pay_at <= now) & (pay_amount > 0)
    pay_invoice, pay_at, pay_amount = pay_invoice[happened], pay_at[happened], pay_amount[happened]
    p = len(pay_invoice)
    payment_ids = np.arange(first_ids["payments"], first_ids["payments"] + p)
    allocated = np.bincount(pay_invoice, weights=pay_amount, minlength=k).astype(np.int64)
    fully_paid = allocated == inv_amount
    last_payment = np.full(k, -np.inf)
    np.maximum.at(last_payment, pay_invoice, pay_at)

    # Order milestones: first invoice issued; paid in full once every installment is paid.
    issued_dt = issued[inv_inst]
    first_invoiced = np.full(w, np.inf)
    np.minimum.at(first_invoiced, inv_order, issued_dt)
    paid_installments = np.bincount(inv_order[fully_paid], minlength=w)
    order_paid = paid_installments == installment_count
    paid_at = np.full(w, -np.inf)
    np.maximum.at(paid_at, inv_order, last_payment)
    invoiced_at = np.where(np.isfinite(first_invoiced), first_invoiced, np.nan)
    paid_at = np.where(order_paid, paid_at, np.nan)

    signed_text = timestamps(signed)

    def cur(n: int) -> npt.NDArray[np.object_]:
        return np.full(n, currency, dtype=object)

    pay_text = timestamps(pay_at)
    return {
        "orders": {
            "id": order_ids,
            "number": np.array([f"SO-{i:07d}" for i in order_ids.tolist()], dtype=object),
            "opportunity_id": deals.won_opportunity_ids,
            "account_id": deals.won_account_ids,
            "signed_at": signed_text,
            "amount_minor": total,
            "currency": cur(w),
            "status": np.full(w, "active", dtype=object),
            "invoiced_at": timestamps(invoiced_at),
            "paid_at": timestamps(paid_at),
            "created_at": signed_text,
            "updated_at": timestamps(np.fmax(signed, np.fmax(invoiced_at, paid_at))),
        },
        "order_lines": {
            "order_id": order_ids[line_owner],
            "product": PRODUCTS[line_position],
            "quantity": np.ones(len(line_owner), dtype=np.int64),
            "unit_price_minor": line_amount,
            "amount_minor": line_amount,
            "created_at": signed_text[line_owner],
            "updated_at": signed_text[line_owner],
        },
        "payment_plans": {
            "id": plan_ids,
            "order_id": order_ids,
            "name": np.array(
                [f"{c} installment(s)" for c in installment_count.tolist()], dtype=object
            ),
            "created_at": signed_text,
            "updated_at": signed_text,
        },
        "installments": {
            "id": inst_ids,
            "plan_id": plan_ids[inst_owner],
            "sequence": inst_position + 1,
            "due_on": dates(due),
            "amount_minor": inst_amount,
            "currency": cur(len(inst_ids)),
            "created_at": signed_text[inst_owner],
            "updated_at": signed_text[inst_owner],
        },
        "invoices": {
            "id": inv_ids,
            "number": np.array([f"INV-{i:07d}" for i in inv_ids.tolist()], dtype=object),
            "order_id": order_ids[inv_order],
            "installment_id": inst_ids[inv_inst],
            "issued_on": dates(issued_dt),
            "due_on": dates(inv_due),
            "amount_minor": inv_amount,
            "currency": cur(k),
            "status": np.where(fully_paid, "paid", "open").astype(object),
            "created_at": timestamps(issued_dt),
            "updated_at": timestamps(np.where(fully_paid, last_payment, issued_dt)),
        },
        "payments": {
            "id": payment_ids,
            "account_id": deals.won_account_ids[inv_order[pay_invoice]],
            "received_at": pay_text,
            "amount_minor": pay_amount,
            "currency": cur(p),
            "method": METHODS[rng.integers(0, len(METHODS), p)],
            "reference": np.array([f"PAY-{i:07d}" for i in payment_ids.tolist()], dtype=object),
            "created_at": pay_text,
            "updated_at": pay_text,
        },
        "allocations": {
            "payment_id": payment_ids,
            "invoice_id": inv_ids[pay_invoice],
            "amount_minor": pay_amount,
            "allocated_at": pay_text,
            "created_at": pay_text,
            "updated_at": pay_text,
        },
    }
