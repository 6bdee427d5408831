"""Moved to kiosk.wire (central/ imports it without loading the terminal's sync client); kept as an alias."""
import sys

import kiosk.wire

sys.modules[__name__] = kiosk.wire
