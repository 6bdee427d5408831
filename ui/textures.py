"""What the labels' rendered text costs in memory (on the software GL of a kiosk without a GPU, every texture is
heap). A label's text is rendered by Kivy's SDL2 text provider into an SDL surface and uploaded as a texture:

- drop_render_surfaces: the provider keeps each label's last surface after its texture is made, a second RGBA
  copy of every label on every screen shown; it is dropped once the texture data is taken;
- release/restore: the labels of the screens a student saw give their textures back when the student has gone
  (`release`, at the attract screen) and render again as their screen is next made current (`on_current`, bound to
  the ScreenManager's `current`, before any frame draws it): a screen's first showing per student renders its
  labels, 10-40 ms (bench_ui).
"""
from __future__ import annotations

def drop_render_surfaces() -> None:
    """Kivy's SDL2 text provider keeps each label's last rendered SDL surface after its texture is made: a second
    RGBA copy of every label on every screen shown (14 MB after one registration, bench_ui). The surface is only
    the texture's source, so it is dropped once the texture data is taken (a re-render makes a new one)."""
    from kivy.core.text import Label as CoreLabel

    if getattr(CoreLabel, "_drops_surface", False) or not hasattr(CoreLabel, "_render_end"):
        return
    render_end = CoreLabel._render_end

    def _render_end(self):
        try:
            return render_end(self)
        finally:
            self.__dict__.pop("_surface", None)

    CoreLabel._render_end, CoreLabel._drops_surface = _render_end, True


def release(root) -> int:
    """Drops the texture of every label with text under root (a screen not shown); the number released."""
    from kivy.uix.label import Label

    released = 0
    for widget in root.walk(restrict=True):
        if isinstance(widget, Label) and widget.texture is not None and widget.text:
            widget._label.texture = None  # the core label's reference: its next refresh makes a new texture
            widget.texture = None
            widget.released_texture = True
            released += 1
    return released


def on_current(manager, name: str) -> None:
    """ScreenManager.current changed: the screen now shown gets its released labels back."""
    if manager.has_screen(name):
        restore(manager.get_screen(name))


def restore(root) -> None:
    """Renders again the labels under root that release() emptied (before the screen is drawn: never a blank)."""
    for widget in root.walk(restrict=True):
        if widget.__dict__.pop("released_texture", False) and widget.texture is None:
            widget.texture_update()
