"""Daily digests on the campaign form: organisers choose, per kind of body, single
letters, one digest a day, or one a day and as soon as N letters wait; the choice is
saved as Campaign.digest_kinds, shown again, and hostile input is refused at its
field with nothing saved."""

from __future__ import annotations

import re
from html import unescape

import pytest

from campaign.campaigns import campaigns as campaign_service
from campaign.core.extensions import db
from campaign.models import AuditEntry, Campaign

from .organisers_support import field_error, log_in_as
from .test_organisers_campaigns import post_form

SINGLE = {
    "digest_parliament": "single",
    "digest_european_parliament": "single",
    "digest_ministry": "single",
}


def the_campaign() -> Campaign:
    db.session.expire_all()
    return db.session.execute(db.select(Campaign).filter_by(slug="time-for-release")).scalar_one()


def save(client, **digest):
    """Post the seeded campaign's form with these digest fields (and the rest valid)."""
    campaign = the_campaign()
    return post_form(
        client, f"/organise/campaigns/{campaign.id}", slug="time-for-release", **digest
    )


@pytest.mark.parametrize(
    ("posted", "expected"),
    [
        (SINGLE, {}),
        ({**SINGLE, "digest_parliament": "daily"}, {"parliament": 0}),
        (
            {**SINGLE, "digest_ministry": "every", "digest_ministry_every": "25"},
            {"ministry": 25},
        ),
        (
            {
                "digest_parliament": "every",
                "digest_parliament_every": "1",
                "digest_european_parliament": "daily",
                "digest_european_parliament_every": "40",  # ignored: not the third choice
                "digest_ministry": "every",
                "digest_ministry_every": "500",
            },
            {"parliament": 1, "european_parliament": 0, "ministry": 500},
        ),
    ],
)
def test_each_choice_is_saved_as_the_campaigns_digest_kinds(seeded, client, posted, expected):
    log_in_as(client)
    response = save(client, **posted)
    assert response.status_code == 302, field_errors_of(response)
    campaign = the_campaign()
    assert campaign.digest_kinds == expected
    for kind in ("parliament", "european_parliament", "ministry"):
        assert campaign.digest_every(kind) == expected.get(kind)


def test_a_campaign_goes_back_to_single_letters_and_the_change_is_audited(seeded, client):
    log_in_as(client)
    save(client, **{**SINGLE, "digest_parliament": "every", "digest_parliament_every": "10"})
    assert the_campaign().digest_kinds == {"parliament": 10}
    assert save(client, **SINGLE).status_code == 302
    assert the_campaign().digest_kinds == {}
    changes = [
        entry.changes["digest_kinds"]
        for entry in db.session.execute(
            db.select(AuditEntry).filter_by(object_type="campaign").order_by(AuditEntry.id)
        ).scalars()
    ]
    assert changes == [[{}, {"parliament": 10}], [{"parliament": 10}, {}]]


def test_a_new_campaign_is_created_with_its_digests(app, client):
    log_in_as(client)
    response = post_form(
        client,
        "/organise/campaigns/new",
        **{
            **SINGLE,
            "digest_european_parliament": "every",
            "digest_european_parliament_every": "7",
        },
    )
    assert response.status_code == 302
    campaign = db.session.execute(db.select(Campaign)).scalar_one()
    assert campaign.digest_kinds == {"european_parliament": 7}


def selected(html: str, name: str) -> str:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, name
    chosen = re.findall(r'<option selected value="([^"]*)"', select.group(1))
    chosen += re.findall(r'<option value="([^"]*)" selected', select.group(1))
    return chosen[0] if chosen else ""


def value_of(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match, name
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


def test_the_form_shows_the_saved_choice_again(seeded, client):
    log_in_as(client)
    campaign = the_campaign()
    url = f"/organise/campaigns/{campaign.id}"
    html = client.get(url).get_data(as_text=True)
    for kind in ("parliament", "european_parliament", "ministry"):
        assert selected(html, f"digest_{kind}") == "single"
        assert value_of(html, f"digest_{kind}_every") == ""
    assert "Each representative's office receives the day's letters in one email" in unescape(html)
    # The kinds as organisers know them elsewhere.
    for label in ("National parliament", "European Parliament", "Ministry"):
        assert f">{label}</label>" in html

    saved = {
        "digest_parliament": "daily",
        "digest_european_parliament": "single",
        "digest_ministry": "every",
        "digest_ministry_every": "12",
    }
    assert save(client, **saved).status_code == 302
    html = client.get(url).get_data(as_text=True)
    assert selected(html, "digest_parliament") == "daily"
    assert selected(html, "digest_european_parliament") == "single"
    assert selected(html, "digest_ministry") == "every"
    assert value_of(html, "digest_ministry_every") == "12"
    assert value_of(html, "digest_parliament_every") == ""


def field_errors_of(response) -> dict[str, str]:
    html = response.get_data(as_text=True)
    return dict(re.findall(r'<p class="error" id="([^"]+)-error">([^<]*)</p>', html))


HOSTILE = [
    (
        "digest_parliament_every",
        {"digest_parliament": "every", "digest_parliament_every": "abc"},
        "Not a valid integer value",
    ),
    (
        "digest_parliament_every",
        {"digest_parliament": "every", "digest_parliament_every": "-3"},
        "Number must be between 1 and 500",
    ),
    (
        "digest_parliament_every",
        {"digest_parliament": "every", "digest_parliament_every": "0"},
        "Number must be between 1 and 500",
    ),
    (
        "digest_ministry_every",
        {"digest_ministry": "every", "digest_ministry_every": "1" + "0" * 40},
        "Number must be between 1 and 500",
    ),
    (
        "digest_ministry_every",
        {"digest_ministry": "every", "digest_ministry_every": "2.5"},
        "Not a valid integer value",
    ),
    (
        "digest_ministry_every",
        {"digest_ministry": "every", "digest_ministry_every": ""},
        "Give the number of letters, from 1 to 500",
    ),
    (
        "digest_ministry_every",
        {"digest_ministry": "every"},
        "Give the number of letters, from 1 to 500",
    ),
    # Garbage is refused even when the choice does not use N.
    (
        "digest_ministry_every",
        {"digest_ministry": "daily", "digest_ministry_every": "9999"},
        "Number must be between 1 and 500",
    ),
    ("digest_ministry", {"digest_ministry": "hourly"}, "Not a valid choice"),
    ("digest_ministry", {"digest_ministry": ""}, "Not a valid choice"),
    ("digest_ministry", {"digest_ministry": "Ab\x00c"}, "Not a valid choice"),
    ("digest_kinds", {"digest_senate": "daily"}, "Unknown kind of body: senate"),
    ("digest_kinds", {"digest_senate_every": "5"}, "Unknown kind of body: senate"),
]


@pytest.mark.parametrize(("field", "posted", "message"), HOSTILE)
def test_hostile_input_is_refused_at_its_field_and_nothing_changes(
    seeded, client, field, posted, message
):
    log_in_as(client)
    campaign = the_campaign()
    campaign.digest_kinds = {"parliament": 3}
    db.session.commit()
    before = the_campaign().updated_at
    response = save(client, **{**SINGLE, **posted})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Nothing was saved" in html
    assert message in field_error(html, field), field_errors_of(response)
    campaign = the_campaign()
    assert campaign.digest_kinds == {"parliament": 3} and campaign.updated_at == before
    assert db.session.execute(db.select(db.func.count(AuditEntry.id))).scalar() == 0


def test_a_refused_field_is_marked_for_assistive_technology(seeded, client):
    log_in_as(client)
    response = save(
        client, **{**SINGLE, "digest_parliament": "every", "digest_parliament_every": "x"}
    )
    html = response.get_data(as_text=True)
    tag = re.search(r'<input[^>]*name="digest_parliament_every"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in tag
    assert 'aria-describedby="digest_parliament_every-hint digest_parliament_every-error"' in tag
    # The posted choice is shown again, not the saved one.
    assert selected(html, "digest_parliament") == "every"

    response = save(client, **{**SINGLE, "digest_senate": "daily"})
    html = response.get_data(as_text=True)
    assert '<fieldset aria-describedby="digest_kinds-error">' in html


def test_the_service_refuses_digest_kinds_it_cannot_use(seeded):
    """Callers other than the form (the seed, scripts) meet the same rules."""
    campaign = the_campaign()
    for bad in (
        {"senate": 1},
        {"parliament": -1},
        {"parliament": 501},
        {"parliament": "5"},
        {"parliament": True},
        {"parliament": None},
        ["parliament"],
    ):
        with pytest.raises(campaign_service.CampaignInvalid) as refused:
            campaign_service.update_campaign(campaign, {"digest_kinds": bad}, None)
        assert set(refused.value.errors) == {"digest_kinds"}, bad
    assert the_campaign().digest_kinds == {}
    changes = campaign_service.update_campaign(campaign, {"digest_kinds": {"ministry": 0}}, None)
    assert changes == {"digest_kinds": [{}, {"ministry": 0}]}


def test_the_digest_fields_read_in_belarusian_and_russian(seeded, client):
    log_in_as(client)
    campaign = the_campaign()
    for language in ("be", "ru"):
        html = client.get(f"/organise/campaigns/{campaign.id}?lang={language}").get_data(
            as_text=True
        )
        for english in (
            "Daily digests",
            "Single letters",
            "One digest a day",
            "Each representative's office receives",
            "a digest as soon as this many letters wait",
        ):
            assert english not in unescape(html), (language, english)


def test_a_post_without_the_digest_fields_keeps_the_saved_choice(seeded, client):
    log_in_as(client)
    campaign = the_campaign()
    campaign.digest_kinds = {"parliament": 0, "ministry": 30}
    db.session.commit()
    assert save(client, imprisoned="1300").status_code == 302
    campaign = the_campaign()
    assert campaign.imprisoned == 1300
    assert campaign.digest_kinds == {"parliament": 0, "ministry": 30}
