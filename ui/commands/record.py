"""`kiosk record example`: a complete, valid record as JSON, which is also the documented record format."""
import json

from . import add_json_flag, emit


def register(sub) -> None:
    group = sub.add_parser("record", help="考生记录").add_subparsers(dest="record_command", required=True)
    example = group.add_parser("example", help="输出一条完整、有效的示例记录（JSON，即记录格式说明）")
    add_json_flag(example)
    example.set_defaults(handler=_example)


def _example(args) -> int:
    from kiosk.record import example_record

    data = example_record().model_dump(mode="json")
    emit(args, data, json.dumps(data, ensure_ascii=False, indent=2))
    return 0
