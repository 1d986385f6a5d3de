"""Time and peak memory of `fbss load` refusing the hostile files of issue 10.

    .venv/bin/python benchmarks/hostile_files.py [FOLDER]

Each file is written into FOLDER (default a temporary one), then loaded into a copy of
the sample store under /usr/bin/time -v; the script prints wall time, peak resident
memory and the message. Not a test: figures depend on the machine.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FBSS = [sys.executable, "-m", "fbss.cli"]
HEADER = "case_id,patient_id,clinic,physician,sex,age,treatment_date"
ROW = "C1,P1,North Spine,Dr A. Berg,female,54,2023-03-01"


def _csv(folder: Path, copies: int) -> Path:
    path = folder / f"csv{copies}" / "cases.csv"
    path.parent.mkdir()
    path.write_text(HEADER + "\n" + (ROW + "\n") * copies)
    return path


def _xlsx(folder: Path, rows: int) -> Path:
    path = folder / "xlsx" / "cases.xlsx"
    path.parent.mkdir()
    cells = "".join(
        f'<c r="{chr(65 + i)}{{r}}" t="inlineStr"><is><t>{v}</t></is></c>'
        for i, v in enumerate(ROW.split(","))
    )
    head = "".join(
        f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{k}</t></is></c>'
        for i, k in enumerate(HEADER.split(","))
    )
    body = "".join(f'<row r="{r}">{cells.format(r=r)}</row>' for r in range(2, rows + 2))
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="A1:G{rows + 1}"/><sheetData><row r="1">{head}</row>{body}'
        "</sheetData></worksheet>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", "<Types/>")
        book.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


def _bomb(folder: Path) -> Path:
    path = folder / "bomb" / "cases.xlsx"
    path.parent.mkdir()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", "<Types/>")
        book.writestr("xl/worksheets/sheet1.xml", b"<a>" + b" " * (800 * 1024 * 1024) + b"</a>")
    return path


def main() -> None:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="hostile-"))
    db = folder / "fbss.duckdb"
    subprocess.run([*FBSS, "load", str(ROOT / "data" / "sample"), "--db", str(db)],
                   check=True, capture_output=True)  # fmt: skip
    files = {
        "4,000 identical CSV rows": _csv(folder, 4_000),
        "8,000 identical CSV rows": _csv(folder, 8_000),
        "300,000-row .xlsx": _xlsx(folder, 300_000),
        "zip bomb (.xlsx)": _bomb(folder),
    }
    for label, path in files.items():
        proc = subprocess.run(
            ["/usr/bin/time", "-v", *FBSS, "load", str(path), "--db", str(db)],
            capture_output=True,
            text=True,
        )
        wall = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", proc.stderr)
        peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
        said = next((ln.strip() for ln in proc.stderr.splitlines() if str(path) in ln), "")
        size = path.stat().st_size / 1024 / 1024
        print(
            f"{label} ({size:.1f} MB): exit {proc.returncode}, "
            f"wall {wall[1] if wall else '?'}, peak {int(peak[1]) // 1024 if peak else '?'} MiB"
            f"\n    {said}"
        )


if __name__ == "__main__":
    main()
