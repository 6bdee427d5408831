"""`kiosk form render|print|verify|queues`: the registration form, its printing and checking paper by its QR."""
from kiosk.errors import KioskError

from . import add_data_flags, add_json_flag, emit, open_store, read_input, write_output

PRINT_FAILED_EXIT = 3


def register(sub) -> None:
    group = sub.add_parser("form", help="报名登记表（生成、打印、核验）").add_subparsers(dest="form_command",
                                                                                    required=True)
    render = group.add_parser("render", help="由记录文件生成报名登记表PDF")
    render.add_argument("record", help="记录文件（JSON，格式见 kiosk record example）")
    render.add_argument("-o", "--output", required=True, help="输出PDF路径")
    render.add_argument("--photo", help="照片JPEG（默认取本地库中的照片，没有则留空框）")
    _store_flag(render)
    add_json_flag(render)
    render.set_defaults(handler=_render)

    pr = group.add_parser("print", help="打印报名登记表并等待打印完成")
    pr.add_argument("record", help="记录文件（JSON）")
    pr.add_argument("--printer", help="CUPS打印队列名（默认为系统默认打印机）")
    pr.add_argument("--server", help="CUPS服务器（主机名或套接字路径，默认取 CUPS_SERVER）")
    pr.add_argument("--to-dir", help="不用CUPS，把PDF写到此目录（文件打印机）")
    pr.add_argument("--timeout", type=float, default=90.0, help="等待打印完成的秒数（默认90）")
    pr.add_argument("--actor", default="operator:cli", help="审计日志中的操作人")
    _store_flag(pr)
    add_json_flag(pr)
    pr.set_defaults(handler=_print)

    ver = group.add_parser("verify", help="核验报名登记表二维码内容")
    ver.add_argument("payload", help="二维码文本（HNZK1|...）")
    _store_flag(ver)
    add_json_flag(ver)
    ver.set_defaults(handler=_verify)

    queues = group.add_parser("queues", help="列出CUPS打印队列及状态")
    queues.add_argument("--server", help="CUPS服务器（主机名或套接字路径）")
    add_json_flag(queues)
    queues.set_defaults(handler=_queues)


def _store_flag(parser) -> None:
    add_data_flags(parser)


def _load_record(path: str):
    from pydantic import ValidationError

    from kiosk.record import Record

    data = read_input(path, "记录文件")
    try:
        return Record.model_validate_json(data)
    except (ValidationError, ValueError) as exc:
        raise KioskError("记录文件格式不正确，请用 kiosk record example 查看格式",
                         detail=f"record file invalid: {str(exc)[:200]}") from None


def _render(args) -> int:
    from kiosk.form import render_form, terminal_signer

    record = _load_record(args.record)
    photo = read_input(args.photo, "照片文件") if args.photo else None
    store = open_store(args)
    try:
        if photo is None:
            photo = store.attachment_or_none(record.record_id, "photo")
        form = render_form(record, terminal_signer(store), photo=photo, printed_at=store.clock())
    finally:
        store.close()
    write_output(args.output, form.pdf, "登记表PDF")
    data = {"output": args.output, "bytes": len(form.pdf), "payload": form.payload.text(),
            "missing_glyphs": form.missing_glyphs, "text_size": form.text_size, "photo": photo is not None}
    text = f"已生成：{args.output}（{len(form.pdf) // 1024} KB）"
    if form.missing_glyphs:
        text += f"\n注意：字体缺少以下字符，打印后请手工补写：{form.missing_glyphs}"
    emit(args, data, text)
    return 0


def _print(args) -> int:
    import drivers.printer
    from kiosk.form import PrintService, print_form, terminal_signer

    record = _load_record(args.record)
    if args.timeout <= 0:
        raise KioskError("等待时间须大于0秒", detail=f"timeout {args.timeout}")
    printer = drivers.printer.open(drivers.printer.FILE if args.to_dir else args.printer, directory=args.to_dir,
                                   server=args.server)
    store = open_store(args)
    try:
        signer = terminal_signer(store)
        if str(record.record_id) in store.record_ids():
            outcome = PrintService(store, printer, signer, timeout=args.timeout).print_record(record.record_id,
                                                                                           args.actor)
            job, counted = outcome.job, outcome.ok
        else:
            job, _ = print_form(record, printer, signer, timeout=args.timeout, printed_at=store.clock())
            counted = False
    finally:
        store.close()
    data = {"ok": job.ok, "printer": job.printer, "job_id": job.job_id, "state": job.state.value,
            "reasons": list(job.reasons), "student_message": job.student_message,
            "operator_alert": job.operator_alert, "retry": job.retry.value, "counted": counted,
            "details": job.details}
    head = f"打印{'完成' if job.ok else '未完成'}：{printer.name or '（无默认打印机）'} 任务{job.job_id}"
    lines = [f"{head}，状态 {job.state.value}"]
    lines += [m for m in (job.student_message, job.operator_alert and f"运维提示：{job.operator_alert}") if m]
    if job.ok and not counted:
        lines.append("（该记录不在本地库中，本次打印未计入打印次数和审计日志）")
    emit(args, data, "\n".join(lines))
    return 0 if job.ok else PRINT_FAILED_EXIT


def _verify(args) -> int:
    from kiosk.form import verify

    store = open_store(args)
    try:
        result = verify(args.payload, store)
    finally:
        store.close()
    emit(args, result.as_json(), ("核验通过：" if result.ok else "核验未通过：") + result.message)
    return 0 if result.ok else 1


def _queues(args) -> int:
    from drivers.printer.cups_printer import list_queues

    queues = list_queues(args.server)
    data = {"queues": [{"name": q.name, "ready": q.ready, "state": q.state, "reasons": list(q.reasons),
                        "student_message": q.student_message, "operator_alert": q.operator_alert}
                       for q in queues]}
    lines = [f"{q.name}  {'就绪' if q.ready else '不可用'}  {q.state}  {q.operator_alert}" for q in queues]
    emit(args, data, "\n".join(lines) or "没有可用的打印队列（CUPS未运行或未配置打印机）")
    return 0
