"""The ORM classes; importing this package registers every table."""

from closeloop.models.account import Account, Contact, Tag, account_tags, contact_tags
from closeloop.models.capture import ApiKey, IdempotencyKey, ImportBatch, LeadMerge, LeadReject
from closeloop.models.invoice import Invoice, InvoiceAdjustment
from closeloop.models.lead import (
    INVALID_REASONS,
    DisqualifyReason,
    Lead,
    LeadStatus,
    LeadStatusChange,
)
from closeloop.models.marketing import Campaign, Channel, Content, SpendEntry
from closeloop.models.opportunity import (
    Opportunity,
    OpportunityStageChange,
    Pipeline,
    Stage,
    StageOutcome,
)
from closeloop.models.order import Installment, Order, OrderLine, PaymentPlan
from closeloop.models.payment import Allocation, Payment
from closeloop.models.target import Target
from closeloop.models.touch import Touch
from closeloop.models.user import Role, Team, User

__all__ = [
    "INVALID_REASONS",
    "Account",
    "Allocation",
    "ApiKey",
    "Campaign",
    "Channel",
    "Contact",
    "Content",
    "DisqualifyReason",
    "IdempotencyKey",
    "ImportBatch",
    "Installment",
    "Invoice",
    "InvoiceAdjustment",
    "Lead",
    "LeadMerge",
    "LeadReject",
    "LeadStatus",
    "LeadStatusChange",
    "Opportunity",
    "OpportunityStageChange",
    "Order",
    "OrderLine",
    "Payment",
    "PaymentPlan",
    "Pipeline",
    "Role",
    "SpendEntry",
    "Stage",
    "StageOutcome",
    "Tag",
    "Target",
    "Team",
    "Touch",
    "User",
    "account_tags",
    "contact_tags",
]
