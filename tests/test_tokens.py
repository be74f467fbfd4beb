"""L2: tokens in supporters' links carry no readable id. The review read `MQ.` at
the start of a status token as base64 of "1", and so how many submissions exist.
Tokens issued before the change keep working until they expire."""

from __future__ import annotations

import base64
import time

import itsdangerous.timed
from itsdangerous import URLSafeTimedSerializer

from campaign.core import tokens

from .test_privacy import write


def _legacy(app, purpose: str, ident: int, seconds_ago: float = 0) -> str:
    """A token as the app made them before: signed, the id readable before the dot."""
    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=purpose)
    then = time.time() - seconds_ago
    real = itsdangerous.timed.time.time
    itsdangerous.timed.time.time = lambda: then
    try:
        return serializer.dumps(ident)
    finally:
        itsdangerous.timed.time.time = real


def _decoded(token: str) -> bytes:
    head = token.split(".")[0]
    return base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))


def test_the_old_format_was_readable(app):
    assert _decoded(_legacy(app, tokens.STATUS, 1)) == b"1"


def test_a_token_reveals_nothing_of_its_id(app):
    for ident in (1, 2, 1234567):
        token = tokens.make_token(tokens.STATUS, ident)
        assert "." not in token and len(token) == tokens.TOKEN_LENGTH
        raw = _decoded(token)
        # The review's reading (base64 of the id before a dot) finds nothing.
        assert raw != str(ident).encode() and not raw.startswith(str(ident).encode() + b".")
        assert ident.to_bytes(8, "big") not in raw and ident.to_bytes(4, "big") not in raw
        # The same id twice: two unrelated tokens.
        assert tokens.make_token(tokens.STATUS, ident) != token
        assert tokens.read_token(tokens.STATUS, token) == ident


def test_forged_tampered_and_cross_purpose_tokens_are_refused(seeded, client):
    submission = write(client)
    token = tokens.make_token(tokens.STATUS, submission.id)
    flipped = token[:20] + ("A" if token[20] != "A" else "B") + token[21:]
    for bad in (flipped, token[:-1], token + "A", "x" * tokens.TOKEN_LENGTH, "é" * 54):
        assert client.get(f"/status/{bad}").status_code == 404, bad
    confirm = tokens.make_token(tokens.CONFIRM, submission.id)
    assert client.get(f"/status/{confirm}").status_code == 404
    assert client.get(f"/your-data/{confirm}").status_code == 404
    assert client.get(f"/confirm/{confirm}").status_code == 200


def test_links_issued_before_the_change_keep_working_until_they_expire(seeded, client, app):
    submission = write(client)
    assert client.get(f"/status/{_legacy(app, tokens.STATUS, submission.id)}").status_code == 200
    assert client.get(f"/confirm/{_legacy(app, tokens.CONFIRM, submission.id)}").status_code == 200
    data = _legacy(app, tokens.SUPPORTER_DATA, submission.supporter_id)
    assert client.get(f"/your-data/{data}").status_code == 200
    old_data = _legacy(app, tokens.SUPPORTER_DATA, submission.supporter_id, 25 * 3600)
    assert client.get(f"/your-data/{old_data}").status_code == 410
    old_confirm = _legacy(app, tokens.CONFIRM, submission.id, 8 * 86400)
    assert client.get(f"/confirm/{old_confirm}").status_code == 410


def test_new_tokens_expire_too(seeded, client, monkeypatch):
    submission = write(client)
    path = f"/your-data/{tokens.make_token(tokens.SUPPORTER_DATA, submission.supporter_id)}"
    assert client.get(path).status_code == 200
    later = time.time() + 25 * 3600
    monkeypatch.setattr(time, "time", lambda: later)
    assert client.get(path).status_code == 410
