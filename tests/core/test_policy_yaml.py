"""Policies and drug files are read by libyaml's C loader when it is there, with the pure-Python loader's limits
and answers (io/yaml_guard.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

import preclaim
from preclaim.errors import PolicyError
from preclaim.io import yaml_guard
from preclaim.policy import loader
from preclaim.policy.loader import parse_policy

PACKAGE = Path(preclaim.__file__).parent
needs_libyaml = pytest.mark.skipif(not hasattr(yaml, "CSafeLoader"), reason="PyYAML without libyaml")


def test_every_bundled_yaml_file_reads_the_same_without_libyaml() -> None:
    # libyaml accepts some text PyYAML's own parser refuses (a "?" in an unquoted value of a flow mapping): a
    # bundled file must load on a machine whose PyYAML has no libyaml too, to the same data.
    files = sorted(PACKAGE.rglob("*.y*ml"))
    assert len(files) >= 30
    for path in files:
        text = path.read_text(encoding="utf-8")
        pure = yaml.load(text, Loader=yaml.SafeLoader)  # raises on text only libyaml reads
        for dates, pure_loader in ((True, yaml_guard._Guarded), (False, yaml_guard._GuardedText)):
            assert yaml_guard.load_yaml(text, dates=dates) == yaml.load(text, Loader=pure_loader), path
        if hasattr(yaml, "CSafeLoader"):
            assert yaml.load(text, Loader=yaml.CSafeLoader) == pure, path


@needs_libyaml
def test_a_plain_policy_is_read_by_the_c_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    used: list[str] = []
    real = yaml.load

    def load(text: str, Loader: type) -> object:  # yaml.load's own keyword
        used.append(Loader.__name__)
        return real(text, Loader=Loader)

    monkeypatch.setattr(yaml_guard.yaml, "load", load)
    text = (loader.BUNDLED_DIR / "90-demo-illustrative.yaml").read_text(encoding="utf-8")
    assert yaml_guard.load_yaml(text, dates=False)["id"] == "demo-health-plan"
    assert used == ["_FastText"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id: x\nrules: " + "[" * 70 + "]" * 70 + "\n", "nested more than 64 levels deep"),  # libyaml allows 1,000
        ("id: x\nversion: " + "9" * 40 + "\n", "an integer of 40 digits"),
        ("id: x\ntitle: [a,\n", "not valid YAML"),
    ],
)
def test_limits_and_errors_are_those_of_the_pure_loader(text: str, expected: str) -> None:
    with pytest.raises(PolicyError, match=expected) as info:
        parse_policy(text, "p.yaml")
    assert str(info.value).startswith("p.yaml:")


def test_aliases_are_counted_as_expanded() -> None:
    # Aliases go to the pure loader, which counts each alias as the values it stands for.
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 7)]
    with pytest.raises(PolicyError, match="more than 1,000,000 values once aliases are expanded"):
        parse_policy("\n".join(lines) + "\n", "p.yaml")


def test_dates_stay_text_and_values_keep_their_types() -> None:
    text = "start: 2024-01-01\nn: 3\nf: 1.5\nb: true\nnone: null\n"
    data = yaml_guard.load_yaml(text, dates=False)
    assert data == {"start": "2024-01-01", "n": 3, "f": 1.5, "b": True, "none": None}
    assert type(data["n"]) is int
    assert yaml_guard.load_yaml(text)["start"] == dt.date(2024, 1, 1)  # a drug file's dates
