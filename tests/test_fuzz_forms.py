"""Random and hostile input to every form: the supporter's letter form, the
confirmation, the login, the data request and data page, and every POST route of
the management pages (found in app.url_map, filled from the forms on the pages).
Never a 5xx or a traceback; a rejected form writes nothing."""

from __future__ import annotations

import io
import re
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from campaign.core.extensions import db
from campaign.models import Letter, Submission, Supporter, User

from . import flow
from .conftest import csrf_token
from .htmlforms import forms_in

FUZZ = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
# Limits are tested elsewhere; here they would only turn random input into 429s.
NO_LIMITS = {"ABUSE_LIMITS_FACTOR": 100_000.0}

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200)
HOSTILE = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "\r\nBcc: x@example.org",
        "a@example.org\r\nBcc: x@example.org",
        "{{ config.SECRET_KEY }}",
        "{% for i in range(100000000) %}x{% endfor %}",
        "<script>alert(1)</script>",
        '" onmouseover="alert(1)',
        "' OR 1=1 --",
        "'; DROP TABLE supporter; --",
        "../../../../etc/passwd",
        "%s%s%s%n",
        "\u202eevil\u202c",
        "😀" * 50,
        "x" * 5000,
        "9" * 400,
        "-1",
        "0",
        "true",
        "null",
        "[]",
        "{}",
        "@",
        "a@b",
        "maryja@example.org",
    ]
)
VALUE = TEXT | HOSTILE


def total_rows() -> dict[str, int]:
    with db.engine.connect() as conn:
        return {
            t.name: conn.execute(text(f'SELECT COUNT(*) FROM "{t.name}"')).scalar()
            for t in db.metadata.sorted_tables
        }


def supporter_rows() -> tuple[int, int, int]:
    db.session.expire_all()
    return tuple(
        db.session.execute(db.select(db.func.count(m.id))).scalar()
        for m in (Supporter, Submission, Letter)
    )


def assert_clean(response, where: str) -> None:
    assert response.status_code < 500, where
    body = response.get_data(as_text=True)
    assert "Traceback (most recent call last)" not in body, where
    assert 'File "' not in body, where


def _seeded(make_app, **config):
    app = make_app(**{**NO_LIMITS, **config})
    ctx = app.app_context()
    ctx.push()
    from campaign.seed import seed_demo

    seed_demo()
    return app, ctx


# -- the supporter's forms ------------------------------------------------------------


def test_letter_form_fuzz(make_app):
    app, ctx = _seeded(make_app)
    try:
        client = app.test_client()
        reps = [r.id for r in flow.representatives_of("DE")]
        token = csrf_token(flow.letters_page(client, "DE", reps[:1]).get_data(as_text=True))

        @FUZZ
        @given(
            fields=st.fixed_dictionaries(
                {},
                optional={
                    "name": VALUE,
                    "email": VALUE | st.emails().map(str),
                    "city": VALUE,
                    "personal_paragraph": VALUE,
                    "consent": st.sampled_from(["y", "", "n", "on", "\x00"]),
                    "website": st.sampled_from(["", "", "", "http://spam.example.net"]) | VALUE,
                },
            ),
            representatives=st.lists(
                st.sampled_from([str(i) for i in reps])
                | st.sampled_from(["0", "-1", "x", "99999999999999999999", ""])
                | TEXT,
                max_size=8,
            ),
            action=st.sampled_from(["send", "preview", "neither"]),
            country=st.sampled_from(["DE", "de", "XX", "LT"]),
            good_token=st.booleans(),
        )
        def run(fields, representatives, action, country, good_token):
            data = {
                **fields,
                "representatives": representatives,
                "csrf_token": token if good_token else "forged",
            }
            if action != "neither":
                data[action] = "1"
            before = supporter_rows()
            response = client.post(f"/write/{country}/letters", data=data)
            assert_clean(response, f"{data!r}")
            after = supporter_rows()
            location = response.headers.get("Location", "")
            if response.status_code == 302 and location.endswith("/check-your-email"):
                assert after == before or after[1] == before[1] + 1
            else:
                assert after == before, (response.status_code, data)

        run()
    finally:
        ctx.pop()


def test_confirm_and_status_links_fuzz(make_app):
    app, ctx = _seeded(make_app)
    try:
        client = app.test_client()
        token = csrf_token(client.get("/your-data").get_data(as_text=True))

        @FUZZ
        @given(
            link=TEXT.filter(lambda t: t.strip()) | HOSTILE.filter(lambda t: t.strip()),
            kind=st.sampled_from(["confirm", "status", "your-data"]),
            suffix=st.sampled_from(["", "/download", "/delete", ".json"]),
            form=st.dictionaries(st.sampled_from(["csrf_token", "sure", "x"]), VALUE, max_size=3),
        )
        def run(link, kind, suffix, form):
            path = f"/{kind}/{quote(link, safe='')}{suffix}"
            before = supporter_rows()
            assert_clean(client.get(path), path)
            assert_clean(client.post(path, data={"csrf_token": token, **form}), path)
            assert supporter_rows() == before

        run()
    finally:
        ctx.pop()


def test_login_fuzz(make_app):
    app, ctx = _seeded(make_app)
    try:
        client = app.test_client()
        token = csrf_token(client.get("/login").get_data(as_text=True))

        @settings(FUZZ, max_examples=30)  # each attempt costs an argon2 verification
        @given(
            email=VALUE | st.emails().map(str),
            password=VALUE,
            next_url=st.none() | VALUE,
            extra=st.dictionaries(TEXT, VALUE, max_size=2),
        )
        def run(email, password, next_url, extra):
            url = "/login" + (f"?next={quote(next_url, safe='')}" if next_url is not None else "")
            response = client.post(
                url, data={**extra, "csrf_token": token, "email": email, "password": password}
            )
            assert_clean(response, repr((email, password)))
            assert response.status_code in (200, 400, 429)
            assert db.session.execute(db.select(db.func.count(User.id))).scalar() == 0

        run()
    finally:
        ctx.pop()


def test_data_request_fuzz(make_app):
    app, ctx = _seeded(make_app)
    try:
        client = app.test_client()
        token = csrf_token(client.get("/your-data").get_data(as_text=True))

        @FUZZ
        @given(email=VALUE | st.emails().map(str), website=st.sampled_from(["", "x"]) | VALUE)
        def run(email, website):
            before = total_rows()
            response = client.post(
                "/your-data", data={"csrf_token": token, "email": email, "website": website}
            )
            assert_clean(response, repr(email))
            assert response.status_code in (200, 302, 400)
            assert total_rows() == before

        run()
    finally:
        ctx.pop()


# -- every other form, found in the url map ---------------------------------------------

SKIP = ("auth.logout", "static")


def _fill(rule, ints: dict[str, str]) -> str:
    url = rule.rule
    for arg in rule.arguments:
        if arg not in rule._converters:  # a default, not part of the path
            continue
        converter = rule._converters[arg].__class__.__name__
        value = ints.get(arg, "1") if "Integer" in converter else "x"
        url = re.sub(rf"<(?:[^:>]+:)?{arg}>", value, url)
    return url


def _known_ids() -> dict[str, str]:
    from campaign.models import Campaign, LetterTemplate, Representative

    first = {
        "campaign_id": Campaign,
        "template_id": LetterTemplate,
        "rep_id": Representative,
        "user_id": User,
        "submission_id": Submission,
        "letter_id": Letter,
    }
    ids = {}
    for arg, model in first.items():
        value = db.session.execute(db.select(db.func.min(model.id))).scalar()
        ids[arg] = str(value or 1)
    return ids


def _login_admin(client, app) -> None:
    from .test_auth import PASSWORD, login

    user = db.session.execute(db.select(User).filter_by(email="admin@example.org")).scalar_one()
    user.active, user.role = True, "admin"
    user.set_password(PASSWORD)
    db.session.commit()
    assert login(client, "admin@example.org").status_code == 302


def test_every_management_form_fuzz(make_app):
    app, ctx = _seeded(make_app)
    try:
        from .test_auth import make_user

        make_user("admin@example.org", "admin")
        make_user("other@example.org", "staff")
        client = app.test_client()
        _login_admin(client, app)
        ids = _known_ids()
        # What the pages offer: every form on every GET page, by where it posts.
        forms = {}
        for rule in app.url_map.iter_rules():
            if (
                "GET" in rule.methods
                and rule.endpoint not in SKIP
                and not rule.endpoint.startswith("rq_dashboard")
            ):
                url = _fill(rule, ids)
                page = client.get(url)
                if page.mimetype == "text/html":
                    for form in forms_in(page.get_data(as_text=True)):
                        if form.method == "post":
                            forms.setdefault(form.action or url, form)
        token = next(
            f.defaults()["csrf_token"][0] for f in forms.values() if "csrf_token" in f.defaults()
        )
        routes = [
            r
            for r in app.url_map.iter_rules()
            if "POST" in r.methods
            and r.endpoint not in SKIP
            and not r.endpoint.startswith(("webhooks.", "rq_dashboard", "supporters.", "auth."))
        ]
        assert routes, "no management forms found"

        @settings(FUZZ, max_examples=100)
        @given(data=st.data())
        def run(data):
            rule = data.draw(st.sampled_from(routes), label="route")
            arg_ids = dict(ids)
            for arg in rule.arguments:
                arg_ids[arg] = data.draw(
                    st.sampled_from([ids.get(arg, "1"), "2", "999999"]), label=arg
                )
            url = _fill(rule, arg_ids)
            form = forms.get(url) or forms.get(_fill(rule, ids))
            values = form.defaults() if form else {}
            names = (
                [f.name for f in form.fields if f.kind not in ("submit", "file")] if form else []
            )
            for name in (
                data.draw(st.lists(st.sampled_from(names), unique=True), label="fuzzed")
                if names
                else []
            ):
                values[name] = [data.draw(VALUE, label=name)]
            for name, value in data.draw(
                st.dictionaries(TEXT, VALUE, max_size=2), label="extra"
            ).items():
                values.setdefault(name, [value])
            values["csrf_token"] = [
                token if data.draw(st.booleans(), label="csrf ok") else "forged"
            ]
            if form:
                for f in form.fields:
                    if f.kind == "file":
                        values[f.name] = (
                            io.BytesIO(data.draw(st.binary(max_size=2000), label=f.name)),
                            "upload.csv",
                        )
            buttons = form.buttons() if form else []
            if buttons:
                values[data.draw(st.sampled_from(buttons), label="button")] = ["1"]
            before = total_rows()
            response = client.post(url, data=values, content_type="multipart/form-data")
            assert_clean(response, f"POST {url}")
            if response.status_code >= 400:
                assert total_rows() == before, (
                    f"POST {url} was refused ({response.status_code}) but wrote"
                )
            if (
                client.get("/manage").status_code != 200
            ):  # the fuzz deactivated or demoted the admin
                _login_admin(client, app)

        run()
    finally:
        ctx.pop()


def test_import_upload_fuzz(make_app):
    """Every importer through the organisers' upload: never a 5xx, and a refused
    file stages nothing (campaign.people.importers.parse itself is fuzzed in test_importers)."""
    app, ctx = _seeded(make_app)
    try:
        rules = [r for r in app.url_map.iter_rules() if r.endpoint == "organisers.new_import"]
        if not rules:
            import pytest

            pytest.skip("no import upload in this build")
        from campaign.people.importers import FORMATS

        from .test_auth import make_user

        make_user("admin@example.org", "admin")
        client = app.test_client()
        _login_admin(client, app)
        page = client.get(rules[0].rule).get_data(as_text=True)
        token = csrf_token(page)

        @FUZZ
        @given(
            fmt=st.sampled_from(sorted(FORMATS)) | TEXT,
            content=st.binary(max_size=3000)
            | TEXT.map(str.encode)
            | st.sampled_from(
                [
                    b"external_id,name,email,country,body\n1,A,a@example.org,LT,Seimas\n",
                    b"{}",
                    b"[]",
                ]
            ),
            country=st.sampled_from(["", "LT", "xx", "\x00"]) | TEXT,
            body=TEXT,
        )
        def run(fmt, content, country, body):
            before = total_rows()
            response = client.post(
                rules[0].rule,
                data={
                    "csrf_token": token,
                    "format": fmt,
                    "country": country,
                    "body": body,
                    "file": (io.BytesIO(content), "reps.csv"),
                },
                content_type="multipart/form-data",
            )
            assert_clean(response, f"{fmt!r} {content[:40]!r}")
            if response.status_code != 302:
                assert total_rows() == before

        run()
    finally:
        ctx.pop()


def test_a_number_no_record_can_have_is_no_such_page(make_app):
    """An id past the database's integers (a tampered link) is a 404, on every page
    that takes one, for the admin who may open them all."""
    app, ctx = _seeded(make_app)
    try:
        from .test_auth import make_user

        make_user("admin@example.org", "admin")
        client = app.test_client()
        _login_admin(client, app)
        huge = "9" * 23
        pages = [
            rule
            for rule in app.url_map.iter_rules()
            if "GET" in rule.methods
            and any("Integer" in type(c).__name__ for c in rule._converters.values())
        ]
        assert pages, "no page takes a number"
        for rule in pages:
            url = _fill(rule, {arg: huge for arg in rule.arguments})
            response = client.get(url)
            assert_clean(response, f"GET {url}")
            assert response.status_code == 404, url
    finally:
        ctx.pop()
