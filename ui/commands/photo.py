"""`kiosk photo check IMAGE`, `kiosk photo make IMAGE -o OUT.jpg`, `kiosk doc make IMAGE --id NUMBER -o DIR`."""
from pathlib import Path

from kiosk.errors import KioskError

from . import add_json_flag, emit, read_input, write_output


def register(sub) -> None:
    photo = sub.add_parser("photo", help="考生照片检查与生成").add_subparsers(dest="photo_command", required=True)
    check = photo.add_parser("check", help="按规定检查一张成品照片")
    check.add_argument("image")
    check.add_argument("--policy", default="henan-2024")
    add_json_flag(check)
    check.set_defaults(handler=_check)
    make = photo.add_parser("make", help="从一张照片裁剪、检查并生成合格照片")
    make.add_argument("image")
    make.add_argument("-o", "--output", required=True)
    make.add_argument("--policy", default="henan-2024")
    add_json_flag(make)
    make.set_defaults(handler=_make)
    doc = sub.add_parser("doc", help="证件图像").add_subparsers(dest="doc_command", required=True)
    dmake = doc.add_parser("make", help="从扫描图像生成证件照片（<身份证号>.jpg）")
    dmake.add_argument("image")
    dmake.add_argument("--id", required=True, dest="id_number")
    dmake.add_argument("-o", "--output", required=True, help="目录")
    dmake.add_argument("--kind", choices=["id_card", "household_register"], default="id_card")
    dmake.add_argument("--ocr", action="store_true", help="识别证件上的号码并与 --id 核对（较慢）")
    dmake.add_argument("--policy", default="henan-2024")
    add_json_flag(dmake)
    dmake.set_defaults(handler=_doc_make)


def _read(path: str, data: bytes | None = None):
    import cv2
    import numpy as np

    data = read_input(path, "图像文件") if data is None else data
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise KioskError("无法读取图像文件，请确认文件是 JPG 或 PNG 图片", detail="unreadable image")
    return image


def _check(args) -> int:
    from kiosk.photo import FaceAnalyser, Thresholds, file_problems, photo_problems
    from kiosk.policy import get_policy

    spec = get_policy(args.policy).photo
    data = read_input(args.image, "图像文件")
    image = _read(args.image, data)
    with FaceAnalyser(spec, tracking=False) as analyser:
        a = analyser.analyse(image)
    problems = photo_problems(a, spec, Thresholds())
    problems += file_problems(data, spec)
    warnings = a.warnings if not problems else []
    result = {
        "ok": not problems,
        "problems": [p.as_json() for p in problems],
        "operator_warnings": [w.as_json() for w in warnings],
        "head_ratio": round(a.head_ratio, 4),
        "center_offset": round(a.center_offset, 4),
        "background": a.background,
        "pose_deg": {"yaw": round(a.yaw, 1), "pitch": round(a.pitch, 1), "roll": round(a.roll_deg, 1)},
        "eye_open": round(a.eye_open, 3),
    }
    text = "照片符合要求" if not problems else "照片不符合要求：\n" + "\n".join(f"- {p.message}" for p in problems)
    text += "".join(f"\n注意（工作人员）：{w.message}" for w in warnings)
    emit(args, result, text)
    return 0 if not problems else 1


def _make(args) -> int:
    from kiosk.photo import PhotoMaker
    from kiosk.policy import get_policy

    spec = get_policy(args.policy).photo
    image = _read(args.image)
    maker = PhotoMaker(spec)
    try:
        photo = maker.make(image)
    finally:
        maker.close()
    out = write_output(args.output, photo.jpeg, "照片文件")
    result = {
        "ok": True, "output": str(out), "bytes": len(photo.jpeg), "quality": photo.quality,
        "head_ratio": round(photo.analysis.head_ratio, 4), "center_offset": round(photo.analysis.center_offset, 4),
        "operator_warnings": [w.as_json() for w in photo.operator_warnings],
        "confirmations": [c.as_json() for c in photo.confirmations],
    }
    lines = [f"已生成 {out}（{len(photo.jpeg)}字节，质量{photo.quality}）"]
    lines += [f"注意（工作人员）：{w.message}" for w in photo.operator_warnings]
    lines += ["请考生确认：" + "；".join(c.message for c in photo.confirmations)]
    emit(args, result, "\n".join(lines))
    return 0


def _doc_make(args) -> int:
    from kiosk.document import DocumentKind, make_document
    from kiosk.policy import get_policy

    spec = get_policy(args.policy).document
    image = _read(args.image)
    doc = make_document(image, args.id_number, spec, kind=DocumentKind(args.kind), ocr=args.ocr)
    out = write_output(str(Path(args.output) / doc.filename), doc.jpeg, "证件图像")
    result = {"ok": True, "output": str(out), "bytes": len(doc.jpeg), "quality": doc.quality,
              "ocr_number_matches": None if not args.ocr else not doc.warnings,
              "warnings": [w.as_json() for w in doc.warnings]}
    emit(args, result, "\n".join([f"已生成 {out}（{len(doc.jpeg)}字节）"] + [f"注意：{w.message}" for w in doc.warnings]))
    return 0
