"""Identity: the chip's card data, ID-number rules, code tables and masking helpers."""
from .card import LONG_TERM, CardType, IdentityCard
from .codes import ethnicity_codes, ethnicity_name, gender_name
from .mask import mask_id, mask_name, mask_phone, mask_text
from .number import IdNumberCheck, check_id_number

__all__ = [
    "LONG_TERM", "CardType", "IdentityCard", "IdNumberCheck", "check_id_number", "ethnicity_codes",
    "ethnicity_name", "gender_name", "mask_id", "mask_name", "mask_phone", "mask_text",
]
