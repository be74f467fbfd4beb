"""The data model, one module per aggregate."""

from .campaign import Body, Campaign
from .letter import Letter, LetterEvent, LetterState, Submission, Supporter
from .representative import Representative
from .template import LetterTemplate, TemplateVersion

__all__ = [
    "Body",
    "Campaign",
    "Letter",
    "LetterEvent",
    "LetterState",
    "LetterTemplate",
    "Representative",
    "Submission",
    "Supporter",
    "TemplateVersion",
]
