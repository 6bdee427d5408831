"""Rare characters in Kivy widgets: the font fallback chain (kiosk/fonts.py) as label markup, text inputs that
switch to a face covering their text, and a checker that finds any widget showing a character its font lacks.

Kivy's SDL2 text provider draws a label in one font. A label whose text has characters the primary font lacks
gets [font=...] runs for them (set_text); a TextInput, which has no markup, takes the first face of the chain
that draws its whole text (fit_input). undrawn(root) walks a widget tree and reports every label and text input
showing a character that the font in effect cannot draw: the screens' test runs it over every screen.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterator

from kivy.utils import escape_markup

from kiosk.fonts import CJK_FONT, chain, missing_in


def markup(text: str) -> str:
    """Plain text as Kivy markup: escaped, with a [font=...] run for every stretch the primary face lacks."""
    fc = chain()
    out = []
    for face, run in fc.runs(text):
        escaped = escape_markup(run)
        if face is None or face == fc.primary:
            out.append(escaped)
        else:
            out.append(f"[font={face.path}]{escaped}[/font]")
    return "".join(out)


def needs_fallback(text: str) -> bool:
    fc = chain()
    return fc.primary is None or any(not fc.covers(fc.primary, ch) for ch in text)


def set_text(label, text: str) -> None:
    """Show plain `text` in a Label (or Button): as is when the label's font draws it all, as markup runs
    otherwise. The one call every label showing user data (names, schools, candidates) should use."""
    if needs_fallback(text):
        label.markup = True
        label.text = markup(text)
    else:
        label.text = escape_markup(text) if label.markup else text


def input_font(text: str) -> str:
    """The font path a single-font widget should use for `text`: the primary font unless it lacks a character."""
    if not needs_fallback(text):
        return CJK_FONT
    face = chain().single_face(text)
    return face.path if face is not None else CJK_FONT


def fit_input(text_input) -> None:
    """Keep a TextInput's font able to draw its text and hint: switches faces as the text changes."""
    if getattr(text_input, "_glyphs_fitted", False):
        return
    text_input._glyphs_fitted = True

    def refit(*_):
        path = input_font(text_input.text + text_input.hint_text)
        if text_input.font_name != path:
            text_input.font_name = path

    text_input.bind(text=refit, hint_text=refit)
    refit()


# -- checking ----------------------------------------------------------------------------------------------------
_TAG = re.compile(r"\[(/?)(\w+)(?:=([^\]]*))?\]")
_ENTITIES = (("&bl;", "["), ("&br;", "]"), ("&amp;", "&"))


def _unescape(text: str) -> str:
    for entity, ch in _ENTITIES:
        text = text.replace(entity, ch)
    return text


def markup_runs(text: str, font: str) -> Iterator[tuple[str, str]]:
    """(font, plain text) runs of a Kivy markup string whose base font is `font`."""
    stack = [font]
    pos = 0
    for match in _TAG.finditer(text):
        if match.start() > pos:
            yield stack[-1], _unescape(text[pos:match.start()])
        closing, tag, value = match.groups()
        if tag == "font":
            if closing and len(stack) > 1:
                stack.pop()
            elif not closing:
                stack.append(value or stack[-1])
        pos = match.end()
    if pos < len(text):
        yield stack[-1], _unescape(text[pos:])


def font_file(name: str) -> str | None:
    """The file behind a Kivy font name (a path, or a registered name such as Roboto)."""
    if os.path.isfile(name):
        return name
    from kivy.core.text import LabelBase
    from kivy.resources import resource_find

    registered = getattr(LabelBase, "_fonts", {}).get(name)
    if registered:
        return registered[0]
    return resource_find(name) or resource_find(name + ".ttf")


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)


def undrawn(root) -> list[tuple[object, str]]:
    """(widget, characters its font lacks) for every Label/TextInput under root whose text would show
    boxes. Empty means every glyph on screen is drawn."""
    from kivy.uix.label import Label
    from kivy.uix.textinput import TextInput

    problems = []
    for widget in _walk(root):
        if isinstance(widget, Label):
            runs = markup_runs(widget.text, widget.font_name) if widget.markup else [(widget.font_name,
                                                                                       widget.text)]
        elif isinstance(widget, TextInput):
            shown = "*" * len(widget.text) if widget.password else widget.text
            runs = [(widget.font_name, shown + widget.hint_text)]
        else:
            continue
        lacking = ""
        for font, text in runs:
            path = font_file(font)
            lacking += text if path is None else missing_in(path, text)
        if lacking:
            problems.append((widget, "".join(dict.fromkeys(lacking))))
    return problems
