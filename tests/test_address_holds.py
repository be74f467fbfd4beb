"""Bad addresses are not written to: a flagged address (hard bounce or drop) is
not offered to supporters, letters queued to it wait in `held_address` until staff
mark it fixed or cancel them, and an organiser's correction releases them. Offices'
requests (stop, another address, web form, figures wrong) are honoured and
audited."""

# ruff: noqa: F811 - fixtures imported from delivery_support are used as arguments

from __future__ import annotations

import pytest

from campaign.core.extensions import db
from campaign.delivery import address_holds, address_releases
from campaign.models import AddressFlag, AuditEntry, LetterState, OfficeRequest
from campaign.models.letter import TRANSITIONS
from campaign.people import office_requests
from campaign.seed import seed_demo

from . import tracking_helpers as th
from .address_holds_support import bounce, queue_letters, states_of
from .conftest import csrf_token
from .delivery_support import dispatch_all, moves, sendgrid, sendgrid_settings  # noqa: F401
from .organisers_support import field_error, log_in_as, token_of

S = LetterState


@pytest.fixture
def keys():
    return th.keypair()


@pytest.fixture
def holds_app(make_app, sendgrid, keys):
    app = make_app(**sendgrid_settings(sendgrid), SENDGRID_WEBHOOK_PUBLIC_KEY=keys[1])
    with app.app_context():
        seed_demo()
        yield app


def test_the_state_machine_and_the_documented_table_know_held_address():
    assert TRANSITIONS[S.QUEUED] >= {S.HELD_ADDRESS}
    assert TRANSITIONS[S.HELD_ADDRESS] == {S.QUEUED, S.CANCELLED}
    from pathlib import Path

    states = Path(__file__).resolve().parents[1] / "docs" / "architecture" / "index.md"
    table = states.read_text()
    assert "| queued | held_address |" in table
    assert "| held_address | queued / cancelled |" in table


def test_a_bounce_holds_queued_letters_and_the_address_gets_nothing_more(holds_app, keys, sendgrid):
    client = holds_app.test_client()
    bad, good = th.reps_of("DE")[:2]
    (sent,) = th.send_letters([bad])
    waiting = queue_letters([bad, good])
    bounce(client, keys[0], sent)
    # At once, before any worker looks: the letter to the flagged address waits.
    assert states_of(waiting) == ["held_address", "queued"]
    assert moves(waiting[0].id)[-1] == ("queued", "held_address")
    # A letter queued after the flag (released from review, say) is caught by the
    # dispatcher, not sent.
    later = queue_letters([bad, good])
    counts = dispatch_all()
    assert counts["held_address"] == 1
    assert states_of(later) == ["held_address", "sent"]
    assert states_of(waiting) == ["held_address", "sent"]
    assert {m.to[0] for m in sendgrid.messages} == {good.email}


def test_a_flagged_address_is_not_offered_to_supporters(holds_app, keys):
    client = holds_app.test_client()
    bad, good = th.reps_of("DE")[:2]
    bounce(client, keys[0], th.send_letters([bad])[0])
    page = client.get("/write/DE").get_data(as_text=True)
    assert f'id="rep-{good.id}"' in page
    assert f'id="rep-{bad.id}"' not in page and f'id="rep-{bad.id}-unavailable"' in page
    assert "address being checked" in page
    # In German too.
    page = client.get("/write/DE", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Adresse wird überprüft" in page
    # A crafted request naming the representative writes nothing to them.
    response = client.get(f"/write/DE/letters?rep={bad.id}")
    assert response.status_code == 302 and "error=none" in response.headers["Location"]


def test_staff_mark_the_address_fixed_and_the_held_letters_go(holds_app, keys, sendgrid):
    client = holds_app.test_client()
    bad = th.reps_of("DE")[0]
    bounce(client, keys[0], th.send_letters([bad])[0])
    waiting = queue_letters([bad]) + queue_letters([bad])
    assert dispatch_all()["taken"] == 0 and sendgrid.messages == []
    log_in_as(client, "staff")
    page = client.get("/staff/addresses").get_data(as_text=True)
    assert bad.email in page and "<td>2</td>" in page
    flag = db.session.execute(db.select(AddressFlag)).scalar_one()
    response = client.post(
        f"/staff/addresses/{flag.id}/resolve", data={"csrf_token": csrf_token(page)}
    )
    assert response.status_code == 302
    assert states_of(waiting) == ["queued", "queued"]
    assert moves(waiting[0].id)[-1] == ("held_address", "queued")
    dispatch_all()
    assert states_of(waiting) == ["sent", "sent"]
    assert [m.to[0] for m in sendgrid.messages] == [bad.email, bad.email]


def test_staff_cancel_held_letters(holds_app, keys, sendgrid):
    client = holds_app.test_client()
    bad = th.reps_of("DE")[0]
    bounce(client, keys[0], th.send_letters([bad])[0])
    waiting = queue_letters([bad])
    dispatch_all()  # the dispatcher holds it
    assert states_of(waiting) == ["held_address"]
    log_in_as(client, "staff")
    page = client.get("/staff/addresses").get_data(as_text=True)
    token = csrf_token(page)
    url = f"/staff/addresses/representatives/{bad.id}/cancel-held"
    # The same box to tick as for a campaign's sending: one click cancels nothing.
    assert f'name="held-{bad.id}-confirm_cancel"' in page
    refused = client.post(url, data={"csrf_token": token})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Tick this box to cancel the held letters." in field_error(
        html, f"held-{bad.id}-confirm_cancel"
    )
    assert states_of(waiting) == ["held_address"]
    response = client.post(url, data={"csrf_token": token, f"held-{bad.id}-confirm_cancel": "y"})
    assert response.status_code == 302
    assert states_of(waiting) == ["cancelled"]
    # Marking the address fixed afterwards sends nothing: they were cancelled.
    address_releases.release(bad.id, "test")
    db.session.commit()
    dispatch_all()
    assert states_of(waiting) == ["cancelled"] and sendgrid.messages == []


def test_an_organiser_correcting_the_address_releases_the_letters(holds_app, keys, sendgrid):
    from campaign.people import representatives

    client = holds_app.test_client()
    bad = th.reps_of("DE")[0]
    bounce(client, keys[0], th.send_letters([bad])[0])
    waiting = queue_letters([bad])
    user = log_in_as(client, "organiser")
    values = {name: getattr(bad, name) for name in representatives.EDITABLE}
    representatives.update(bad, {**values, "email": "fixed.office@example.org"}, user)
    assert states_of(waiting) == ["queued"]
    assert address_holds.blocked([bad.id]) == {}
    dispatch_all()
    assert [m.to[0] for m in sendgrid.messages] == ["fixed.office@example.org"]


def test_an_office_asking_to_stop_gets_nothing_and_is_not_offered(holds_app, sendgrid):
    client = holds_app.test_client()
    rep, other = th.reps_of("FR")[:2]
    waiting = queue_letters([rep, other])
    staff = log_in_as(client, "staff")
    url = f"/staff/representatives/{rep.id}/office-requests"
    token = token_of(client, url)
    response = client.post(
        url, data={"csrf_token": token, "kind": "stop", "note": "Phone call from the office"}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert states_of(waiting) == ["cancelled", "queued"]
    dispatch_all()
    assert [m.to[0] for m in sendgrid.messages] == [other.email]
    page = client.get("/write/FR").get_data(as_text=True)
    assert f'id="rep-{rep.id}-unavailable"' in page
    assert "has asked not to receive these letters" in page
    entry = db.session.execute(
        db.select(AuditEntry).filter_by(object_type="representative", object_id=rep.id)
    ).scalar_one()
    assert (entry.action, entry.actor) == ("office_request", staff.email)
    assert "stop writing to us" in entry.summary
    # Withdrawn: the representative is offered again.
    item = db.session.execute(db.select(OfficeRequest)).scalar_one()
    client.post(f"/staff/office-requests/{item.id}/withdraw", data={"csrf_token": token})
    assert address_holds.blocked([rep.id]) == {}
    assert f'id="rep-{rep.id}"' in client.get("/write/FR").get_data(as_text=True)


def test_an_office_giving_another_address_gets_the_letters_there(holds_app, keys, sendgrid):
    client = holds_app.test_client()
    rep = th.reps_of("FR")[0]
    old = rep.email
    bounce(client, keys[0], th.send_letters([rep])[0])
    waiting = queue_letters([rep])
    staff = log_in_as(client, "staff")
    office_requests.record(rep, "redirect", email="cabinet@example.org", user=staff)
    dispatch_all()
    assert states_of(waiting) == ["sent"]
    assert [m.to[0] for m in sendgrid.messages] == ["cabinet@example.org"]
    entry = db.session.execute(
        db.select(AuditEntry).filter_by(action="office_request")
    ).scalar_one()
    assert entry.changes["email"] == [old, "cabinet@example.org"]


def test_an_office_web_form_is_shown_instead(holds_app):
    client = holds_app.test_client()
    rep = th.reps_of("FR")[0]
    staff = log_in_as(client, "staff")
    office_requests.record(rep, "web_form", url="https://office.example.org/contact", user=staff)
    page = client.get("/write/FR").get_data(as_text=True)
    assert 'href="https://office.example.org/contact"' in page
    assert f'id="rep-{rep.id}"' not in page


def test_disputed_figures_are_known_to_the_public_page(holds_app):
    client = holds_app.test_client()
    rep, other = th.reps_of("FR")[:2]
    staff = log_in_as(client, "staff")
    office_requests.record(rep, "dispute", note="They count a letter twice", user=staff)
    assert office_requests.figures_disputed([rep.id, other.id]) == {rep.id}
    # Writing to them goes on: only the figures are in question.
    assert address_holds.blocked([rep.id]) == {}


@pytest.mark.parametrize(
    "data, field",
    [
        ({"kind": "redirect", "email": "not an address"}, "email"),
        ({"kind": "web_form", "url": "javascript:alert(1)"}, "url"),
        ({"kind": "web_form", "url": "http://office.example.org/form"}, "url"),
        ({"kind": "shout"}, "kind"),
        ({}, "kind"),
    ],
)
def test_a_bad_request_is_refused_at_the_field_and_changes_nothing(holds_app, data, field):
    client = holds_app.test_client()
    rep = th.reps_of("FR")[0]
    waiting = queue_letters([rep])
    log_in_as(client, "staff")
    url = f"/staff/representatives/{rep.id}/office-requests"
    response = client.post(url, data={"csrf_token": token_of(client, url), **data})
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert db.session.execute(db.select(OfficeRequest)).first() is None
    assert db.session.execute(db.select(AuditEntry)).first() is None
    assert states_of(waiting) == ["queued"]


def test_the_supporter_sees_a_held_letter_as_waiting(holds_app, keys):
    from campaign.supporters.display import state_label

    assert state_label("held_address") == "waiting: address being checked"


def test_an_address_changed_by_an_import_releases_the_letters_within_minutes(holds_app, keys):
    from campaign.periodic import PERIODIC

    client = holds_app.test_client()
    bad = th.reps_of("DE")[0]
    bounce(client, keys[0], th.send_letters([bad])[0])
    waiting = queue_letters([bad])
    dispatch_all()
    assert states_of(waiting) == ["held_address"]
    func, interval = PERIODIC["release_held_letters"]
    assert func() == 0  # still flagged: nothing moves
    # An import writes the new address as it writes any field.
    bad.email = "new.office@example.org"
    db.session.commit()
    assert func() == 1 and interval <= 300
    assert states_of(waiting) == ["queued"]


def test_held_letters_of_a_cancelled_campaign_are_cancelled_not_released(holds_app, keys):
    from campaign.models import Campaign

    client = holds_app.test_client()
    bad = th.reps_of("DE")[0]
    bounce(client, keys[0], th.send_letters([bad])[0])
    waiting = queue_letters([bad])
    dispatch_all()
    campaign = db.session.execute(db.select(Campaign)).scalars().first()
    campaign.sending_status = "cancelled"
    db.session.commit()
    assert address_releases.release(bad.id, "test") == 0  # still flagged
    flag = db.session.execute(db.select(AddressFlag)).scalar_one()
    flag.resolved_at = flag.last_seen_at
    db.session.flush()
    assert address_releases.release(bad.id, "staff marked the address fixed") == 0
    db.session.commit()
    assert states_of(waiting) == ["cancelled"]
    assert moves(waiting[0].id)[-1] == ("held_address", "cancelled")
