"""Field limits of a record: the one table the form, the kiosk's validation and the wire (kiosk/wire/rules.py,
the same checks on central) share. (max length) per string field; lists as (max items). Derived from the form: a
name fits 15 Han characters on the chip (30 with margin), an address 35 (the chip) / 100 (home address line), a
school or work unit 60 (the form wraps and shrinks long values down to 6.5 pt to stay on one page)."""

STRING_LIMITS = {"policy": 64, "category": 32, "terminal_id": 40, "school_code": 20, "school_name": 60,
                 "student_number": 20, "contact_phone": 20, "home_address": 100, "photo_sha256": 64,
                 "document_sha256": 64, "password_hash": 200, "password_fingerprint": 64}
IDENTITY_LIMIT, IDENTITY_KEYS = 80, 32  # each chip field; the chip's address is the longest (70 bytes, 35 chars)
GUARDIAN_LIMITS = {"name": 30, "phone": 20, "work_unit": 60}
STUDY_LIMITS = {"start": 7, "end": 7, "school": 60, "role": 20, "witness": 50}
LIST_LIMITS = {"guardians": 4, "study_history": 12, "claims": 10}
CLAIM_LIMIT = 32
