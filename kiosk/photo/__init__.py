"""The compliant photo: per-frame analysis, live guidance with auto-capture, the finished 450x600 JPEG."""
from .analysis import Analysis, FaceAnalyser
from .final import CONFIRMATIONS, FinalPhoto, PhotoMaker, file_problems, photo_problems
from .problems import MESSAGES, Problem
from .session import Phase, PhotoSession, SessionState
from .thresholds import Thresholds

__all__ = [
    "Analysis", "CONFIRMATIONS", "FaceAnalyser", "FinalPhoto", "MESSAGES", "Phase", "PhotoMaker", "PhotoSession",
    "Problem", "SessionState", "Thresholds", "file_problems", "photo_problems",
]
