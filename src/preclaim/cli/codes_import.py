"""`preclaim codes import-hcpcs` and `preclaim codes import-mcd`: load official code files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from preclaim.cli import out, run_guarded
from preclaim.paths import user_home, user_policies

codes_app = typer.Typer(help="Import official code files (CMS HCPCS quarterly file, MCD article ICD-10 lists).")


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
        home = user_home()
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
        target = write_code_list_csv(rows, (dest or user_policies()) / "lists" / f"{name}.csv", name)
        out.print(f"imported {len(rows)} covered ICD-10-CM codes of article {name} into {target}")
        for group, paragraph in sorted(import_mcd_article_groups(file, article).items()):
            # The group texts carry combination rules (secondary diagnosis required...): show them to the user.
            out.print(f"  group {group}: {paragraph[:300]}{'...' if len(paragraph) > 300 else ''}", markup=False)
        return 0

    run_guarded(action)


def register(app: typer.Typer) -> None:
    app.add_typer(codes_app, name="codes")
