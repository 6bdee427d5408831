"""Errors that reach a person: a short Chinese message that says what to do next, plus an exit code for CLIs."""


class KioskError(Exception):
    exit_code = 1

    def __init__(self, message: str, *, detail: str = ""):
        super().__init__(message)
        self.message = message  # Chinese, shown to people
        self.detail = detail  # English, for logs (never personal data)


class ValidationFailed(KioskError):
    """Input that breaks a rule; .errors maps field names to Chinese messages."""

    exit_code = 2

    def __init__(self, errors: dict[str, str]):
        super().__init__("；".join(f"{v}" for v in errors.values()), detail=f"invalid fields: {sorted(errors)}")
        self.errors = errors
