"""The dataset card (README.md) every run writes, and the token counts it reports."""

from builder.card.config import CardConfig
from builder.card.render import CARD_NAME, render_card, write_card
from builder.card.tokens import TokenCounter, count_document_tokens

__all__ = ["CARD_NAME", "CardConfig", "TokenCounter", "count_document_tokens", "render_card", "write_card"]
