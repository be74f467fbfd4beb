"""Small helpers the management views share."""

from __future__ import annotations

from flask import Response, abort

from campaign.core.extensions import db
from campaign.core.spreadsheet import csv_text


def get_or_404(model, object_id: int, message: str):
    instance = db.session.get(model, object_id)
    if instance is None:
        abort(404, message)
    return instance


def field_errors(form, errors: dict[str, str]) -> None:
    """Put a service's errors under the form's fields (or the form's own errors)."""
    for name, message in errors.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)


def page_number(value: str | None) -> int:
    return int(value) if value and value.isdigit() and len(value) < 7 else 1


class ListPage:
    """One page of a list already in memory, shaped like Flask-SQLAlchemy's
    Pagination (items, page, pages, total) so templates treat both alike."""

    def __init__(self, items: list, page: int, per_page: int):
        self.total = len(items)
        self.pages = max(1, -(-self.total // per_page))
        self.page = min(max(page, 1), self.pages)
        start = (self.page - 1) * per_page
        self.items = items[start : start + per_page]
        self.first = start + 1 if self.items else 0
        self.last = start + len(self.items)


def csv_download(rows: list[dict], columns, name: str) -> Response:
    """``rows`` as a CSV file to download, named ``name``.csv."""
    return Response(
        csv_text(rows, columns),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={name}.csv"},
    )
