"""NSFW score of an image with NudeNet's bundled ONNX detector (offline, CPU).

The score is the highest confidence among NudeNet's *exposed* classes (genitalia, breasts,
buttocks, anus); 0.0 when none is detected. NudeNet is the optional extra ``loom[nsfw]``.
"""

from __future__ import annotations

import io
import os
import tempfile
import threading
from typing import Any

from builder.errors import LoomError

NSFW_CLASSES = frozenset({
    "FEMALE_GENITALIA_EXPOSED",
    "MALE_GENITALIA_EXPOSED",
    "FEMALE_BREAST_EXPOSED",
    "BUTTOCKS_EXPOSED",
    "ANUS_EXPOSED",
})
# NudeNet looks at 320x320; decoding larger than this only costs time.
_MAX_SIDE = 640


class NsfwUnavailable(LoomError, RuntimeError):
    """The NSFW filter is enabled but NudeNet is not installed."""


def nudenet_available() -> bool:
    try:
        import nudenet  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


class NsfwScorer:
    """Loads the detector on first use (so a stage stays cheap to pickle to workers)."""

    def __init__(self, cache_dir: str | None = None) -> None:
        self.cache_dir = cache_dir
        self._detector: Any = None
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {"cache_dir": self.cache_dir}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["cache_dir"])

    def _load(self) -> Any:
        if not nudenet_available():
            raise NsfwUnavailable("the NSFW filter needs NudeNet: pip install 'loom[nsfw]' "
                                  "(or set filters.images.nsfw.enabled: false)")
        # onnxruntime and its dependencies may write caches: keep them out of the home folder.
        cache = self.cache_dir or os.path.join(tempfile.gettempdir(), "loom-onnxruntime")
        os.makedirs(cache, exist_ok=True)
        os.environ.setdefault("XDG_CACHE_HOME", cache)
        import nudenet
        import onnxruntime
        from nudenet import NudeDetector

        detector = NudeDetector()
        # One thread: the run parallelises over partitions, not inside one image.
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        detector.onnx_session = onnxruntime.InferenceSession(
            os.path.join(os.path.dirname(nudenet.__file__), "320n.onnx"),
            sess_options=options, providers=["CPUExecutionProvider"])
        return detector

    def score(self, data: bytes) -> float:
        """NSFW score in [0, 1] of encoded image bytes; raises ValueError on undecodable bytes."""
        import numpy as np
        from PIL import Image

        with self._lock:
            if self._detector is None:
                self._detector = self._load()
        try:
            with Image.open(io.BytesIO(data)) as img:
                img.draft("RGB", (_MAX_SIDE, _MAX_SIDE))  # cheap JPEG downscale while decoding
                img.thumbnail((_MAX_SIDE, _MAX_SIDE))
                rgba = np.asarray(img.convert("RGBA"))  # NudeNet converts RGBA to BGR itself
        except Exception as exc:  # Pillow raises many types on bad bytes
            raise ValueError(f"cannot decode image: {exc}") from exc
        detections = self._detector.detect(rgba)
        return max((float(d["score"]) for d in detections if d.get("class") in NSFW_CLASSES), default=0.0)
