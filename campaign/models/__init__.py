"""The data model, one module per aggregate."""

from campaign.models.audit import AuditEntry
from campaign.models.campaign import Body, Campaign
from campaign.models.imports import ImportRun, ImportRunBody
from campaign.models.letter import (
    Digest,
    Letter,
    LetterEvent,
    LetterState,
    Submission,
    Supporter,
)
from campaign.models.office import OfficeRequest
from campaign.models.own_words import OwnWordsSettings, ParagraphSignature
from campaign.models.partner import (
    Partner,
    PartnerApiToken,
    PartnerConsent,
    WebhookDelivery,
    WebhookEndpoint,
    campaign_partner,
)
from campaign.models.place import PlaceConstituency
from campaign.models.representative import Representative
from campaign.models.security import LoginLink, RecoveryCode, SecuritySetting
from campaign.models.template import LetterTemplate, TemplateVersion
from campaign.models.tracking import (
    AddressFlag,
    DeliveryEvent,
    LoggedResponse,
    Reply,
    ResponseDelay,
    ResponseRollup,
    ResponseSummary,
    RollupPending,
    SurveyAnswer,
    SurveyInvitation,
)
from campaign.models.user import Role, User

__all__ = [
    "AddressFlag",
    "AuditEntry",
    "Body",
    "Campaign",
    "DeliveryEvent",
    "Digest",
    "ImportRun",
    "ImportRunBody",
    "Letter",
    "LetterEvent",
    "LetterState",
    "LetterTemplate",
    "LoggedResponse",
    "LoginLink",
    "OfficeRequest",
    "OwnWordsSettings",
    "ParagraphSignature",
    "Partner",
    "PartnerApiToken",
    "PartnerConsent",
    "PlaceConstituency",
    "RecoveryCode",
    "Reply",
    "Representative",
    "ResponseDelay",
    "ResponseRollup",
    "ResponseSummary",
    "Role",
    "RollupPending",
    "SecuritySetting",
    "Submission",
    "Supporter",
    "SurveyAnswer",
    "SurveyInvitation",
    "TemplateVersion",
    "User",
    "WebhookDelivery",
    "WebhookEndpoint",
    "campaign_partner",
]
