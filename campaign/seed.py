"""Demo data: the default campaign and a second one running beside it, their letters
from letters/, and fictional representatives at example.org. Seeding again adds what
is missing and never overwrites what organisers changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from campaign.core.extensions import db
from campaign.letters.letter_files import default_letters
from campaign.models import (
    Body,
    Campaign,
    LetterTemplate,
    PlaceConstituency,
    Representative,
    TemplateVersion,
)
from campaign.people.places import key_of

DEFAULT_SLUG = "time-for-release"
# A second campaign, so that two run side by side in the demo (each at /c/<slug>/).
SECOND_SLUG = "no-one-dies-in-custody"
SECOND_CAMPAIGN = {
    "title": "No one should die in custody",
    "organiser_name": "Custody Watch (demo organiser)",
    "organiser_address": "Demo Street 2\n00-001 Warszawa\nPoland",
    "organiser_email": "custody@example.org",
    "organiser_website": "https://example.org/custody",
}

# The appeal's figures as of March 2025; organisers update them in the campaign.
APPEAL_FIGURES = {
    "imprisoned": 1200,
    "released_after_sentence": 2600,
    "freed_early": 300,
    "died_in_custody": 7,
    "vulnerable": 200,
    "figures_as_of": date(2025, 3, 1),
}

# A fictional organiser: a real deployment names the organisation that runs it.
DEMO_ORGANISER = {
    "organiser_name": "Time for Release (demo organiser)",
    "organiser_address": "Demo Street 1\n10115 Berlin\nGermany",
    "organiser_email": "contact@example.org",
    "organiser_website": "https://example.org",
}

# Fictional people and offices. Every address is at example.org, which can never
# receive mail, so a demo can never write to a real person.
DEMO_BODIES = [
    ("DE", "Bundestag (demo)", "parliament", "de", "MdB"),
    ("FR", "Assemblée nationale (demo)", "parliament", "fr", "Député"),
    ("PL", "Sejm (demo)", "parliament", "pl", "Poseł"),
    ("LT", "Seimas (demo)", "parliament", "lt", "Seimo narys"),
    ("IE", "Dáil Éireann (demo)", "parliament", "en", "TD"),
    ("DE", "Federal Foreign Office (demo)", "ministry", "de", "Bundesminister"),
]
DEMO_PEOPLE = {
    "DE": [
        ("Anna Beispiel", "Demo-Partei A", "Wahlkreis 1"),
        ("Jonas Muster", "Demo-Partei B", "Wahlkreis 2"),
        ("Lea Probe", "Demo-Partei C", "Wahlkreis 3"),
    ],
    "FR": [
        ("Camille Exemple", "Parti démo A", "1re circonscription"),
        ("Louis Essai", "Parti démo B", "2e circonscription"),
    ],
    "PL": [
        ("Zofia Przykład", "Partia demo A", "Okręg 1"),
        ("Jan Testowy", "Partia demo B", "Okręg 2"),
    ],
    "LT": [
        ("Rūta Pavyzdytė", "Demo partija A", "Apygarda 1"),
        ("Tomas Bandinys", "Demo partija B", "Apygarda 2"),
    ],
    "IE": [
        ("Aoife Example", "Demo Party A", "Dublin Demo"),
        ("Seán Sample", "Demo Party B", "Cork Demo"),
    ],
}
# What the demo's sources say of each person's gender; Camille Exemple's is not given.
DEMO_GENDERS = {
    "female": {"Anna Beispiel", "Lea Probe", "Zofia Przykład", "Rūta Pavyzdytė", "Aoife Example"}
    | {"Marie Beispielfrau", "Ewa Demonstracyjna", "Ona Demonstracinė", "Niamh Demo"}
    | {"Eva Vorbild"},
    "male": {"Jonas Muster", "Louis Essai", "Jan Testowy", "Tomas Bandinys", "Seán Sample"}
    | {"Paul Exemplaire"},
}
# Titles as each parliament writes them, agreeing with gender where the language does.
DEMO_FEMININE_TITLES = {
    "Poseł": "Posłanka",
    "Seimo narys": "Seimo narė",
    "Député": "Députée",
    "Bundesminister": "Bundesministerin",
}
# The demo bodies' names for readers of other interface languages.
DEMO_BODY_NAMES = {
    "Bundestag (demo)": {
        "be": "Бундэстаг (дэма)",
        "ru": "Бундестаг (демо)",
        "uk": "Бундестаг (демо)",
    },
    "Federal Foreign Office (demo)": {
        "be": "Федэральнае міністэрства замежных спраў (дэма)",
        "ru": "Федеральное министерство иностранных дел (демо)",
        "uk": "Федеральне міністерство закордонних справ (демо)",
        "de": "Auswärtiges Amt (Demo)",
        "pl": "Federalne Ministerstwo Spraw Zagranicznych (demo)",
        "lt": "Federalinė užsienio reikalų ministerija (demo)",
        "lv": "Federālā ārlietu ministrija (demo)",
        "fr": "Ministère fédéral des Affaires étrangères (démo)",
    },
    "Sejm (demo)": {"be": "Сейм (дэма)", "ru": "Сейм (демо)", "uk": "Сейм (демо)"},
    "Seimas (demo)": {
        "be": "Сейм Літвы (дэма)",
        "ru": "Сейм Литвы (демо)",
        "uk": "Сейм Литви (демо)",
    },
}


def gender_of(name: str) -> str:
    return next((g for g, names in DEMO_GENDERS.items() if name in names), "")


DEMO_MEPS = [
    ("DE", "Marie Beispielfrau", "Demo Group A", "de"),
    ("FR", "Paul Exemplaire", "Demo Group B", "fr"),
    ("PL", "Ewa Demonstracyjna", "Demo Group A", "pl"),
    ("LT", "Ona Demonstracinė", "Demo Group C", "lt"),
    ("IE", "Niamh Demo", "Demo Group B", "en"),
]


@dataclass
class SeedReport:
    created: int = 0
    kept: int = 0

    def __str__(self) -> str:
        return f"created={self.created} kept={self.kept}"


def _get_or_create(model, report: SeedReport, lookup: dict, **values):
    instance = db.session.execute(db.select(model).filter_by(**lookup)).scalar_one_or_none()
    if instance is not None:
        report.kept += 1
        return instance
    instance = model(**lookup, **values)
    db.session.add(instance)
    db.session.flush()
    report.created += 1
    return instance


def seed_campaign(report: SeedReport, slug: str = DEFAULT_SLUG, **values) -> Campaign:
    """The campaign ``slug`` (the appeal's own unless ``values`` say otherwise) with
    every default letter published; the site's default when none is yet."""
    has_default = db.session.execute(
        db.select(Campaign.id).filter(Campaign.is_default.is_(True)).limit(1)
    ).scalar_one_or_none()
    values = {
        "title": "The time for release is now",
        "default_language": "en",
        **DEMO_ORGANISER,
        **APPEAL_FIGURES,
        **values,
    }
    campaign = _get_or_create(
        Campaign, report, {"slug": slug}, is_default=has_default is None, **values
    )
    for letter in default_letters():
        template = _get_or_create(
            LetterTemplate,
            report,
            {
                "campaign_id": campaign.id,
                "language": letter.language,
                "body_kind": letter.body_kind,
            },
        )
        if template.published_version_id is None:
            version = TemplateVersion(
                template_id=template.id,
                number=len(template.versions) + 1,
                subject=letter.subject,
                body=letter.body,
                reviewed=letter.reviewed,
                source=f"letters/{letter.path.name}",
            )
            db.session.add(version)
            db.session.flush()
            template.published_version_id = version.id
    return campaign


# Demo postcodes of the demo Bundestag: 80331 lies in two constituencies.
DEMO_PLACES = [
    ("10115", "Wahlkreis 1"),
    ("20095", "Wahlkreis 2"),
    ("80331", "Wahlkreis 2"),
    ("80331", "Wahlkreis 3"),
]


def _seed_places(report: SeedReport) -> None:
    body = db.session.execute(
        db.select(Body).filter_by(country="DE", name="Bundestag (demo)")
    ).scalar_one()
    for place, constituency in DEMO_PLACES:
        _get_or_create(
            PlaceConstituency,
            report,
            {"body_id": body.id, "key": key_of(place), "constituency": constituency},
            place=place,
        )


def seed_demo(second_campaign: bool = False) -> SeedReport:
    """Load the default campaign (with ``second_campaign``, a second one beside it)
    and the fictional representatives; commit."""
    report = SeedReport()
    seed_campaign(report)
    if second_campaign:
        seed_campaign(report, SECOND_SLUG, **SECOND_CAMPAIGN)
    for country, name, kind, language, title in DEMO_BODIES:
        body = _get_or_create(
            Body,
            report,
            {"country": country, "name": name},
            kind=kind,
            names=DEMO_BODY_NAMES.get(name, {}),
        )
        people = DEMO_PEOPLE[country] if kind == "parliament" else [("Eva Vorbild", "", "")]
        for index, (person, party, constituency) in enumerate(people, start=1):
            _get_or_create(
                Representative,
                report,
                {"body_id": body.id, "external_id": f"demo-{country.lower()}-{kind}-{index}"},
                country=country,
                title=DEMO_FEMININE_TITLES.get(title, title)
                if gender_of(person) == "female"
                else title,
                name=person,
                gender=gender_of(person),
                email=f"{kind}.{country.lower()}.{index}@example.org",
                party=party,
                constituency=constituency,
                language=language,
            )
    _seed_places(report)
    ep = _get_or_create(
        Body, report, {"country": "EU", "name": "European Parliament"}, kind="european_parliament"
    )
    for index, (country, person, group, language) in enumerate(DEMO_MEPS, start=1):
        _get_or_create(
            Representative,
            report,
            {"body_id": ep.id, "external_id": f"demo-mep-{index}"},
            country=country,
            title="MEP",
            name=person,
            gender=gender_of(person),
            email=f"mep.{country.lower()}.{index}@example.org",
            party=group,
            language=language,
        )
    db.session.commit()
    return report
