"""One Kivy screen per step of the registration session (kiosk.session.Step), named by the step's value."""
from .capture import DocumentScreen, PhotoScreen, PrintScreen
from .forms import CategoryScreen, ContactScreen, GuardiansScreen, PasswordScreen
from .history import HistoryScreen
from .review import ReviewScreen
from .start import AttractScreen, DoneScreen, IdentityScreen, PrintedScreen, RefusedScreen

SCREENS = [AttractScreen, RefusedScreen, IdentityScreen, CategoryScreen, GuardiansScreen, HistoryScreen,
           ContactScreen, PhotoScreen, DocumentScreen, ReviewScreen, PasswordScreen, PrintScreen, DoneScreen,
           PrintedScreen]

__all__ = ["SCREENS"]
