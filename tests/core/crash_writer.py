"""Child process of test_crash.py: writes complete records in a loop and reports each commit on stdout."""
import hashlib
import os
import sys
import uuid

from kiosk.record import example_record
from kiosk.store import Store

store = Store(sys.argv[1])
print("ready", flush=True)
while True:
    photo, document = os.urandom(25_000), os.urandom(45_000)
    record = example_record(photo_sha256=hashlib.sha256(photo).hexdigest(),
                            document_sha256=hashlib.sha256(document).hexdigest())
    record = record.model_copy(update={"record_id": uuid.uuid4()})
    store.save(record, photo=photo, document=document)
    print("committed", record.record_id, "draft", flush=True)
    for action in ("submit", "print"):
        state = store.apply(record.record_id, action, "student").state.value
        print("committed", record.record_id, state, flush=True)
