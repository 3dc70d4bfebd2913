"""Settings of the dataset card and of the token counts (section `card:`)."""

from __future__ import annotations

from pydantic import Field

from builder.config_base import Section

IDEFICS2 = "HuggingFaceM4/idefics2-8b"
DEFAULT_LICENSE_NOTE = ("The documents and images are web content collected by loom; they keep their authors' "
                        "copyright and licences. The card, the shard layout and the metadata are loom's. Check "
                        "the terms of each source before any use.")


class CardConfig(Section):
    """README.md in the output: a Hugging Face dataset card written from the run (docs/card.md)."""

    enabled: bool = True  # write README.md at the end of every run
    # Text tokens are counted with this tokenizer when the `tokenizers` package (extra `validate`)
    # is installed and the tokenizer is on this machine: a tokenizer.json file, a folder holding
    # one, or a hub id already in the Hugging Face cache (nothing is downloaded). Else: whitespace words.
    tokenizer: str | None = IDEFICS2  # null: always the whitespace proxy
    image_seq_len: int = Field(64, ge=1)  # tokens per image (Idefics2's perceiver: 64)
    image_splitting: bool = False  # Idefics2 do_image_splitting: 4 crops + the image, x5 tokens
    pretty_name: str | None = None  # the card's title; null: the run's `name`
    license_note: str = DEFAULT_LICENSE_NOTE  # why `license: other`
