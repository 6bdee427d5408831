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


class NotFound(KioskError):
    """What was asked for is not in the store (an unknown record, a version or attachment never saved)."""


class SealBroken(KioskError):
    """Stored data failed its integrity check (tampered or a wrong device key): the flow stops for an operator.

    Never treated like NotFound: a tampered photo must not print as an empty frame."""

    exit_code = 4

    def __init__(self, detail: str = ""):
        super().__init__("本地数据无法解密或已被篡改，已停止操作，请联系工作人员", detail=detail)
