"""The registration form (报名登记表): rendering, the signed QR payload, verification of paper, printing."""
from .payload import FormPayload, make_payload, parse_payload
from .render import RenderedForm, render_form
from .signing import HmacSigner, Signer

__all__ = ["FormPayload", "HmacSigner", "RenderedForm", "Signer", "make_payload", "parse_payload", "render_form"]
