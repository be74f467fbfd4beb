"""An organiser's first afternoon, as a new user would go through it in the browser
(without JavaScript): log in, import the Lithuanian Seimas, adjust its letter with
a preview, publish, compare, roll back, and send a test letter to themselves.

The Seimas file holds real officials' addresses: the only mail sent here goes to
the organiser's own example.org address."""

from __future__ import annotations

import io
import re
from pathlib import Path

from campaign.core.extensions import db
from campaign.letters import compose
from campaign.models import LetterTemplate, Representative

from . import flow
from .conftest import csrf_token, needs_shared_data
from .organisers_support import SEIMAS_CSV, publish_confirmed
from .test_auth import login, make_user

pytestmark = needs_shared_data


def link(html: str, text: str) -> str:
    match = re.search(r'<a href="([^"]+)">' + re.escape(text), html)
    assert match, f"no link {text!r}"
    return match.group(1).replace("&amp;", "&")


def test_an_organiser_imports_a_parliament_and_adjusts_its_letter(seeded, client):
    outbox = Path(seeded.config["OUTBOX_DIR"])
    make_user("rasa@example.org", "organiser")
    assert login(client, "rasa@example.org", next_url="/manage").status_code == 302

    demo_count = db.session.execute(db.select(db.func.count(Representative.id))).scalar()

    # From the management home to the import form.
    home = client.get("/manage").get_data(as_text=True)
    imports_url = link(home, "Import representatives")
    new_import_url = link(client.get(imports_url).get_data(as_text=True), "Import a file")
    form = client.get(new_import_url).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in form

    # Dry run first: nothing written, counts per country and body, every skip.
    response = client.post(
        new_import_url,
        data={
            "csrf_token": csrf_token(form),
            "file": (io.BytesIO(SEIMAS_CSV.read_bytes()), "term-11.csv"),
            "format": "everypolitician",
            "country": "LT",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    dry_run = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nothing has been written yet." in dry_run and "<td>LT</td><td>141</td>" in dry_run
    assert "row 70 (Julius Veselka): no email address" in dry_run
    assert db.session.execute(db.select(db.func.count(Representative.id))).scalar() == demo_count

    # Then for real.
    digest = re.search(r'name="digest" type="hidden" value="([0-9a-f]+)"', dry_run).group(1)
    done = client.post(
        response.headers["Location"] + "/confirm",
        data={"csrf_token": csrf_token(dry_run), "digest": digest},
    )
    result = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "The import was written." in result and "<strong>141</strong> created" in result
    member = db.session.execute(
        db.select(Representative).filter_by(name="Agnė Bilotaitė")
    ).scalar_one()
    assert member.language == "lt" and member.body.name == "Seimas"

    # The Lithuanian letter for parliaments.
    campaigns = client.get(link(home, "Campaigns and letters")).get_data(as_text=True)
    letters = client.get(link(campaigns, "Edit the letters")).get_data(as_text=True)
    template = db.session.execute(
        db.select(LetterTemplate).filter_by(body_kind="parliament", language="lt")
    ).scalar_one()
    editor_url = f"/organise/letters/{template.id}"
    assert f'href="{editor_url}"' in letters
    editor = client.get(editor_url).get_data(as_text=True)
    original = template.published_version
    assert (
        "Supporters get version 1" in editor and "Not reviewed by a native speaker yet." in editor
    )

    def form_data(page: str, body: str, **extra) -> dict:
        return {
            "csrf_token": csrf_token(page),
            "subject": original.subject,
            "body": body,
            "representative": str(member.id),
            **extra,
        }

    # A mistake: an {% if %} left open. Clear message with the line; nothing saved.
    lines = original.body.splitlines(keepends=True)
    broken_line = next(
        i for i, line in enumerate(lines) if line.startswith("{% if supporter.constituent")
    )
    first_endif = next(
        i for i, line in enumerate(lines) if i > broken_line and line.startswith("{% endif %}")
    )
    broken = "".join(line for i, line in enumerate(lines) if i != first_endif)
    refused = client.post(f"{editor_url}/draft", data=form_data(editor, broken))
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert f"Text, line {broken_line + 1}: {{% if %}} is never closed" in html
    assert "Nothing was saved" in html
    db.session.expire_all()
    assert template.draft_body is None and len(template.versions) == 1

    # Fixed, with a new closing line; previewed for a real member of the Seimas.
    fixed = original.body.rstrip("\n") + "\n\nAčiū už Jūsų darbą, {{ representative.name }}.\n"
    preview = client.post(f"{editor_url}/preview", data=form_data(editor, fixed))
    assert preview.status_code == 200
    preview_html = preview.get_data(as_text=True)
    assert "Ačiū už Jūsų darbą, Agnė Bilotaitė." in preview_html
    assert "Rendered for Agnė Bilotaitė (Seimas) and a sample supporter." in preview_html
    as_text = client.post(f"{editor_url}/preview.txt", data=form_data(editor, fixed))
    assert as_text.status_code == 200 and "Agnė Bilotaitė." in as_text.get_data(as_text=True)

    # Saved as a draft, then published with the review mark.
    assert client.post(f"{editor_url}/draft", data=form_data(editor, fixed)).status_code == 302
    editor = client.get(editor_url).get_data(as_text=True)
    assert "You are editing the draft" in editor and "Ačiū už Jūsų darbą" in editor
    published = publish_confirmed(client, editor_url, form_data(editor, fixed), reviewed="y")
    assert published.status_code == 302
    editor = client.get(editor_url).get_data(as_text=True)
    assert "Version 2 is published" in editor and "Reviewed by a native speaker." in editor
    assert compose.choose_version(template.campaign, member).number == 2

    # Compared with the first version.
    versions = client.get(f"{editor_url}/versions?old=1&new=2").get_data(as_text=True)
    assert "<ins>Ačiū už Jūsų darbą, ⟦Representative&#39;s name⟧.</ins>" in versions.replace(
        "\n", ""
    )

    # Rolled back: the old text is published again, as version 3.
    rolled = client.post(
        f"{editor_url}/versions/1/rollback", data={"csrf_token": csrf_token(versions)}
    )
    assert rolled.status_code == 302
    versions = client.get(rolled.headers["Location"]).get_data(as_text=True)
    assert "The text of version 1 is published again, as version 3." in versions
    db.session.expire_all()
    current = compose.choose_version(template.campaign, member)
    assert (current.number, current.body) == (3, original.body)
    assert [v.number for v in template.versions] == [1, 2, 3]

    # A test letter to themselves, never to the member.
    editor = client.get(editor_url).get_data(as_text=True)
    sent = client.post(f"{editor_url}/test", data=form_data(editor, original.body))
    assert "A test letter was sent to rasa@example.org" in sent.get_data(as_text=True)
    messages = flow.outbox_messages(outbox)
    assert len(messages) == 1
    message = messages[0]
    assert message["To"] == "rasa@example.org"
    assert message["Subject"] == "[Test] " + original.subject
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Agnė Bilotaitė" in text and member.email not in text
    assert not any(member.email in str(m) for m in messages)
