"""The registration form (报名登记表): rendering, the signed QR payload, verification of paper, printing."""
from .payload import FormPayload, make_payload, parse_payload
from .printing import PrintOutcome, PrintService, print_form
from .render import RenderedForm, render_form
from .signing import Ed25519Signer, Signer, terminal_signer
from .verify import Verification, verify

__all__ = ["Ed25519Signer", "FormPayload", "PrintOutcome", "PrintService", "RenderedForm", "Signer", "Verification",
           "make_payload", "parse_payload", "print_form", "render_form", "terminal_signer", "verify"]
