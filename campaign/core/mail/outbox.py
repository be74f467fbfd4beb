"""Development backend: every message becomes an .eml file in a folder."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from campaign.core.mail.base import OutgoingMessage, to_mime


class OutboxBackend:
    def __init__(self, directory: str):
        self.directory = Path(directory)

    def send(self, message: OutgoingMessage) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        mime = to_mime(message)
        message_id = mime["Message-ID"].strip("<>")
        # Write to a temporary name and rename, so a reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(bytes(mime))
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        name = f"{stamp}-{message_id.split('@')[0]}.eml"
        os.replace(tmp, self.directory / name)
        return message_id

    def list(self) -> list[Path]:
        if not self.directory.exists():
            return []
        return sorted(self.directory.glob("*.eml"), reverse=True)
