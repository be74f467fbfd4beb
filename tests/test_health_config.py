"""GET /healthz and configuration failing fast."""

import pytest

from campaign import create_app
from campaign.core.config import ConfigError, load_config


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "database": "ok",
        "redis": "ok",
        "dispatch": "ok",
    }


def test_healthz_503_when_redis_is_down(make_app):
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["redis"] == "unavailable"
    assert response.get_json()["database"] == "ok"


def test_healthz_503_when_the_database_is_down(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unavailable"


def test_production_refuses_to_start_without_secret_key(monkeypatch, tmp_path):
    for name in ("SECRET_KEY", "CAMPAIGN_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/campaign")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("MAIL_BACKEND", "sendgrid")
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.x")
    monkeypatch.setenv("MAIL_FROM", "letters@example.org")
    monkeypatch.setenv("INBOUND_SECRET", "i" * 32)
    monkeypatch.setenv("SENDGRID_WEBHOOK_PUBLIC_KEY", "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config(str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    config = load_config(str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://db/campaign"
    assert config["SESSION_COOKIE_SECURE"] is True


def test_development_runs_on_embedded_defaults(monkeypatch, tmp_path):
    for name in ("SECRET_KEY", "DATABASE_URL", "MAIL_BACKEND", "MAIL_FROM", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CAMPAIGN_ENV", "development")
    config = load_config(str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert config["MAIL_BACKEND"] == "outbox"
    assert len(config["SECRET_KEY"]) >= 32


@pytest.mark.parametrize(
    "env,message",
    [
        ({"MAIL_BACKEND": "carrier-pigeon"}, "MAIL_BACKEND must be one of"),
        ({"MAIL_BACKEND": "sendgrid"}, "needs SENDGRID_API_KEY"),
        ({"MAIL_BACKEND": "smtp"}, "needs SMTP_URL"),
        ({"SENDGRID_TIMEOUT": "soon"}, "SENDGRID_TIMEOUT must be a number"),
        ({"SENDGRID_CONCURRENCY": "0"}, "SENDGRID_CONCURRENCY must be above 0"),
        ({"SENDGRID_CONCURRENCY": "many"}, "SENDGRID_CONCURRENCY must be"),
    ],
)
def test_bad_settings_name_the_setting(monkeypatch, tmp_path, env, message):
    monkeypatch.setenv("CAMPAIGN_ENV", "development")
    monkeypatch.delenv("SENDGRID_API_KEY", raising=False)
    monkeypatch.delenv("SMTP_URL", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError, match=message):
        load_config(str(tmp_path))


def test_outbox_pages_exist_only_in_development(make_app):
    assert make_app().test_client().get("/dev/outbox").status_code == 404
    dev = make_app(ENV="development")
    assert dev.test_client().get("/dev/outbox").status_code == 200


def test_error_pages_show_no_traceback(make_app):
    app = make_app()

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "secret internals" not in body and "Traceback" not in body


def test_create_app_has_no_import_time_app():
    import campaign

    assert not hasattr(campaign, "app")
    assert callable(create_app)
