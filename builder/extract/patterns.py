"""Tag sets and class/id patterns that tell content from boilerplate."""

from __future__ import annotations

import re
from functools import lru_cache


def words(names: str) -> frozenset[str]:
    """A set of tag (or other) names from a space-separated string."""
    return frozenset(names.split())


def _top_level_alternatives(pattern: str) -> list[str]:
    """The alternatives of a regex split at its top-level "|" (not inside groups or [...] sets)."""
    out, start, depth, i = [], 0, 0, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 1
        elif c == "[":
            i = pattern.index("]", i + 2)
        elif c in "()":
            depth += 1 if c == "(" else -1
        elif c == "|" and not depth:
            out.append(pattern[start:i])
            start = i + 1
        i += 1
    return [*out, pattern[start:]]


WRITTEN: dict[re.Pattern[str], str] = {}  # each yes_no pattern -> the pattern as written (for the tests)


def yes_no(pattern: str) -> re.Pattern[str]:
    """`pattern` compiled for yes/no searches, rearranged so Python's regex engine tries fewer
    alternatives at each position (two to three times as fast on class names): alternatives that
    start with the same letter share it, and \\b before a letter becomes a look-behind after it
    (\\bads? = a(?<!\\w.)ds?), so that letter is shared too. A search finds a match exactly when
    the original pattern's does (only which match it returns may differ)."""
    bounded, by_first, rest = [], {}, []
    for alt in _top_level_alternatives(pattern):
        if alt.startswith("\\b") and len(alt) > 3 and (alt[2].isalnum() or alt[2] == "_") and alt[3] not in "?*+{":
            alt = alt[2] + r"(?<!\w.)" + alt[3:]  # (\b before a word character: none just before it)
        if alt.startswith("\\b") and len(alt) > 2:
            bounded.append(alt[2:])
        elif len(alt) > 1 and (alt[0].isalnum() or alt[0] in "- ") and alt[1] not in "?*+{":
            by_first.setdefault(alt[0], []).append(alt[1:])
        else:
            rest.append(alt)
    grouped = [re.escape(c) + (f"(?:{'|'.join(tails)})" if len(tails) > 1 else tails[0])
               for c, tails in by_first.items()]
    if bounded:
        grouped.append(r"\b(?:" + "|".join(bounded) + ")")
    compiled = re.compile("|".join(grouped + rest))
    WRITTEN[compiled] = pattern
    return compiled


# Subtrees that never hold article text or images.
SKIP_TAGS = words(
    "script style template svg math iframe object embed canvas head title meta link button select "
    "input textarea option datalist audio video map area frame frameset applet dialog rt rp"
)
# Elements that end a paragraph (each is a box: a unit the content scorer reasons about).
BLOCK_TAGS = words(
    "address article aside blockquote body center dd details dir div dl dt fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 header hgroup hr html legend li main menu nav ol p pre section "
    "summary table tbody td tfoot th thead tr ul caption"
)
HEADINGS = words("h1 h2 h3 h4 h5 h6")
# Tags whose text node keeps this tag (TextNode.tag); other blocks give "p".
TEXT_NODE_TAGS = HEADINGS | words("li pre blockquote figcaption table dt dd td th caption")
# Always boilerplate, whatever their class says.
BOILERPLATE_TAGS = words("nav aside footer menu")
BOILERPLATE_ROLES = words(
    "navigation banner contentinfo complementary search menu menubar dialog alertdialog"
)

# Class/id words of page chrome (matched on "class id" lower-cased).
UNLIKELY = yes_no(
    r"-ad-|\bads?\b|\badvert|banner|breadcrumb|combx|comment|community|cookie|consent|gdpr|disqus|"
    r"extra|foot|header|legends|menu|related|remark|replies|rss|shoutbox|sidebar|skyscraper|social|ai2html|"
    r"cover-wrap|yom-remote|"
    r"sponsor|supplemental|ad-break|agegate|pagination|pager|popup|modal|newsletter|subscri|share(?!d)|"
    r"sharing|follow|signup|sign-up|promo|outbrain|taboola|recommend|navbar|\bnav\b|topbar|masthead|"
    r"toolbar|author-?bio|byline-social|more-stories|trending|most-popular|popular|read-?next|"
    r"widget|tags?-?list|\btags\b|login|register|rating|voting|\bvotes?\b|author|byline|"
    r"copyright|disclosure|credit|entry-meta|post-?meta|entry-tools|meta-?info|breaking"
)
# Of those, the boxes Readability removes before it scores (so never the article's pictures,
# whatever their size), unless MAYBE_CONTENT also matches. The words are those of the
# `unlikelyCandidates` list of Mozilla's Readability.js (Apache-2.0, github.com/mozilla/readability),
# kept as data because that library's output is the gold loom's images are measured against.
STRIPPED = yes_no(
    r"-ad-|ai2html|banner|breadcrumbs|combx|comment|community|cover-wrap|disqus|extra|footer|gdpr|header|"
    r"legends|menu|related|remark|replies|rss|shoutbox|sidebar|skyscraper|social|sponsor|supplemental|"
    r"ad-break|agegate|pagination|pager|popup|yom-remote"
)
# Of those, the words no wrapper of the article ever carries (a modal, a consent banner).
NEVER_CONTENT = yes_no(r"cookie|consent|gdpr|popup|modal|newsletter|disqus|comment|outbrain|taboola|agegate")
# ...unless they also say this (a "content-with-sidebar" wrapper is content).
MAYBE_CONTENT = yes_no(r"(?<![a-z])and(?![a-z])|article|body|column|content|main|shadow")
NEGATIVE = yes_no(
    r"-ad-|hidden|^hid$| hid$| hid |^hid |banner|combx|comment|com-|contact|foot|gdpr|masthead|"
    r"media|meta|outbrain|promo|related|scroll|share|shoutbox|sidebar|skyscraper|sponsor|shopping|"
    r"tags|widget|social|subscribe|newsletter|nav|menu|caption-credit|credit"
)
# The author line ("By Jane Doe, 3 May"): metadata, not text, when it is short.
BYLINE = yes_no(r"byline|author|dateline|writtenby")
POSITIVE = yes_no(r"article|body|content|entry|hentry|h-entry|main|page|post|text|blog|story|prose")
# A hidden subtree (its text is not shown to a reader).
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


def class_weight(class_id: str) -> int:
    """Readability-style weight of an element from its class and id: +25 content, -25 chrome."""
    weight = 0
    if NEGATIVE.search(class_id):
        weight -= 25
    if POSITIVE.search(class_id):
        weight += 25
    return weight


def is_unlikely(class_id: str) -> bool:
    return bool(UNLIKELY.search(class_id)) and not MAYBE_CONTENT.search(class_id)


def is_stripped(class_id: str) -> bool:
    """Whether Readability removes a box with this (lower-cased) class before it scores."""
    return bool(STRIPPED.search(class_id)) and not MAYBE_CONTENT.search(class_id)


@lru_cache(maxsize=65536)
def judge_class(klass: str, ident: str) -> tuple[int, int, bool]:
    """(weight, unlikely, byline) of an element's class and id; cached: pages repeat the same classes.

    The weight counts class and id apart, as Readability does (a "content" class and a "main" id
    make +50). unlikely: 0 content-like, 1 chrome-like, 2 chrome that can never wrap the article."""
    lowered = f"{klass} {ident}".lower()
    if len(lowered) < 2:
        return 0, 0, False
    unlikely = (2 if NEVER_CONTENT.search(lowered) else 1) if is_unlikely(lowered) else 0
    weight = (class_weight(klass.lower()) if klass else 0) + (class_weight(ident.lower()) if ident else 0)
    return weight, unlikely, bool(BYLINE.search(lowered))
