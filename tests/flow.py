"""The supporter's path through the web app, step by step, as a browser without
JavaScript would walk it. Shared by tests that need letters in a given state."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from pathlib import Path

from campaign.core.extensions import db
from campaign.models import Representative

from .conftest import csrf_token


@dataclass
class Details:
    name: str = "Maryja Kowalska"
    email: str = "maryja@example.org"
    city: str = "Vilnius"
    personal_paragraph: str = "My cousin has been held since 2021."
    consent: bool = True
    # Where the supporter says they live: a country code, and "body_id:constituency".
    residence: str = ""
    constituency: str = ""
    # The paragraph above is English: kept as written in letters in other languages.
    keep_language: bool = True
    name_latin: str = ""
    place: str = ""

    def form(self, token: str, rep_ids: list[int], action: str = "send") -> dict:
        data = {
            "csrf_token": token,
            "representatives": [str(i) for i in rep_ids],
            "name": self.name,
            "email": self.email,
            "city": self.city,
            "personal_paragraph": self.personal_paragraph,
            action: "1",
        }
        if self.consent:
            data["consent"] = "y"
        if self.keep_language:
            data["keep_language"] = "y"
        if self.name_latin:
            data["name_latin"] = self.name_latin
        if self.place:
            data["place"] = self.place
        if self.residence:
            data["residence"] = self.residence
        if self.constituency:
            data["constituency"] = self.constituency
        return data


def representatives_of(country: str) -> list[Representative]:
    return list(
        db.session.execute(
            db.select(Representative).filter_by(country=country).order_by(Representative.id)
        ).scalars()
    )


def letters_page(client, country: str, rep_ids: list[int]):
    query = "&".join(f"rep={i}" for i in rep_ids)
    return client.get(f"/write/{country}/letters?{query}")


def submit(client, country: str, rep_ids: list[int], details: Details):
    page = letters_page(client, country, rep_ids)
    assert page.status_code == 200
    token = csrf_token(page.get_data(as_text=True))
    return client.post(f"/write/{country}/letters", data=details.form(token, rep_ids))


def outbox_messages(outbox: Path):
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(p.read_bytes()) for p in sorted(outbox.glob("*.eml"))]


def confirmation_link(message) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"https?://\S+/confirm/\S+", text)
    assert match, "no confirmation link in the email"
    return match.group(0)


def confirm(client, link: str):
    path = link.split("campaign.example.org", 1)[1]
    page = client.get(path)
    assert page.status_code == 200
    return client.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True))})


def write_confirm_and_send(client, live_server, worker, country: str, rep_ids: list[int]):
    """A supporter writes to ``rep_ids`` and confirms from the email; a worker sends
    the confirmation, then the letters (a live server's app and outbox)."""
    submit(client, country, rep_ids, Details(email="writer@example.org"))
    worker()
    link = confirmation_link(outbox_messages(live_server.outbox)[0])
    confirm(client, link.replace(live_server.url, "http://campaign.example.org"))
    worker()
