"""What several test directories (and bench/) share, each in one named module: import it from here
(`from tests.support.pcscd import pcscd`), never from a conftest. A conftest that needs a shared fixture imports it
from its module; pytest registers it there.

- cups: a private cupsd and the pdf_tool fixture (printer, form, provisioning and UI tests)
- idcard: the card reader simulator on a real pty (make_sim, resident) and the command budget slack
- pcscd: a private pcscd with vsmartcard's vpcd reader (badge, provisioning and UI tests)
- postgres: a private PostgreSQL cluster (central and console tests)
- central: the central server under uvicorn, enrolled terminals, signed requests, test JPEGs and ID numbers
- kioskflow: a terminal's core enrolled with a loopback central and a student walked to the password step
- faultproxy: an HTTP-aware TCP proxy that injects network faults (sync tests)
- kivy: Kivy's headless environment (set on import) and the Driver of the touch app (UI and input tests)
- procs: a process's children and their memory (tests and bench)
- umask: the guard that gives the suite its umask back after kiosk-central's main ran in-process
"""
