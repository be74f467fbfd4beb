"""The data model, one module per aggregate."""

from .campaign import Body, Campaign
from .letter import Letter, LetterEvent, LetterState, Submission, Supporter
from .representative import Representative
from .template import LetterTemplate, TemplateVersion
from .user import Role, User

__all__ = [
    "Body",
    "Campaign",
    "Letter",
    "LetterEvent",
    "LetterState",
    "LetterTemplate",
    "Representative",
    "Role",
    "Submission",
    "Supporter",
    "TemplateVersion",
    "User",
]
