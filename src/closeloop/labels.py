"""What the product's own codes are called on a page (statuses, kinds of touch, SLA clocks,
payment methods): marked for translation here, translated where shown. A code not listed shows
as it is, underscores as spaces."""

from __future__ import annotations

from collections.abc import Callable

from closeloop.i18n import N_
from closeloop.models import LeadStatus

LEAD_STATUS_LABELS = {
    LeadStatus.NEW.value: N_("new"),
    LeadStatus.WORKING.value: N_("working"),
    LeadStatus.MQL.value: N_("mql"),
    LeadStatus.SAL.value: N_("sal"),
    LeadStatus.SQL.value: N_("sql"),
    LeadStatus.NURTURE.value: N_("nurture"),
    LeadStatus.POOL.value: N_("pool"),
    LeadStatus.DISQUALIFIED.value: N_("disqualified"),
    LeadStatus.MERGED.value: N_("merged"),
}
TOUCH_KIND_LABELS = {
    "ad_click": N_("ad click"),
    "visit": N_("site visit"),
    "email_click": N_("e-mail click"),
    "webinar_attended": N_("webinar attended"),
    "trade_show_visit": N_("trade show visit"),
    "referral": N_("referral"),
    "partner_referral": N_("partner referral"),
    "content_download": N_("content download"),
    "form_fill": N_("form filled in"),
    "list_import": N_("list import"),
    "meeting": N_("meeting"),
    "call": N_("call"),
}
SLA_KIND_LABELS = {
    "first_contact": N_("first contact"),
    "accept": N_("accept or return"),
    "follow_up": N_("follow-up"),
}
PAYMENT_METHOD_LABELS = {
    "bank_transfer": N_("bank transfer"),
    "alipay": N_("Alipay"),
    "wechat_pay": N_("WeChat Pay"),
    "card": N_("card"),
}


def label(labels: dict[str, str], code: str | None, gettext: Callable[[str], str]) -> str:
    """The code's name in the user's language (``—`` for none)."""
    if not code:
        return "—"
    known = labels.get(code)
    return gettext(known) if known else code.replace("_", " ")
