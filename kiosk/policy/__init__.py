"""Collection policies as data: categories, windows, where each may register, photo and document specs."""
from .model import ROLE_LABELS, Category, DocumentSpec, ImageSpec, Policy, PhotoSpec, Role, Window
from .registry import get_policy, load_policies
from .windows import WindowStatus, window_status

__all__ = [
    "ROLE_LABELS", "Category", "DocumentSpec", "ImageSpec", "Policy", "PhotoSpec", "Role", "Window",
    "WindowStatus", "get_policy", "load_policies", "window_status",
]
