"""The kiosk's look: the palette (every text/background pair it uses, with its WCAG contrast), the minimum touch
target, and the screen: size, orientation and fullscreen from the terminal's config.

configure(config) sets Kivy's Config before the window exists (size, borderless fullscreen); apply(Window, config)
fixes the window after it exists (a window made earlier, or a fullscreen that came up smaller than the screen).
Layouts read `portrait(width, height)` to stack what sits side by side in landscape.
"""
from __future__ import annotations

# -- palette ----------------------------------------------------------------------------------------------------
BACKGROUND = (0.95, 0.96, 0.98, 1)
PANEL = (1, 1, 1, 1)
TEXT = (0.13, 0.15, 0.18, 1)
MUTED = (0.36, 0.40, 0.46, 1)  # secondary text: 5.9:1 on the background
PRIMARY = (0.10, 0.40, 0.78, 1)
PRIMARY_DOWN = (0.06, 0.28, 0.58, 1)
SECONDARY = (0.86, 0.89, 0.93, 1)
SECONDARY_DOWN = (0.74, 0.78, 0.84, 1)
DISABLED = (0.86, 0.87, 0.89, 1)  # a disabled button: grey, its text still readable
DISABLED_TEXT = (0.32, 0.34, 0.38, 1)
ERROR = (0.75, 0.08, 0.08, 1)
OK = (0.05, 0.45, 0.20, 1)
ADVICE = (0.62, 0.30, 0.0, 1)  # live guidance ("move left"): not an error
HEADER = (0.08, 0.27, 0.52, 1)
OPERATOR_HEADER = (0.42, 0.20, 0.04, 1)  # operator mode's header: brown, never mistaken for the student's blue
WHITE = (1, 1, 1, 1)
STRIP_DONE = (0.72, 0.80, 0.92, 1)  # the step strip on the header: steps done, steps to come, the current one
STRIP_NEXT = (0.86, 0.91, 0.98, 1)
CHIP = (0.91, 0.93, 0.96, 1)  # the grey box of a read-only chip field

# Every (text, background) pair the screens draw, named for the test and for a person reading this file.
PAIRS = {
    "text on background": (TEXT, BACKGROUND), "text on panel": (TEXT, PANEL),
    "muted on background": (MUTED, BACKGROUND), "muted on panel": (MUTED, PANEL),
    "primary on background": (PRIMARY, BACKGROUND), "primary on panel": (PRIMARY, PANEL),
    "error on background": (ERROR, BACKGROUND), "error on panel": (ERROR, PANEL),
    "ok on background": (OK, BACKGROUND), "ok on panel": (OK, PANEL),
    "advice on background": (ADVICE, BACKGROUND), "header title on panel": (HEADER, PANEL),
    "header title on background": (HEADER, BACKGROUND),
    "white on primary button": (WHITE, PRIMARY), "white on pressed button": (WHITE, PRIMARY_DOWN),
    "text on secondary button": (TEXT, SECONDARY), "text on pressed secondary": (TEXT, SECONDARY_DOWN),
    "disabled button": (DISABLED_TEXT, DISABLED),
    "white on header": (WHITE, HEADER), "white on operator header": (WHITE, OPERATOR_HEADER), "strip done on header": (STRIP_DONE, HEADER),
    "strip next on header": (STRIP_NEXT, HEADER), "text on chip": (TEXT, CHIP),
}
MIN_CONTRAST = 4.5
MIN_TOUCH = 60  # px: the smallest side of anything a finger must hit


def luminance(colour) -> float:
    """WCAG 2 relative luminance of an sRGB colour (components 0..1)."""
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in colour[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(foreground, background) -> float:
    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


# -- screen -----------------------------------------------------------------------------------------------------
SIZES = ((1280, 800), (1920, 1080), (1080, 1920))  # the panels the kiosk is built for


def size_of(config) -> tuple[int, int]:
    width, height = (int(v) for v in config.screen_size.split("x"))
    return width, height


def portrait(width: float, height: float) -> bool:
    return height > width


# Density-independent sizing: every size in ui/ (type, targets, gaps) is written in design px for a 1280x800 panel
# and drawn as px(value) = value * SCALE, SCALE set from the configured screen size when the app is built. A
# landscape panel scales with its height over 800 (and its width over 1280); a portrait one keeps at least
# PORTRAIT_WIDTH design px across, which its stacked layouts need.
DESIGN = (1280, 800)
PORTRAIT_WIDTH = 960
MAX_SCALE = 1.5
SCALE = 1.0


def scale(width: float, height: float) -> float:
    """1.0 at 1280x800, 1.35 at 1920x1080, 1.125 at 1080x1920 (never below 1: a smaller panel keeps the design's
    sizes, which its layouts must fit)."""
    if portrait(width, height):
        factor = min(width / PORTRAIT_WIDTH, height / DESIGN[0])
    else:
        factor = min(width / DESIGN[0], height / DESIGN[1])
    return round(max(1.0, min(MAX_SCALE, factor)), 3)


def set_scale(config) -> float:
    """SCALE for the widgets built from now on (the app calls it when it builds its screens)."""
    global SCALE
    SCALE = scale(*size_of(config))
    return SCALE


def px(value):
    """A design size (a number, or a list/tuple of them: padding, spacing, size) in window pixels."""
    if isinstance(value, (list, tuple)):
        return type(value)(v * SCALE for v in value)
    return value * SCALE


configured = False  # configure() ran: ui.app keeps its hands off the window's size


def configure(config) -> None:
    """Kivy's Config for the window to come: the config's size, or a borderless window filling the display.
    Call it before importing ui.app (importing the screens makes the window)."""
    global configured
    from kivy.config import Config

    configured = True

    width, height = size_of(config)
    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "fullscreen", "auto" if config.fullscreen else "0")
    Config.set("graphics", "borderless", "1" if config.fullscreen else "0")
    Config.set("graphics", "resizable", "0" if config.fullscreen else "1")


def apply(window, config) -> None:
    """The existing window to the config: borderless over the whole display (SDL's desktop fullscreen: the
    display's size, checked under Xvfb at 1920x1080 also for a window first made at 1280x800), else the size."""
    if config.fullscreen:
        window.borderless = True
        window.fullscreen = "auto"
    else:
        window.fullscreen = False
        window.borderless = False
        window.system_size = size_of(config)
