"""A production install needs no `make`: the sdist and the wheel built from it (as a
platform or `pip install .` builds them), the wheel installed into a fresh virtual
environment outside the checkout, then the Procfile's release command, its web
process serving pages and its worker taking jobs, all from that environment."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tarfile
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from redis import Redis
from rq import Worker

from campaign.core.i18n import INTERFACE_LANGUAGES, SOURCE_LANGUAGE

from .conftest import ROOT, free_port, fresh_database

LANGUAGES = sorted(set(INTERFACE_LANGUAGES) - {SOURCE_LANGUAGE})
# What the build may not take from the environment of the checkout it runs in.
NOT_INHERITED = ("PYTHONPATH", "VIRTUAL_ENV", "DATABASE_URL", "REDIS_URL", "CAMPAIGN_ENV")


def procfile(name: str) -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return line.removeprefix(f"{name}:").strip()
    raise AssertionError(f"no {name} process in the Procfile")


def run(command: list[str], **options) -> str:
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, **options)
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def translated(language: str, message: str) -> str:
    path = ROOT / "campaign" / "translations" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        return read_po(handle)[message].string


@pytest.fixture(scope="module")
def distributions(tmp_path_factory) -> tuple[Path, Path]:
    """The sdist, and the wheel `build` makes from it; both outside the checkout."""
    out = tmp_path_factory.mktemp("dist")
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], env=env)
    (sdist,) = out.glob("campaign-*.tar.gz")
    (wheel,) = out.glob("campaign-*.whl")
    return sdist, wheel


@pytest.mark.slow
def test_the_wheel_carries_compiled_catalogues_templates_letters_and_migrations(distributions):
    sdist, wheel = distributions
    names = set(zipfile.ZipFile(wheel).namelist())
    for language in LANGUAGES:
        assert f"campaign/translations/{language}/LC_MESSAGES/messages.mo" in names, language
    for shipped in (
        "campaign/bundled/templates/base.html",
        "campaign/bundled/letters/ministry.en.txt",
        "campaign/bundled/migrations/env.py",
        "campaign/bundled/migrations/versions/0001_initial_schema.py",
        "campaign/static/style.css",
        "campaign/translations/REVIEW.toml",
        "wsgi.py",
        "worker.py",
    ):
        assert shipped in names, shipped
    with tarfile.open(sdist) as archive:
        in_sdist = archive.getnames()
    # The sdist carries sources only: the catalogues are compiled when a wheel is built.
    assert not [name for name in in_sdist if name.endswith(".mo")]
    assert any(name.endswith("/templates/base.html") for name in in_sdist)


@pytest.mark.slow
def test_the_installed_wheel_migrates_serves_and_works_outside_the_checkout(
    distributions, redis_url, tmp_path
):
    _, wheel = distributions
    venv, app_dir = tmp_path / "venv", tmp_path / "app"
    app_dir.mkdir()
    run([sys.executable, "-m", "venv", str(venv)])
    run([str(venv / "bin" / "pip"), "install", "--quiet", str(wheel)])

    with fresh_database(tmp_path) as database_url:
        env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
        env.update(
            PATH=f"{venv / 'bin'}:{os.environ['PATH']}",
            CAMPAIGN_ENV="production",
            SECRET_KEY=os.urandom(32).hex(),
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            MAIL_BACKEND="outbox",
            OUTBOX_DIR=str(tmp_path / "outbox"),
            MAIL_FROM="letters@campaign.example.org",
            PORT=str(free_port()),
            WEB_CONCURRENCY="1",
        )

        def shell(command: str, **options):
            return ["bash", "-c", f"exec {command}"], {"cwd": app_dir, "env": env, **options}

        command, options = shell("python -c 'import campaign; print(campaign.__file__)'")
        where = run(command, **options)
        assert where.startswith(str(venv)), where  # the installed package, not the checkout

        command, options = shell(procfile("release"))
        run(command, **options)
        command, options = shell("flask --app wsgi seed demo")
        assert "seeded: created=" in run(command, **options)

        base = f"http://127.0.0.1:{env['PORT']}"
        web_log = tmp_path / "web.log"
        with web_log.open("w") as log:
            command, options = shell(procfile("web").replace("0.0.0.0", "127.0.0.1"))
            web = subprocess.Popen(command, stdout=log, stderr=log, **options)
        worker_log = tmp_path / "worker.log"
        with worker_log.open("w") as log:
            command, options = shell(procfile("worker"))
            worker = subprocess.Popen(command, stdout=log, stderr=log, **options)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
                        assert response.status == 200
                        break
                except OSError:
                    assert web.poll() is None, web_log.read_text()
                    assert time.monotonic() < deadline, web_log.read_text()
                    time.sleep(0.3)
            with urllib.request.urlopen(f"{base}/?lang=be", timeout=30) as response:
                page = response.read().decode()
                assert response.status == 200
            # Templates found, and the Belarusian catalogue compiled into the wheel used.
            assert translated("be", "Your data") in page
            with urllib.request.urlopen(f"{base}/static/style.css", timeout=30) as response:
                assert response.status == 200

            connection = Redis.from_url(redis_url)
            while not any(w.pid == worker.pid for w in Worker.all(connection=connection)):
                assert worker.poll() is None, worker_log.read_text()
                assert time.monotonic() < deadline, worker_log.read_text()
                time.sleep(0.3)
            connection.close()
        finally:
            for process in (web, worker):
                process.send_signal(signal.SIGTERM)
            for process in (web, worker):
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        assert "GET /?lang=be" not in web_log.read_text()  # the Procfile's private log
        assert "GET / 200" in web_log.read_text()
