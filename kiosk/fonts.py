"""The one CJK font every surface uses: the printed form (ReportLab), the touch UI (Kivy), simulated card images.

WenQuanYi Micro Hei (Debian fonts-wqy-microhei) is TrueType, so ReportLab can embed a subset of it (Noto CJK is CFF
and cannot be embedded), and face 0 of the .ttc is the Chinese face that Kivy opens.
"""
import os

CJK_FONT = os.environ.get("KIOSK_CJK_FONT", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
