"""Classification of the kinds of message a hand-written rule set gets wrong,
each written here in the public format of its kind (tests/data/mail_samples):

- RFC 3464 delivery-status reports (a permanent failure, a delay);
- a Japanese mobile carrier's notices: au by KDDI's plain-text "Could not be
  delivered to" from a no-reply sender, au EZweb's "Mail System Error";
- a plain-text bounce that Mailman's detectors (flufl.bounce) know: an Exchange
  5.5 non-delivery report from "System Administrator", no DSN, no null sender;
- challenge-response requests: TMDA (its X-Delivery-Agent and confirm address),
  Boxbe's "Guest List";
- a person's reply that a forwarding hop marked ``Precedence: bulk``.
"""

from __future__ import annotations

import email
import json
import re
from email.utils import parseaddr
from pathlib import Path

import pytest

from campaign.tracking.inbound import classify, from_inbound_parse, from_mime

SAMPLES = Path(__file__).resolve().parent / "data" / "mail_samples"

# file -> (kind, bounce)
EXPECTED = {
    "rfc3464_dsn_hard.eml": ("bounce", "hard"),
    "rfc3464_dsn_delayed.eml": ("bounce", "soft"),
    "kddi_au_mailbox_full.eml": ("bounce", "soft"),
    "ezweb_account_disabled.eml": ("bounce", "hard"),
    "exchange55_ndr_hard.eml": ("bounce", "hard"),
    "tmda_challenge.eml": ("automatic", ""),
    "boxbe_guest_list.eml": ("automatic", ""),
    "human_precedence_bulk_forwarded.eml": ("human", ""),
}


def test_every_sample_is_expected():
    assert sorted(p.name for p in SAMPLES.glob("*.eml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_classification(name):
    result = classify(from_mime((SAMPLES / name).read_bytes()))
    assert (result.kind, result.bounce) == EXPECTED[name], result.reason


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if not n.startswith("rfc3464")))
def test_sample_classification_in_parsed_mode(name):
    """SendGrid's parsed mode gives headers and text, not the message: the same verdict."""
    raw = (SAMPLES / name).read_bytes()
    headers, text = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)
    message = email.message_from_bytes(raw)
    form = {
        "headers": headers.decode(),
        "text": text.decode(),
        "from": message["From"],
        "to": message["To"],
        "subject": message["Subject"],
        "envelope": json.dumps(
            {"to": ["reply+x@reply.campaign.example.org"], "from": parseaddr(message["From"])[1]}
        ),
    }
    result = classify(from_inbound_parse(form))
    assert (result.kind, result.bounce) == EXPECTED[name], result.reason


def test_mailmans_detectors_are_named_as_the_evidence():
    result = classify(from_mime((SAMPLES / "exchange55_ndr_hard.eml").read_bytes()))
    assert result.reason.startswith("Mailman's bounce detectors")


def test_a_persons_reply_quoting_a_bounce_is_still_a_reply():
    """Mailman's detectors read any text; a reply that quotes a bounce is a reply."""
    raw = (
        b"From: Anna Member <anna@parliament.example.org>\n"
        b"To: reply+x@reply.campaign.example.org\n"
        b"Subject: Re: The time for release is now\n"
        b"In-Reply-To: <letter-1@campaign.example.org>\n"
        b"\n"
        b"My assistant's address bounced your letter; I have it now, and I agree.\n\n"
        b"> Your message\n"
        b">\n"
        b"> did not reach the following recipient(s):\n"
        b">\n"
        b"> assistant@parliament.example.org on Tue, 3 Mar 2026 10:01:10 +0100\n"
        b">     MSEXCH:IMS:Example 0 (000C05A6) Unknown Recipient\n"
    )
    result = classify(from_mime(raw))
    assert result.kind == "human", result.reason


def test_precedence_bulk_without_a_reply_is_still_automatic():
    raw = (
        b"From: office@parliament.example.org\n"
        b"To: reply+x@reply.campaign.example.org\n"
        b"Subject: Thank you for your e-mail\n"
        b"Precedence: bulk\n"
        b"\n"
        b"Your message has been received and will be dealt with in due course.\n"
    )
    result = classify(from_mime(raw))
    assert result.kind == "automatic", result.reason
