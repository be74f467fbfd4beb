"""Inbound mail: parsing, classification, quote stripping and HTML sanitising.

Pure functions with no database or web framework: the webhook view and the
storage layer build on them.
"""

from campaign.tracking.inbound.automatic import DEFAULT_OOO_SUBJECTS
from campaign.tracking.inbound.classification import Classification
from campaign.tracking.inbound.classify import classify
from campaign.tracking.inbound.message import InboundMessage, InboundParseError
from campaign.tracking.inbound.mime import from_mime
from campaign.tracking.inbound.parse import from_inbound_parse
from campaign.tracking.inbound.quotes import quoted_part, split_quoted, strip_quoted
from campaign.tracking.inbound.sanitize import html_to_text, sanitize_html

__all__ = [
    "DEFAULT_OOO_SUBJECTS",
    "Classification",
    "InboundMessage",
    "InboundParseError",
    "classify",
    "from_inbound_parse",
    "from_mime",
    "html_to_text",
    "quoted_part",
    "sanitize_html",
    "split_quoted",
    "strip_quoted",
]
