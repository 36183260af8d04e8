"""OCR of stored documents: run, edit and clear."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text

from ..errors import Cancelled, InputError, shell_quote
from ._common import Progress


# ---------------------------------------------------------------- OCR
def ocr_set(store, set_id: int, *, langs: str | None = None, only_missing: bool = False,
            progress: Progress | None = None, cancel=None, **kwargs):
    """OCR a stored set's images into [OCR]/[TEXT] descriptions, saving each document
    as soon as it is read (a stop keeps what is done). The analyst's edited OCR text
    wins over the raw text when the description is rebuilt. Returns the per-document
    report (`workbench.ocr.DocOcr`: status ok / empty / error / no_image / skipped).
    """
    from .. import ocr

    cset = store.load_candidate_set(set_id)

    def save(doc, item) -> None:
        if item.status in ("ok", "empty"):
            store.update_document_text(set_id, doc.id, ocr_text=doc.ocr_text,
                                       description=doc.description)

    return ocr.describe_set(cset, langs or ocr.DEFAULT_LANGS, only_missing=only_missing,
                            progress=progress, cancel=cancel, on_doc=save, **kwargs)


def ocr_session(store, session, *, set_ids: Sequence[int] | None = None, langs: str | None = None,
                only_missing: bool = False, progress=None, cancel=None, **kwargs) -> dict[int, list]:
    """OCR every set of a session (or the given sets of it), saving each document as it is
    read. Returns ``{set_id: [DocOcr, ...]}``. `progress(done, total)` counts images over all
    the sets. Raises NotFound for an unknown session, InputError for a set not in it or a
    session without sets; Cancelled (finished documents saved) on cancel.
    """
    info = store.get_session(session)
    sets = [s.id for s in store.list_candidate_sets(info.id)]
    if not sets:
        raise InputError.coded("ocr.session_no_sets", {"session": info.name, "quoted": shell_quote(info.name)})
    if set_ids is not None:
        unknown = [i for i in set_ids if int(i) not in sets]
        if unknown:
            raise InputError.coded("ocr.sets_not_in_session", {"sets": ", ".join(map(str, unknown)),
                                                               "session": info.name,
                                                               "valid": ", ".join(map(str, sets))})
        sets = [int(i) for i in set_ids]
    sizes = {}
    for sid in sets:
        docs = store.load_candidate_set(sid).documents
        sizes[sid] = sum(1 for d in docs if d.image and not (only_missing and d.ocr_final is not None))
    total, base, out = sum(sizes.values()), 0, {}
    for sid in sets:
        def sub(done: int, _total: int, base=base) -> None:
            if progress:
                progress(base + done, total)
        out[sid] = ocr_set(store, sid, langs=langs, only_missing=only_missing, progress=sub, cancel=cancel, **kwargs)
        base += sizes[sid]
    return out


def clear_ocr(store, set_id: int, doc_ids: Sequence[str] | None = None, *, edits: bool = False,
              cap: int | None = 200) -> list[str]:
    """Say "no text in this image" for the given documents of a set (None = every document):
    their raw OCR text becomes "" (read, nothing kept), which is a decision that sticks: a later
    OCR of "only images without OCR text" skips them (OCR them again with only_missing=False to
    read them anew). Their descriptions are rebuilt from what is left ([TEXT] and metadata).
    The analyst's edited OCR text is kept (and stays in the description) unless `edits=True`.
    Unknown doc ids raise InputError before anything changes. Returns the doc ids cleared.
    """
    from .. import ocr

    cset = store.load_candidate_set(set_id)
    by_id = {d.id: d for d in cset.documents}
    wanted = list(by_id) if doc_ids is None else [str(x) for x in doc_ids]
    unknown = [x for x in wanted if x not in by_id]
    if unknown:
        raise InputError.coded("ocr.set_unknown_documents", {"set": set_id, "docs": ", ".join(unknown[:5]),
                                                             "valid": ", ".join(list(by_id)[:5])})
    with store.transaction():
        for doc_id in wanted:
            doc = by_id[doc_id]
            doc.ocr_text = "" if doc.image else None
            if edits:
                doc.ocr_edited = None
            description = ocr.build_description(doc.ocr_final, doc.text, doc.metadata, cap) or None
            values = dict(ocr_text=doc.ocr_text, description=description)
            if edits:
                values["ocr_edited"] = None
            store.update_document_text(set_id, doc_id, **values)
    return wanted


def edit_ocr(store, set_id: int, doc_id: str, text: str, *, cap: int | None = 200) -> list[tuple[int, str]]:
    """Save the analyst's correction of a document's OCR text, for the image rather than the
    set: every document of the session showing the same image (same content hash) gets it,
    each with its description rebuilt from its own [TEXT] and metadata. Returns the
    (set id, doc id) pairs changed (the given document first)."""
    from .. import ocr

    info = store.get_set(set_id)
    cset = store.load_candidate_set(set_id)
    if str(doc_id) not in {d.id for d in cset.documents}:
        raise InputError.coded("ocr.set_unknown_documents", {"set": set_id, "docs": str(doc_id),
                                                             "valid": ", ".join(d.id for d in cset.documents[:5])})
    doc = cset.doc(str(doc_id))
    targets = [(int(set_id), str(doc_id))]
    if doc.image_hash:
        targets += [p for p in store.documents_with_image(info.session_id, doc.image_hash) if p != targets[0]]
    loaded = {int(set_id): cset}
    with store.transaction():
        for sid, did in targets:
            cset = loaded.get(sid) or loaded.setdefault(sid, store.load_candidate_set(sid))
            d = cset.doc(did)
            description = ocr.build_description(text, d.text, d.metadata, cap) or None
            store.update_document_text(sid, did, ocr_edited=text, description=description)
    return targets


def clear_session_ocr(store, session, doc_ids: Sequence[str] | None = None, *, edits: bool = False,
                      cap: int | None = 200) -> dict[int, list[str]]:
    """`clear_ocr` over every set of a session: each given doc id is cleared in every set that
    holds it (an id no set holds raises InputError, nothing changed). Returns {set_id: doc ids}."""
    info = store.get_session(session)
    sets = {s.id: [d.id for d in store.load_candidate_set(s.id).documents]
            for s in store.list_candidate_sets(info.id)}
    if doc_ids is not None:
        known = {d for ids in sets.values() for d in ids}
        unknown = [str(x) for x in doc_ids if str(x) not in known]
        if unknown:
            raise InputError.coded("ocr.session_unknown_documents", {"session": info.name,
                                                                     "docs": ", ".join(unknown[:5])})
    out = {}
    with store.transaction():
        for sid, ids in sets.items():
            chosen = ids if doc_ids is None else [d for d in ids if d in {str(x) for x in doc_ids}]
            if chosen:
                out[sid] = clear_ocr(store, sid, chosen, edits=edits, cap=cap)
    return out
