"""Development-only pages: the local outbox. Registered only when
CAMPAIGN_ENV=development and MAIL_BACKEND=outbox."""

from email import policy
from email.parser import BytesParser

from flask import Blueprint, abort, current_app, render_template

from campaign.core.mail.outbox import OutboxBackend

bp = Blueprint("dev", __name__, url_prefix="/dev")


def _outbox() -> OutboxBackend:
    return OutboxBackend(current_app.config["OUTBOX_DIR"])


@bp.get("/outbox")
def outbox():
    messages = []
    for path in _outbox().list()[:200]:
        with path.open("rb") as fh:
            msg = BytesParser(policy=policy.default).parse(fh, headersonly=True)
        messages.append(
            {"name": path.name, "to": msg["To"], "subject": msg["Subject"], "date": msg["Date"]}
        )
    return render_template("dev/outbox.html", messages=messages)


@bp.get("/outbox/<name>")
def outbox_message(name: str):
    paths = {p.name: p for p in _outbox().list()}
    if name not in paths:
        abort(404, "No such message in the outbox.")
    with paths[name].open("rb") as fh:
        msg = BytesParser(policy=policy.default).parse(fh)
    body = msg.get_body(preferencelist=("plain",))
    return render_template(
        "dev/message.html",
        name=name,
        headers=list(msg.items()),
        text=body.get_content() if body else "",
    )
