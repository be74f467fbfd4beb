"""L3: `flask --app wsgi reps export` writes no cell a spreadsheet would run as a
formula, as the web exports do; the importer checks for formulas after squashing
whitespace, so "\\t=tabbed" is not stored as "=tabbed"."""

from __future__ import annotations

import csv
import io

from campaign.core.extensions import db
from campaign.core.spreadsheet import FORMULA_START
from campaign.models import Body, Representative

FORMULAS = ["=1+2", "@SUM(1+1)", '=HYPERLINK("http://evil.example/","click")', "+1+2", "-1-2"]


def reps_cli(app, *args: str):
    return app.test_cli_runner().invoke(args=["reps", *args])


def is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def formula_cells(text: str) -> list[str]:
    """Cells a spreadsheet would run: starting with a formula sign, and not a number."""
    return [
        cell
        for row in csv.reader(io.StringIO(text))
        for cell in row
        if cell.startswith(FORMULA_START) and not is_number(cell)
    ]


def test_reps_export_neutralises_formula_cells(app):
    """The review's request: representatives whose fields hold formulas (an
    organiser's edit can store them), exported from the command line."""
    body = Body(country="LT", name="=cmd|' /C calc'!A0", kind="parliament")
    db.session.add(body)
    db.session.flush()
    for index, formula in enumerate(FORMULAS):
        db.session.add(
            Representative(
                body_id=body.id,
                external_id=f"f{index}",
                country="LT",
                title="MP",
                name=formula,
                email=f"mp{index}@example.org",
                party=formula,
                constituency="\t" + formula,
                language="lt",
            )
        )
    db.session.commit()
    result = reps_cli(app, "export")
    assert result.exit_code == 0, result.output
    assert formula_cells(result.output) == []
    names = [row["name"] for row in csv.DictReader(io.StringIO(result.output))]
    assert sorted(names) == sorted("'" + formula for formula in FORMULAS)


def test_the_importer_checks_for_formulas_after_stripping_tabs(app, tmp_path):
    path = tmp_path / "reps.csv"
    path.write_text(
        "external_id,country,body,name,email,party,constituency\n"
        '1,LT,Seimas,"\t=tabbed",one@example.org,"\t@SUM(1+1)"," =1+2"\n'
        "2,LT,Seimas,Plain Name,two@example.org,-,-3\n",
        encoding="utf-8",
    )
    result = reps_cli(app, "import", str(path), "--format", "csv")
    assert result.exit_code == 0, result.output
    tabbed = db.session.execute(db.select(Representative).filter_by(external_id="1")).scalar_one()
    assert (tabbed.name, tabbed.party, tabbed.constituency) == ("'=tabbed", "'@SUM(1+1)", "'=1+2")
    plain = db.session.execute(db.select(Representative).filter_by(external_id="2")).scalar_one()
    assert (plain.party, plain.constituency) == ("'-", "-3")  # a number stays a number

    # What was exported imports again unchanged.
    export = reps_cli(app, "export")
    assert formula_cells(export.output) == []
    again = tmp_path / "again.csv"
    again.write_text(export.output, encoding="utf-8")
    reimport = reps_cli(app, "import", str(again), "--format", "csv")
    assert reimport.output.splitlines()[-1] == "created=0 updated=0 unchanged=2 skipped=0"
