"""The compliant photo: per-frame analysis, live guidance with auto-capture, the finished 450x600 JPEG."""
from .analysis import Analysis, FaceAnalyser
from .final import CONFIRMATIONS, FinalPhoto, PhotoMaker, file_problems, photo_problems
from .match import FaceMatch, match_chip_photo, match_faces  # the face model loads on the first match
from .problems import MESSAGES, Problem
from .session import Phase, PhotoSession, SessionState
from .thresholds import Thresholds

__all__ = [
    "Analysis", "CONFIRMATIONS", "FaceAnalyser", "FaceMatch", "FinalPhoto", "MESSAGES", "Phase", "PhotoMaker",
    "PhotoSession", "Problem", "SessionState", "Thresholds", "file_problems", "match_chip_photo", "match_faces",
    "photo_problems",
]
