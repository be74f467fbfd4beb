"""The data model, one module per aggregate."""

from .audit import AuditEntry
from .campaign import Body, Campaign
from .imports import ImportRun, ImportRunBody
from .letter import Letter, LetterEvent, LetterState, Submission, Supporter
from .office import OfficeRequest
from .place import PlaceConstituency
from .representative import Representative
from .security import LoginLink, RecoveryCode, SecuritySetting
from .template import LetterTemplate, TemplateVersion
from .tracking import (
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
from .user import Role, User

__all__ = [
    "AddressFlag",
    "AuditEntry",
    "Body",
    "Campaign",
    "DeliveryEvent",
    "ImportRun",
    "ImportRunBody",
    "Letter",
    "LetterEvent",
    "LetterState",
    "LetterTemplate",
    "LoggedResponse",
    "LoginLink",
    "OfficeRequest",
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
]
