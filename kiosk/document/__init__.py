"""The document scan: ID card (or household-register page) found, rectified, centred, encoded, named."""
from .card import CARD_ASPECT, DocumentImage, DocumentKind, find_corners, make_document

__all__ = ["CARD_ASPECT", "DocumentImage", "DocumentKind", "find_corners", "make_document"]
