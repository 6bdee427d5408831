"""A candidate's record (audits, correction request), the conflict queue, the correction requests."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select

from central.models import Record, RecordVersion

from . import conflicts, corrections, review
from .models import User
from .progress import STATE_LABELS, live
from .records import category_labels, claim_labels, keys_of, record_data
from .web import Operator, Who, as_int, clean, console_of, not_found, posted, redirect, render

router = APIRouter()


def _record(session, who: Operator, record_id: str) -> Record:
    record = session.scalar(select(Record).where(Record.record_id == clean(record_id, 36), who.scope.records()))
    if record is None:
        raise not_found()
    return record


def _record_page(request: Request, who: Operator, record_id: str, error: str = "", flash: str = ""):
    with console_of(request).central.sessions() as session:
        record = _record(session, who, record_id)
        versions = session.execute(select(RecordVersion.version, RecordVersion.state, RecordVersion.received_at)
                                   .where(RecordVersion.record_id == record.record_id)
                                   .order_by(RecordVersion.version)).all()
        requests = session.scalars(select(corrections.CorrectionRequest).where(
            corrections.CorrectionRequest.record_id == record.record_id)
            .order_by(corrections.CorrectionRequest.requested_at)).all()
        voided = session.scalar(select(Record.record_id).where(Record.record_id == record.record_id, ~live()))
        return render(request, "record.html", who, record=record, data=record_data(record, keys_of(session)), versions=versions,
                      reviews=review.reviews_of(session, record.record_id), kinds=review.KINDS,
                      statuses=review.STATUSES, states=STATE_LABELS, labels=category_labels(),
                      claims=claim_labels(), requests=[(r, corrections.diff(r, keys_of(session))) for r in requests],
                      fields=corrections.FIELDS, voided=bool(voided), error=error, flash=flash,
                      status=400 if error else 200)


@router.get("/records/{record_id}")
def record_page(request: Request, who: Who, record_id: str):
    return _record_page(request, who, record_id)


def _act(request: Request, who: Operator, work):
    """Runs work(session, user) in a write transaction; returns its Chinese refusal or ''."""
    return console_of(request).central.write(lambda session: work(session, session.get(User, who.user_id)))


@router.post("/records/{record_id}/review")
async def record_review(request: Request, record_id: str):
    who, form = await posted(request)
    error = await run_in_threadpool(_act, request, who, lambda s, user: review.set_review(
        s, user, _record(s, who, record_id), clean(form.get("kind"), 2000), clean(form.get("status"), 2000),
        clean(form.get("comment"), 2000)))
    return await run_in_threadpool(_record_page, request, who, record_id, error, "" if error else "审核结果已保存")


@router.post("/records/{record_id}/correction")
async def record_correction(request: Request, record_id: str):
    who, form = await posted(request)
    changes = {field: clean(form.get(field), 2000) for field in corrections.FIELDS}
    error = await run_in_threadpool(_act, request, who, lambda s, user: corrections.request(
        s, user, _record(s, who, record_id), clean(form.get("reason"), 2000), changes))
    return await run_in_threadpool(_record_page, request, who, record_id, error,
                                   "" if error else "更正申请已提交，等待上级审批")


@router.get("/corrections")
def correction_list(request: Request, who: Who, status: str = "pending"):
    status = status if status in ("pending", "approved", "rejected", "withdrawn") else "pending"
    with console_of(request).central.sessions() as session:
        items = [(c, corrections.diff(c, keys_of(session))) for c in corrections.listing(session, who.scope, status)]
    return render(request, "corrections.html", who, items=items, shown=status, delivery=corrections.delivery_label)


@router.post("/corrections/{correction_id}/decide")
async def correction_decide(request: Request, correction_id: str):
    who, form = await posted(request)

    def work(session, user):
        found = corrections.find(session, who.scope, as_int(correction_id, -1, -1))
        if found is None:
            raise not_found()
        return corrections.decide(session, user, found, form.get("decision") == "approve",
                                  clean(form.get("comment"), 2000))

    error = await run_in_threadpool(_act, request, who, work)
    if error:
        return render(request, "error.html", who, status=400, message=error)
    return redirect("/corrections?status=" + ("approved" if form.get("decision") == "approve" else "rejected"))


@router.post("/corrections/{correction_id}/delivery")
async def correction_delivery(request: Request, correction_id: str):
    """A correction the terminal refused: 重新下发 (resend) or 撤回 (withdraw)."""
    who, form = await posted(request)
    withdraw = form.get("action") == "withdraw"

    def work(session, user):
        found = corrections.find(session, who.scope, as_int(correction_id, -1, -1))
        if found is None:
            raise not_found()
        return corrections.redeliver(session, user, found, withdraw, clean(form.get("comment"), 2000))

    error = await run_in_threadpool(_act, request, who, work)
    if error:
        return render(request, "error.html", who, status=400, message=error)
    return redirect("/corrections?status=" + ("withdrawn" if withdraw else "approved"))


@router.get("/conflicts")
def conflict_list(request: Request, who: Who, status: str = "open"):
    status = status if status in ("open", "resolved") else "open"
    with console_of(request).central.sessions() as session:
        items = conflicts.queue(session, who.scope, status)
    return render(request, "conflicts.html", who, items=items, shown=status, kinds=conflicts.KIND_LABELS)


def _conflict_page(request: Request, who: Operator, conflict_id: str, error: str = ""):
    with console_of(request).central.sessions() as session:
        conflict = conflicts.find(session, who.scope, as_int(conflict_id, -1, -1))
        if conflict is None:
            raise not_found()
        held, incoming = conflicts.sides(session, conflict)
        return render(request, "conflict.html", who, conflict=conflict, held=held, incoming=incoming,
                      kinds=conflicts.KIND_LABELS, decisions=conflicts.DECISIONS,
                      allowed=conflicts.ALLOWED[conflict.kind], resolution=conflicts.resolution(
                          session, conflict.conflict_id), error=error, status=400 if error else 200,
                      labels=category_labels(), states=STATE_LABELS)


@router.get("/conflicts/{conflict_id}")
def conflict_page(request: Request, who: Who, conflict_id: str):
    return _conflict_page(request, who, conflict_id)


@router.post("/conflicts/{conflict_id}/resolve")
async def conflict_resolve(request: Request, conflict_id: str):
    who, form = await posted(request)

    def work(session, user):
        found = conflicts.find(session, who.scope, as_int(conflict_id, -1, -1))
        if found is None:
            raise not_found()
        return conflicts.resolve(session, user, found, clean(form.get("decision"), 2000), clean(form.get("reason"), 2000))

    error = await run_in_threadpool(_act, request, who, work)
    if error:
        return await run_in_threadpool(_conflict_page, request, who, conflict_id, error)
    return redirect("/conflicts?status=resolved")


@router.get("/verify")
def verify_paper(request: Request, who: Who, qr: str = ""):
    """Scanning (a scanner types the QR text) or typing a form's QR shows whether the paper matches the record."""
    from . import paper

    result = None
    if qr:
        with console_of(request).central.sessions() as session:
            result = paper.check(session, who.scope, clean(qr, paper.MAX_PAYLOAD))
    return render(request, "verify.html", who, result=result, qr=qr[:paper.MAX_PAYLOAD])
