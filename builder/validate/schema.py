"""The sample JSON of the shard format, as code: `sample_problems` lists what breaks the spec.

docs/shard-format.md is the prose form of the same rules; keep the two together.
"""

from __future__ import annotations

import re
from typing import Any

from builder.shards.format import IMAGE_EXTS

REQUIRED_KEYS = {"key": str, "url": str, "texts": list, "images": list, "text_info": list,
                 "image_info": list, "metadata": dict, "scores": dict}
OPTIONAL_KEYS = {"provenance": dict, "removed": list}  # "removed": format 1.2
IMAGE_REF_RE = re.compile(r"^(\d+)\.([a-z0-9]+)$")
URL_REF_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")  # a URL-only image (format 1.2)
REMOVAL_KINDS = {"text": "text", "image": "url"}


def sample_problems(data: Any, key: str) -> list[str]:
    """Every way the parsed ``KEY.json`` of sample `key` breaks format version 1.2 (empty if none)."""
    if not isinstance(data, dict):
        return [f"{key}: JSON is a {type(data).__name__}, not an object"]
    problems = []
    for name, kind in REQUIRED_KEYS.items():
        if name not in data:
            problems.append(f"{key}: missing field {name!r}")
        elif not isinstance(data[name], kind):
            problems.append(f"{key}: field {name!r} is a {type(data[name]).__name__}, not a {kind.__name__}")
    for name, kind in OPTIONAL_KEYS.items():
        if name in data and not isinstance(data[name], kind):
            problems.append(f"{key}: field {name!r} is a {type(data[name]).__name__}, not a {kind.__name__}")
    unknown = sorted(set(data) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS))
    if unknown:
        problems.append(f"{key}: unknown field(s) {unknown}")
    if problems:
        return problems
    if data["key"] != key:
        problems.append(f"{key}: JSON says key {data['key']!r}, its members say {key!r}")
    for name, value in data["scores"].items():
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            problems.append(f"{key}: score {name!r} is not a number")
    if "provenance" in data and not isinstance(data["provenance"].get("url"), str):
        problems.append(f"{key}: provenance has no url")
    problems.extend(_alignment_problems(data, key))
    problems.extend(_removal_problems(data.get("removed") or [], len(data["texts"]), key))
    return problems


def _removal_problems(removed: list[Any], n_nodes: int, key: str) -> list[str]:
    """Each removal names a free position, its kind, a reason, and the text or URL removed."""
    problems = []
    positions: set[int] = set()
    for j, record in enumerate(removed):
        where = f"{key}: removed[{j}]"
        if not isinstance(record, dict):
            problems.append(f"{where} is not an object")
            continue
        position, kind = record.get("position"), record.get("kind")
        if not isinstance(position, int) or isinstance(position, bool) or position < 0:
            problems.append(f"{where}: position {position!r} is not a non-negative integer")
        elif position in positions:
            problems.append(f"{where}: position {position} removed twice")
        else:
            positions.add(position)
        if kind not in REMOVAL_KINDS:
            problems.append(f"{where}: kind {kind!r} is not 'text' or 'image'")
        elif not isinstance(record.get(REMOVAL_KINDS[kind]), str):
            problems.append(f"{where}: a removed {kind} needs its {REMOVAL_KINDS[kind]}")
        if not isinstance(record.get("reason"), str) or "." not in record["reason"]:
            problems.append(f"{where}: reason {record.get('reason')!r} is not '<unit>.<why>'")
    if positions and max(positions) >= n_nodes + len(removed):
        problems.append(f"{key}: removed positions go past the {n_nodes + len(removed)} nodes extracted")
    return problems


def _alignment_problems(data: dict[str, Any], key: str) -> list[str]:
    texts, images = data["texts"], data["images"]
    text_info, image_info = data["text_info"], data["image_info"]
    lengths = {len(texts), len(images), len(text_info), len(image_info)}
    if len(lengths) != 1:
        return [f"{key}: texts/images/text_info/image_info lengths differ "
                f"({len(texts)}/{len(images)}/{len(text_info)}/{len(image_info)})"]
    problems = []
    n_image = 0
    for i, (text, image) in enumerate(zip(texts, images, strict=True)):
        if (text is None) == (image is None):
            problems.append(f"{key}: position {i} must hold exactly one of a text and an image")
            continue
        if text is not None:
            if not isinstance(text, str) or not text.strip():
                problems.append(f"{key}: position {i}: text is empty or not a string")
            if not isinstance(text_info[i], dict) or image_info[i] is not None:
                problems.append(f"{key}: position {i}: a text needs text_info (object) and no image_info")
            continue
        info = image_info[i]
        if isinstance(image, str) and URL_REF_RE.match(image):  # URL-only: no member
            if not isinstance(info, dict) or info.get("src") != image:
                problems.append(f"{key}: position {i}: URL-only image {image!r} needs image_info with that src")
            continue
        match = IMAGE_REF_RE.match(image) if isinstance(image, str) else None
        if not match or int(match.group(1)) != n_image or match.group(2) not in IMAGE_EXTS:
            problems.append(f"{key}: position {i}: image reference {image!r} should be "
                            f"'{n_image}.<{'|'.join(IMAGE_EXTS)}>' or a URL")
        if not isinstance(info, dict) or text_info[i] is not None:
            problems.append(f"{key}: position {i}: an image needs image_info (object) and no text_info")
        elif not isinstance(info.get("src"), str):
            problems.append(f"{key}: position {i}: image_info has no src")
        elif "url" in info and not isinstance(info["url"], str):
            problems.append(f"{key}: position {i}: image_info url is not a string")
        elif "candidates" in info and not (
            isinstance(info["candidates"], list) and all(isinstance(c, str) for c in info["candidates"])
        ):
            problems.append(f"{key}: position {i}: image_info candidates is not a list of strings")
        n_image += 1
    return problems


def image_refs(data: dict[str, Any]) -> list[str]:
    """The member suffixes a sample's JSON refers to (URL-only images have no member)."""
    return [ref for ref in data.get("images", []) if isinstance(ref, str) and not URL_REF_RE.match(ref)]
