"""Import: upload a clinic's export, see every problem, load a clean batch with one button."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from dashboard import auth, followup_panels, importing, labels, ui
from dashboard.importing import ALLOWED_SUFFIXES, MAX_UPLOAD_MB, Upload
from dashboard.sidebar import context
from pipelines.load import LoadResult

STATE = "_import_batch"

ctx = context()
WHO = auth.current()
st.title("Import")
if WHO is None or not WHO.can_import:  # the page is not offered then; a stale link stops here
    st.error("Your account may not import records.", icon=":material/block:")
    st.stop()
# None: any clinic (admin); a manager granted Import loads their own clinics' records only,
# enforced by the pipeline (pipelines/clinic_scope.py), not by this page
CLINICS = WHO.scope.import_clinics()
yours = "" if CLINICS is None else f" Only records of **{', '.join(CLINICS)}** can be loaded."
# the store's path is for admins only (issue 10)
where = f" Store: `{ctx.db}`." if WHO.is_admin else ""
st.markdown(
    f"""
Upload the clinic's export: **cases**, **assessments** and **events** as CSV, Excel
(`.xlsx`) or Parquet files, named after their table (`cases.csv`,
`assessments_2026-10.xlsx`, `events.parquet`). **Up to {MAX_UPLOAD_MB} MB per file.**
Every file is checked against the data contract first; **nothing is stored until you press
Load**, and a batch with any problem is never stored. Loading the same records again
changes nothing (records are matched by their keys).{yours}{where}
"""
)


def _batch_key(files: Sequence[UploadedFile]) -> tuple[tuple[str, str, int], ...]:
    return tuple((f.file_id, f.name, f.size) for f in files)


def _run(step: str, files: Sequence[UploadedFile]) -> tuple[LoadResult | None, Path]:
    """One step in a child process with memory and time limits (issue 10).

    The uploads live in a temporary folder only while the step runs. Waiting touches the
    page every poll, so Cancel (a rerun) or a closed session interrupts the wait there
    and run_isolated's `finally` kills the child; the folder goes in every case.
    """
    st.button("Cancel", key="w_cancel", icon=":material/cancel:")
    status = st.empty()
    started = time.monotonic()

    def tick() -> None:
        status.caption(f"Working… {time.monotonic() - started:.0f} s")

    uploads = [Upload(f.name, f.getvalue()) for f in files]
    with importing.uploads_folder(uploads) as paths:
        folder = paths[0].parent
        try:
            return importing.run_isolated(step, paths, ctx.db, tick=tick, clinics=CLINICS), folder
        except importing.ImportStopped as exc:
            st.error(f"Nothing was stored: {exc}.", icon=":material/error:")
            return None, folder
        finally:
            status.empty()


def _validated(files: Sequence[UploadedFile]) -> dict[str, Any] | None:
    """Validate the uploaded batch once per batch and store version (None: not done)."""
    files_key = _batch_key(files)
    batch = st.session_state.get(STATE)
    # A batch already loaded stays "loaded"; otherwise a new store version re-checks it.
    if (
        batch
        and batch["files"] == files_key
        and (batch["loaded"] is not None or batch["version"] == ctx.version)
    ):
        return batch
    if st.session_state.get("w_cancel"):  # pressed while the check ran: it was stopped
        st.session_state[STATE] = None
        st.info("Cancelled: nothing was checked or stored. Choose the files again to retry.")
        return None
    with st.spinner("Checking the files against the data contract…"):
        result, folder = _run("validate", files)
    if result is None:
        return None
    batch = {
        "files": files_key,
        "version": ctx.version,
        "folder": folder,  # gone already: kept only to shorten file names in the report
        "result": result,
        "loaded": None,
    }
    st.session_state[STATE] = batch
    return batch


def _show_report(result: LoadResult, folder: Path) -> None:
    for note in importing.notes(result, folder):
        st.caption(note)
    if result.accepted:
        return
    st.error(
        f"**{labels.plural(len(result.problems), 'problem')} found.** Nothing can be loaded "
        "until they are fixed in the files and the files are uploaded again.",
        icon=":material/error:",
    )
    ui.table(importing.problems_by_kind(result), "Problems by kind", key="by_kind", expanded=True)
    ui.table(
        importing.report_frame(result, folder), "Validation report", key="report", expanded=True
    )


def render() -> None:
    files = st.file_uploader(
        "Case record files",
        type=list(ALLOWED_SUFFIXES),
        accept_multiple_files=True,
        max_upload_size=MAX_UPLOAD_MB,
        key="w_upload",
        help="Select several files at once (cases, assessments, events).",
    )
    if not files:
        st.caption("No files chosen yet.")
        return
    batch = _validated(files)
    if batch is None:
        return
    result, folder = batch["result"], batch["folder"]
    loaded = batch.get("loaded")
    if loaded is not None:
        if loaded.accepted:
            st.success(
                f"**Loaded** (load {loaded.load_id}). The other pages now show the new data.",
                icon=":material/check_circle:",
            )
            ui.table(importing.counts_frame(loaded), "Records loaded", key="loaded", expanded=True)
        else:
            st.error("The load was refused: the store changed since the check.")
            ui.table(
                importing.report_frame(loaded, folder),
                "Load report",
                key="load_report",
                expanded=True,
            )
        return
    if result.accepted:
        rows = importing.rows_by_table(result)
        summary = ", ".join(f"{n:,} {table}" for table, n in rows.items())
        st.success(f"**No problems found:** {summary}. Ready to load.", icon=":material/task_alt:")
    _show_report(result, folder)
    if st.button(
        "Load into the store",
        type="primary",
        key="w_load",
        disabled=not result.accepted,
        icon=":material/database_upload:",
    ):
        with st.spinner("Loading…"):
            outcome, batch["folder"] = _run("load", files)
        if outcome is None:
            return
        auth.imported(outcome)
        batch["loaded"] = outcome
        st.session_state[STATE] = batch
        st.rerun()


ui.guarded(render)
if WHO.is_admin:  # it lists and changes every clinic's setting: not for a manager
    ui.guarded(lambda: followup_panels.event_capture_setting(ctx.db))
