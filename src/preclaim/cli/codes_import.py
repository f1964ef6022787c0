"""`preclaim codes import-hcpcs` and `preclaim codes import-mcd`: load official code files."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from preclaim.cli import out, run_guarded
from preclaim.paths import data_home, user_policies

codes_app = typer.Typer(
    help="Import official code files (CMS HCPCS quarterly file, MCD article ICD-10 lists, NCCI PTP and MUE tables)."
)


@codes_app.command("import-hcpcs")
def import_hcpcs(
    file: Annotated[
        Path, typer.Argument(help="CMS HCPCS quarterly file: CSV export of the ANWEB workbook, or its zip.")
    ],
) -> None:
    """Load the full HCPCS Level II set; checks then know every code and its dates."""

    def action() -> int:
        from preclaim.codes import load_codes
        from preclaim.codes.hcpcs_import import import_hcpcs_file, save_imported

        codes = import_hcpcs_file(file)
        home = data_home()
        target = save_imported(codes, home, file.name)
        out.print(f"imported {len(codes)} HCPCS codes from {file} into {target}")
        merged = load_codes(home)
        for code in ("J3420", "J3425"):
            entry = merged.hcpcs(code)
            if entry is not None:
                out.print(f"  {code}: {entry.status}" + (f" - {entry.note}" if entry.status != "active" else ""))
        return 0

    run_guarded(action)


@codes_app.command("import-mcd")
def import_mcd(
    file: Annotated[Path, typer.Argument(help="The CMS Medicare Coverage Database article download (zip or folder).")],
    article: Annotated[str, typer.Option("--article", help="Article id, e.g. A57755.")] = "A57755",
    dest: Annotated[
        Path | None, typer.Option("--dest", help="Policy folder to write lists/<article>.csv into.")
    ] = None,
) -> None:
    """Replace a policy's candidate ICD-10-CM list with the article's official covered list."""

    def action() -> int:
        from preclaim.codes.mcd_import import (
            import_mcd_article_groups,
            import_mcd_article_icd10,
            write_code_list_csv,
        )

        rows = import_mcd_article_icd10(file, article)
        name = article.upper() if article.upper().startswith("A") else f"A{article}"
        target = write_code_list_csv(rows, (dest or user_policies(data_home())) / "lists" / f"{name}.csv", name)
        out.print(f"imported {len(rows)} covered ICD-10-CM codes of article {name} into {target}")
        for group, paragraph in sorted(import_mcd_article_groups(file, article).items()):
            # The group texts carry combination rules (secondary diagnosis required...): show them to the user.
            out.print(f"  group {group}: {paragraph[:300]}{'...' if len(paragraph) > 300 else ''}", markup=False)
        return 0

    run_guarded(action)


@codes_app.command("import-ncci")
def import_ncci(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="The CMS practitioner PTP download: the part zips (…ccipra-v322r0-f1.zip … f4) or .TXT files."
        ),
    ],
    version: Annotated[
        str | None, typer.Option("--version", help="PTP version when the file names do not say, e.g. v322r0.")
    ] = None,
    quarter: Annotated[str | None, typer.Option("--quarter", help="Quarter to cite, e.g. 2026Q3.")] = None,
) -> None:
    """Load the NCCI procedure-to-procedure edits; Medicare checks then deny the column 2 code of a same-day pair."""

    def action() -> int:
        from preclaim.codes.ncci_ptp_import import import_ptp
        from preclaim.codes.ncci_store import folder, read_ptp_manifest
        from preclaim.codes.ncci_tables import quarter_label

        started = time.perf_counter()
        home = data_home()
        result = import_ptp(list(files), home, version=version, quarter=quarter)
        seconds = time.perf_counter() - started
        out.print(
            f"imported {result.rows:,} PTP edits of CMS practitioner table {result.version} "
            f"({quarter_label(result.quarter)}) into {folder(home)} in {seconds:.1f} s",
            markup=False,
        )
        for part in result.parts:
            out.print(f"  part {part.name}: {part.rows:,} rows from {part.source}", markup=False)
        if result.replaced:
            out.print(f"  replaces version {result.replaced} (a PTP file carries the earlier edits with their dates)")
        manifest = read_ptp_manifest(home)
        if manifest is not None:
            names = ", ".join(p.name for p in manifest.parts)
            out.print(f"  checks now use {manifest.version} parts {names}: import every part CMS publishes")
        return 0

    run_guarded(action)


@codes_app.command("import-mue")
def import_mue(
    file: Annotated[Path, typer.Argument(help="The CMS practitioner MUE download (zip) or its .csv table.")],
    quarter: Annotated[
        str | None, typer.Option("--quarter", help="Quarter when the file name does not say, e.g. 2026Q3.")
    ] = None,
) -> None:
    """Load the practitioner medically unlikely edits; Medicare checks then limit units per line or per day."""

    def action() -> int:
        from preclaim.codes.ncci_mue_import import import_mue as run_import
        from preclaim.codes.ncci_tables import quarter_label

        result = run_import(file, data_home(), quarter=quarter)
        again = " (replacing the earlier import of that quarter)" if result.replaced else ""
        out.print(
            f"imported {result.rows:,} MUEs of {quarter_label(result.quarter)} (effective {result.start}) into "
            f"{result.target}{again}",
            markup=False,
        )
        return 0

    run_guarded(action)


def register(app: typer.Typer) -> None:
    app.add_typer(codes_app, name="codes")
