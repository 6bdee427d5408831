"""Attachments in an S3-compatible object store through boto3. The store here is moto's server mode (an EMULATOR
of the S3 HTTP API, on loopback): no production S3 server (MinIO, Garage...) is packaged for this machine.
"""
from __future__ import annotations

import hashlib
import uuid

import pytest

from central import models
from central.embedded import free_port
from central.storage import S3Storage


@pytest.fixture
def s3_endpoint(monkeypatch):
    from moto.server import ThreadedMotoServer

    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    port = free_port()
    emulator = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    emulator.start()
    endpoint = f"http://127.0.0.1:{port}"
    bucket = f"kiosk-{uuid.uuid4().hex[:12]}"  # moto keeps its state per process: a fresh bucket per test
    S3Storage(bucket, endpoint_url=endpoint).client.create_bucket(Bucket=bucket)
    yield endpoint, bucket
    emulator.stop()


def test_push_stores_attachments_in_s3(s3_endpoint, make_server, make_kiosk):
    s3_endpoint, name = s3_endpoint
    server = make_server(attachments=f"s3://{name}/2024", s3_endpoint=s3_endpoint)
    kiosk = make_kiosk(server)
    records = [kiosk.new_record() for _ in range(3)]
    assert kiosk.worker.drain() == 3
    assert server.count(models.Attachment) == 6
    bucket = S3Storage(name, "2024", endpoint_url=s3_endpoint)
    keys = {o["Key"] for o in bucket.client.list_objects_v2(Bucket=name)["Contents"]}
    assert len(keys) == 6 and all(k.startswith("2024/") for k in keys)
    sealed = bucket.get(records[0].photo_sha256)  # the bucket holds ciphertext only
    assert hashlib.sha256(sealed).hexdigest() != records[0].photo_sha256 and b"JFIF" not in sealed
    photo = server.central.storage.get(records[0].photo_sha256)
    assert hashlib.sha256(photo).hexdigest() == records[0].photo_sha256
