"""The ORM classes; importing this package registers every table."""

from closeloop.models.account import (
    Account,
    Contact,
    Tag,
    account_tags,
    contact_tags,
    lead_tags,
)
from closeloop.models.audit import AuditEntry, InstanceSetting
from closeloop.models.capture import ApiKey, IdempotencyKey, ImportBatch, LeadMerge, LeadReject
from closeloop.models.invoice import Invoice, InvoiceAdjustment
from closeloop.models.lead import (
    INVALID_REASONS,
    DisqualifyReason,
    Lead,
    LeadDecision,
    LeadSlaStep,
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
from closeloop.models.outbox import EventDelivery, OutboxEvent, WebhookSubscription
from closeloop.models.payment import Allocation, Payment
from closeloop.models.rules import RoutingCursor, RuleSet, ScoringModel
from closeloop.models.target import Target
from closeloop.models.touch import Touch
from closeloop.models.user import ApiToken, Role, Team, User

__all__ = [
    "INVALID_REASONS",
    "Account",
    "Allocation",
    "ApiKey",
    "ApiToken",
    "AuditEntry",
    "Campaign",
    "Channel",
    "Contact",
    "Content",
    "DisqualifyReason",
    "EventDelivery",
    "IdempotencyKey",
    "ImportBatch",
    "Installment",
    "InstanceSetting",
    "Invoice",
    "InvoiceAdjustment",
    "Lead",
    "LeadDecision",
    "LeadMerge",
    "LeadReject",
    "LeadSlaStep",
    "LeadStatus",
    "LeadStatusChange",
    "Opportunity",
    "OpportunityStageChange",
    "Order",
    "OrderLine",
    "OutboxEvent",
    "Payment",
    "PaymentPlan",
    "Pipeline",
    "Role",
    "RoutingCursor",
    "RuleSet",
    "ScoringModel",
    "SpendEntry",
    "Stage",
    "StageOutcome",
    "Tag",
    "Target",
    "Team",
    "Touch",
    "User",
    "WebhookSubscription",
    "account_tags",
    "contact_tags",
    "lead_tags",
]
