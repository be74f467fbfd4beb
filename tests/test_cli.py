"""flask seed demo, flask letters status."""

from campaign.core.extensions import db
from campaign.models import Campaign, Representative


def test_seed_demo_uses_only_example_org_and_never_overwrites(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output
    reps = db.session.execute(db.select(Representative)).scalars().all()
    assert len(reps) >= 10
    assert all(r.email.endswith("@example.org") for r in reps)
    assert {r.country for r in reps} >= {"DE", "FR", "PL", "LT", "IE"}

    campaigns = db.session.execute(db.select(Campaign).order_by(Campaign.id)).scalars().all()
    # Two campaigns run side by side, the first the site's default, both demo data.
    assert [(c.slug, c.is_default) for c in campaigns] == [
        ("time-for-release", True),
        ("no-one-dies-in-custody", False),
    ]
    assert all(c.organiser_email.endswith("@example.org") for c in campaigns)
    assert all(len(c.templates) == len(campaigns[0].templates) > 0 for c in campaigns)
    campaign = campaigns[0]
    campaign.imprisoned = 1111
    reps[0].name = "Edited By Organiser"
    db.session.commit()
    count = len(reps)

    again = runner.invoke(args=["seed", "demo"])
    assert again.exit_code == 0, again.output
    assert "created=0" in again.output
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).imprisoned == 1111
    assert db.session.get(Representative, reps[0].id).name == "Edited By Organiser"
    assert db.session.execute(db.select(db.func.count(Representative.id))).scalar() == count


def test_letters_status_counts_each_state(seeded, client):
    from . import flow

    rep_ids = [r.id for r in flow.representatives_of("DE")[:2]]
    flow.submit(client, "DE", rep_ids, flow.Details())
    result = seeded.test_cli_runner().invoke(args=["letters", "status"])
    assert result.exit_code == 0
    lines = dict(line.split() for line in result.output.strip().splitlines())
    assert lines["awaiting_confirmation"] == "2"
    assert lines["sent"] == "0"
