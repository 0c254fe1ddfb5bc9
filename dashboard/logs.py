"""The two log formats, each one line per event whatever the event carries.

Paths, query strings, headers, usernames and Conductor's messages reach our log lines,
and a client controls the first four: a path with %0a in it must not write a second,
forged line, and ESC or NUL must not reach a terminal. The plain format escapes every
control character; the JSON format (LOG_FORMAT=json) escapes them by being JSON.
"""

import json
import logging
import re
from datetime import UTC, datetime

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_controls(text: str) -> str:
    """Every control character as a visible escape: one line stays one line."""
    return _CONTROL.sub(lambda m: _NAMED.get(m.group(), f"\\x{ord(m.group()):02x}"), text)


class PlainFormatter(logging.Formatter):
    """The plain format, escaped: the event on one line; a traceback after it, each of its
    lines marked as belonging to the event above."""

    def format(self, record: logging.LogRecord) -> str:
        record.message = record.getMessage()
        if self.usesTime():
            record.asctime = self.formatTime(record, self.datefmt)
        line = escape_controls(self.formatMessage(record))
        blocks = []
        if record.exc_info:
            blocks.append(self.formatException(record.exc_info))
        if record.stack_info:
            blocks.append(self.formatStack(record.stack_info))
        for block in blocks:
            line += "".join(f"\n  | {escape_controls(part)}" for part in block.splitlines())
        return line


# Attributes every LogRecord has; anything else was passed with extra= and is kept.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)
