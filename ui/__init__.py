"""The Kivy touch UI and the composition root (the `kiosk` command). No business rule lives here."""
