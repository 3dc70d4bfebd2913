"""Why an image was dropped: each reason becomes the counter ``image.<reason>``."""

from __future__ import annotations

from builder.errors import LoomError


class ImageRejected(LoomError):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail

    def __reduce__(self):  # keeps `reason` intact across a process boundary (decode_processes)
        return (ImageRejected, (self.reason, self.detail))
