"""The data model, one module per aggregate."""

from .audit import AuditEntry
from .campaign import Body, Campaign
from .imports import ImportRun, ImportRunBody
from .letter import Letter, LetterEvent, LetterState, Submission, Supporter
from .place import PlaceConstituency
from .representative import Representative
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
    "PlaceConstituency",
    "Reply",
    "Representative",
    "ResponseDelay",
    "ResponseRollup",
    "ResponseSummary",
    "Role",
    "RollupPending",
    "Submission",
    "Supporter",
    "SurveyAnswer",
    "SurveyInvitation",
    "TemplateVersion",
    "User",
]
