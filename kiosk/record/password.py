"""The student's private password: set only by the student at the kiosk, stored only as a scrypt hash.

The notices forbid schools to set or prescribe passwords, so no operator path leads here and the rules below only
keep the password from being trivially guessable.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re

N, R, P = 2**14, 8, 1
RULES = "要求：8至20位，同时包含字母和数字，不要用身份证号码或生日。"  # shown on the password screen


def password_problem(password: str, id_number: str = "", birth_date: str = "") -> str | None:
    if not 8 <= len(password) <= 20:
        return "密码长度应为8至20位"
    if not re.fullmatch(r"[\x21-\x7e]+", password):
        return "密码只能使用英文字母、数字和常用符号"
    if not (re.search(r"[A-Za-z]", password) and re.search(r"\d", password)):
        return "密码须同时包含字母和数字"
    if len(set(password)) < 4:
        return "密码过于简单，请使用更多不同的字符"
    digits = birth_date.replace("-", "")
    if (id_number and id_number[-6:] in password) or (digits and digits in password):
        return "密码不能包含身份证号码或出生日期"
    return None


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, dklen=32)
    return f"scrypt${N}${R}${P}$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def verify_password(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)
