"""A load limited to some clinics: every record of the batch must belong to one of them.

A manager granted Import (issue 10) loads their own clinics' records only. The check runs
in the pipeline, on the connection that sees the store, so no page can skip it:

- a case of the batch must name one of the clinics;
- an assessment or event (or a case) whose case_id is stored must belong to a stored case
  of one of the clinics: a batch may not add to, or move, another clinic's case.

Problems are reported like every other validation problem (file, row, column, value) and
never name the other clinic a stored case belongs to.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd

from pipelines.problems import Problem

OUTSIDE = "outside your clinics"


def outside_clinics(
    con: duckdb.DuckDBPyConnection,
    frames: dict[str, pd.DataFrame],
    origin: dict[str, pd.DataFrame],
    clinics: Sequence[str] | None,
) -> list[Problem]:
    """Every batch row outside `clinics` (None: no limit; the operator's own load)."""
    if clinics is None:
        return []
    allowed = list(dict.fromkeys(clinics))
    named = ", ".join(allowed) or "none"
    out: list[Problem] = []
    cases = frames.get("cases")
    if cases is not None and "clinic" in cases.columns:
        for src in cases.index[~cases["clinic"].isin(allowed) & cases["clinic"].notna()]:
            file, row = _where(origin, "cases", int(src))
            out.append(
                Problem(
                    file,
                    row,
                    "clinic",
                    str(cases.at[src, "clinic"]),
                    f"this case's clinic is not one of yours ({named}): you may import "
                    "only your own clinics' records",
                    OUTSIDE,
                    "a case's clinic is not one of the importing user's clinics",
                )
            )
    if _has_store(con):
        for table, frame in frames.items():
            if "case_id" not in frame.columns:
                continue
            for src, case_id in _stored_elsewhere(con, frame, allowed):
                file, row = _where(origin, table, src)
                out.append(
                    Problem(
                        file,
                        row,
                        "case_id",
                        case_id,
                        "this case_id belongs to a stored case of another clinic: you may "
                        "import only your own clinics' records",
                        OUTSIDE,
                        "a case_id belongs to a stored case of another clinic",
                    )
                )
    return out


def _has_store(con: duckdb.DuckDBPyConnection) -> bool:
    found = con.execute(
        "select count(*) from information_schema.tables where table_name = 'cases'"
    ).fetchall()  # fetchall: a half-read result would block the next call on `con`
    return bool(found[0][0])


def _stored_elsewhere(
    con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, allowed: list[str]
) -> list[tuple[int, str]]:
    """(row position, case_id) of batch rows whose stored case is of another clinic."""
    ids = pd.DataFrame({"case_id": frame["case_id"].astype("string"), "_src": range(len(frame))})
    con.register("_scope_batch", ids)
    try:
        rows = con.execute(
            """
            select b._src, b.case_id from _scope_batch b join cases c using (case_id)
            where not list_contains($allowed::varchar[], c.clinic)
            order by b._src
            """,
            {"allowed": allowed},
        ).fetchall()
    finally:
        con.unregister("_scope_batch")
    return [(int(src), str(case_id)) for src, case_id in rows]


def _where(origin: dict[str, pd.DataFrame], table: str, src: int) -> tuple[str, int | None]:
    o = origin.get(table)
    if o is None or src not in o.index:
        return table, None
    return str(o.at[src, "file"]), int(o.at[src, "row"])
