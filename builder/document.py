"""The record that flows through every stage: a page as an ordered list of nodes.

A `Document` is an ordered sequence of `TextNode` and `ImageNode`, plus metadata
(title, language, robots directives, ...), provenance (where the bytes came from)
and quality scores. Its JSON form uses OBELICS-aligned parallel lists: position i
holds either a text (``texts[i]``) or an image (``images[i]``), never both.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable, Union


@dataclass(slots=True)
class TextNode:
    """A paragraph (or heading, list item, table, code block) of text."""

    text: str
    tag: str = "p"
    scores: dict[str, float] = field(default_factory=dict)

    @property
    def type(self) -> str:
        return "text"


@dataclass(slots=True)
class ImageNode:
    """An image in the page. `data` holds the stored bytes once the image stage fetched them.

    `info` carries what the image stage learned (width, height, format, sha256, phash,
    original size, where the bytes came from, ``url``: the candidate whose bytes were used);
    it is kept in the JSON. `data` is not: in a shard it is its own tar member.

    `candidates` are every URL the page gives for this picture (src, each srcset and
    ``<source>`` candidate, lazy-loading attributes), in preference order, `src` first; the
    image stage tries them all in the archive and falls back along them on the network.
    Empty means just `src`.
    """

    src: str
    alt: str = ""
    caption: str = ""
    info: dict[str, Any] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)
    data: bytes | None = field(default=None, repr=False, compare=False)
    candidates: list[str] = field(default_factory=list)

    def urls(self) -> list[str]:
        """Every URL to try for this image, `src` first, each once."""
        if not self.candidates:
            return [self.src] if self.src else []
        return list(dict.fromkeys([self.src, *self.candidates] if self.src else self.candidates))

    @property
    def type(self) -> str:
        return "image"

    @property
    def ext(self) -> str:
        """File extension of the stored bytes, from the decoded format (``jpg`` if unknown)."""
        fmt = str(self.info.get("format") or "jpeg").lower()
        return {"jpeg": "jpg", "mpo": "jpg"}.get(fmt, fmt)


Node = Union[TextNode, ImageNode]


@dataclass(slots=True)
class Removal:
    """A node a stage removed from a document, and why (shard format 1.2 ``"removed"``).

    `position` is the node's index in the document's node order as extracted, before any
    removal, so a viewer can put it back in place.
    """

    position: int
    kind: str  # "text" | "image"
    reason: str  # the counted drop reason, e.g. "paragraph.stopwords", "image.dns_error"
    text: str | None = None  # the paragraph (text removals)
    url: str | None = None  # the image URL (image removals)

    def to_dict(self) -> dict[str, Any]:
        return {"position": self.position, "kind": self.kind, "reason": self.reason,
                "text": self.text, "url": self.url}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Removal:
        return cls(int(data["position"]), str(data["kind"]), str(data["reason"]),
                   data.get("text"), data.get("url"))


@dataclass(slots=True)
class Provenance:
    """Where a document's bytes came from, enough to find them again."""

    url: str
    fetched: str | None = None  # ISO 8601, UTC
    source: str | None = None  # "warc", "html", "crawl", "parquet", ...
    file: str | None = None  # the local file a page was read from (html source)
    warc_file: str | None = None
    warc_offset: int | None = None
    warc_length: int | None = None
    warc_record_id: str | None = None
    payload_digest: str | None = None  # WARC-Payload-Digest (sha1:<base32>): the content's identity

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__ if getattr(self, k) is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Provenance:
        return cls(**{k: v for k, v in data.items() if k in cls.__slots__})


def document_key(url: str, discriminator: str = "") -> str:
    """A stable, dot-free sample key: the same page always gets the same key."""
    return hashlib.sha256(f"{url}\x00{discriminator}".encode()).hexdigest()[:20]


ImageRef = Callable[[int, ImageNode], str]


def _src_ref(_: int, node: ImageNode) -> str:
    return node.src


@dataclass(slots=True)
class Document:
    id: str
    url: str
    nodes: list[Node] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    provenance: Provenance | None = None
    scores: dict[str, float] = field(default_factory=dict)
    removed: list[Removal] = field(default_factory=list)  # what stages took out, in removal order

    @property
    def texts(self) -> list[TextNode]:
        return [n for n in self.nodes if isinstance(n, TextNode)]

    @property
    def images(self) -> list[ImageNode]:
        return [n for n in self.nodes if isinstance(n, ImageNode)]

    def text(self, sep: str = "\n\n") -> str:
        """All text of the document, paragraphs joined by `sep`."""
        return sep.join(n.text for n in self.nodes if isinstance(n, TextNode))

    def node_positions(self) -> list[int]:
        """Each current node's position in the document as extracted (removed ones skipped)."""
        taken = {r.position for r in self.removed}
        positions: list[int] = []
        p = 0
        for _ in self.nodes:
            while p in taken:
                p += 1
            positions.append(p)
            p += 1
        return positions

    def remove_nodes(self, reasons: dict[int, str]) -> list[Removal]:
        """Remove the nodes whose ``id()`` is in `reasons`, recording each with its reason."""
        if not reasons:
            return []
        records: list[Removal] = []
        kept: list[Node] = []
        for node, position in zip(self.nodes, self.node_positions()):
            reason = reasons.get(id(node))
            if reason is None:
                kept.append(node)
            elif isinstance(node, TextNode):
                records.append(Removal(position, "text", reason, text=node.text))
            else:
                records.append(Removal(position, "image", reason, url=node.src))
        self.nodes = kept
        self.removed.extend(records)
        return records

    def removal_reasons(self, kind: str) -> dict[str, int]:
        """How many nodes of `kind` ("text" or "image") each reason removed."""
        tally: dict[str, int] = {}
        for record in self.removed:
            if record.kind == kind:
                tally[record.reason] = tally.get(record.reason, 0) + 1
        return tally

    def to_dict(self, image_ref: ImageRef = _src_ref) -> dict[str, Any]:
        """OBELICS-aligned JSON form. `image_ref(i, node)` names the i-th image (URL or member)."""
        texts: list[str | None] = []
        images: list[str | None] = []
        text_info: list[dict[str, Any] | None] = []
        image_info: list[dict[str, Any] | None] = []
        n_image = 0
        for node in self.nodes:
            if isinstance(node, TextNode):
                texts.append(node.text)
                images.append(None)
                info: dict[str, Any] = {"tag": node.tag}
                if node.scores:
                    info["scores"] = node.scores
                text_info.append(info)
                image_info.append(None)
            else:
                texts.append(None)
                images.append(image_ref(n_image, node))
                n_image += 1
                info = {"src": node.src, **node.info}
                if node.alt:
                    info["alt"] = node.alt
                if node.caption:
                    info["caption"] = node.caption
                if node.candidates:
                    info["candidates"] = node.candidates
                if node.scores:
                    info["scores"] = node.scores
                image_info.append(info)
                text_info.append(None)
        out: dict[str, Any] = {
            "key": self.id,
            "url": self.url,
            "texts": texts,
            "images": images,
            "text_info": text_info,
            "image_info": image_info,
            "metadata": self.metadata,
            "scores": self.scores,
            "removed": [r.to_dict() for r in self.removed],
        }
        if self.provenance is not None:
            out["provenance"] = self.provenance.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        """Inverse of `to_dict`. Image sources come from ``image_info[i]["src"]`` when present."""
        texts, images = data["texts"], data["images"]
        if len(texts) != len(images):
            raise ValueError("texts and images must have the same length")
        text_info = data.get("text_info") or [None] * len(texts)
        image_info = data.get("image_info") or [None] * len(texts)
        nodes: list[Node] = []
        for i, (text, image) in enumerate(zip(texts, images)):
            if (text is None) == (image is None):
                raise ValueError(f"position {i}: exactly one of texts[i] and images[i] must be set")
            if text is not None:
                tinfo = text_info[i] or {}
                nodes.append(TextNode(text, tinfo.get("tag", "p"), dict(tinfo.get("scores", {}))))
            else:
                iinfo = dict(image_info[i] or {})
                src = iinfo.pop("src", image)
                alt = iinfo.pop("alt", "")
                caption = iinfo.pop("caption", "")
                scores = iinfo.pop("scores", {})
                candidates = iinfo.pop("candidates", None)
                nodes.append(ImageNode(src, alt, caption, iinfo, dict(scores),
                                       candidates=[str(c) for c in candidates or []]))
        prov = data.get("provenance")
        return cls(
            id=data["key"],
            url=data["url"],
            nodes=nodes,
            metadata=dict(data.get("metadata") or {}),
            provenance=Provenance.from_dict(prov) if prov else None,
            scores=dict(data.get("scores") or {}),
            removed=[Removal.from_dict(r) for r in data.get("removed") or []],
        )
