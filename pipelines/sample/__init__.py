"""Synthetic sample data: cases, assessments and events shaped like an FBSS clinic's.

Entirely made up (no real patients), but with the patterns the dashboard exists to
reveal: the cause mix, treatment choice by cause and clinic, baselines like published
FBSS cohorts, relief that differs by cause x treatment and case mix, follow-up that
falls away with time, and reoperations, crossovers, complications and device
revisions. See data/sample/README.md for the numbers modelled.

Frames carry the dtypes `schemas.py` parses text into (str objects, nullable Int64,
Float64 and boolean, datetime64 dates) and exactly the contract's columns, so they can
be validated as they are.

Every column is drawn for all cases at once with numpy (no loop over rows), so a
million cases take seconds. numpy, pandas and pyarrow are imported inside functions
so `fbss --help` stays fast.

    parameters.py   the clinical parameters (shares, relief by cause x treatment, response)
    draw.py         vectorised drawing helpers
    cases.py        case-level draws          followup.py  assessments and events
    generate.py     the three frames from one seed
    writing.py      plain CSV files           command.py   `fbss sample`
"""

from __future__ import annotations

from pipelines.sample.command import add_parser, run
from pipelines.sample.generate import generate
from pipelines.sample.parameters import MAX_CASES
from pipelines.sample.writing import write

__all__ = ["MAX_CASES", "add_parser", "generate", "run", "write"]
