"""Render a template file to a subject, plain text and HTML.

Templates live in `portalsync/templates/<kind>.<locale>.txt`: a `Subject:` line, a blank line, then
paragraphs separated by blank lines; lines starting with "- " form a list. The HTML is derived from the same
text, so the two parts cannot drift apart. Values are escaped for HTML (names come from a roster anyone
may edit); only URLs written in the template and values named `*_url` that are plain http(s) URLs
become links.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from string import Template

#: A value is a string, or a list rendered as "- " lines (text) or <ul> (HTML).
Value = str | Sequence[str]

_URL = re.compile(r"https?://[^\s<>\"']+")
_PLACEHOLDER = re.compile(r"^\$(\w+)$")
_STYLE = "font-family:sans-serif;font-size:14px;line-height:1.5"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@functools.cache
def load(kind: str, locale: str) -> tuple[str, str]:
    """(subject template, body template) of one kind in one locale."""
    source = resources.files("portalsync.templates").joinpath(f"{kind}.{locale}.txt").read_text("utf-8")
    head, _, body = source.partition("\n\n")
    if not head.startswith("Subject: "):
        raise ValueError(f"{kind}.{locale}.txt: the first line must be 'Subject: ...'")
    return head.removeprefix("Subject: ").strip(), body.strip()


def _text_value(value: Value) -> str:
    if isinstance(value, str):
        return value
    return "\n".join("- " + item.replace("\n", "\n  ") for item in value)


def _html_value(value: Value) -> str:
    if isinstance(value, str):
        return html.escape(value).replace("\n", "<br>\n")
    items = "".join(f"<li>{_html_value(item)}</li>\n" for item in value)
    return f"<ul>\n{items}</ul>"


def _html_link(value: str) -> str:
    if not _URL.fullmatch(value):
        return _html_value(value)
    escaped = html.escape(value)
    return f'<a href="{escaped}">{escaped}</a>'


def _html_line(line: str, values: Mapping[str, str]) -> str:
    escaped = _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', html.escape(line))
    return Template(escaped).substitute(values)


def _html_block(block: str, raw: Mapping[str, Value], values: Mapping[str, str]) -> str:
    lines = block.splitlines()
    alone = _PLACEHOLDER.match(block.strip())
    if alone and not isinstance(raw.get(alone.group(1), ""), str):
        return values[alone.group(1)]
    if all(line.startswith("- ") for line in lines):
        items = "".join(f"<li>{_html_line(line[2:], values)}</li>\n" for line in lines)
        return f"<ul>\n{items}</ul>"
    return "<p>" + "<br>\n".join(_html_line(line, values) for line in lines) + "</p>"


def render(kind: str, locale: str, values: Mapping[str, Value]) -> Rendered:
    """Fill in a template; a missing value is a KeyError (a template and its caller disagree)."""
    subject_t, body_t = load(kind, locale)
    text_values = {k: _text_value(v) for k, v in values.items()}
    subject = " ".join(Template(subject_t).substitute(text_values).split())  # no line breaks in a header
    text = Template(body_t).substitute(text_values) + "\n"
    html_values = {
        k: _html_link(v) if k.endswith("_url") and isinstance(v, str) else _html_value(v)
        for k, v in values.items()
    }
    blocks = [_html_block(b, values, html_values) for b in re.split(r"\n\s*\n", body_t)]
    body = "\n".join(blocks)
    page = (
        f'<!DOCTYPE html>\n<html lang="{html.escape(locale)}"><head><meta charset="utf-8">'
        f'<title>{html.escape(subject)}</title></head>\n<body style="{_STYLE}">\n{body}\n</body></html>\n'
    )
    return Rendered(subject, text, page)
