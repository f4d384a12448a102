"""Education plans (`dialogs/plans/*.yaml`): the shipped plan, the errors
`laeringsbot check-dialogs` gives when an edit breaks one, and the periods chosen with them."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import main
from bot.core.dialogs import DialogError
from bot.core.plans import NAME_MAX, load_plan, load_plans
from bot.flows.clinical.scope import add_months

DIALOGS = Path(__file__).resolve().parents[2] / "dialogs"


def _valid() -> dict[str, Any]:
    return {
        "id": "demo",
        "name": {"da": "Demo-plan"},
        "competencies": [
            {
                "id": "medicin",
                "name": {"da": "Medicinhåndtering", "en": "Medicine management"},
                "description": {"da": "Doserer medicin sikkert."},
            },
            {"id": "hygiejne", "name": {"da": "Infektionshygiejne"}},
        ],
    }


def _write(folder: Path, data: dict[str, Any], name: str | None = None) -> Path:
    (folder / "plans").mkdir(exist_ok=True)
    path = folder / "plans" / f"{name or data['id']}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _error(folder: Path, data: dict[str, Any], name: str | None = None) -> str:
    with pytest.raises(DialogError) as caught:
        load_plan(_write(folder, data, name))
    return str(caught.value)


def test_the_shipped_plan_is_valid_and_describes_its_competencies():
    plans = load_plans(DIALOGS)
    assert "ssa_praktik2" in plans
    plan = plans["ssa_praktik2"]
    assert len(plan.competencies) >= 8
    assert all(c.description is not None and c.name.en for c in plan.competencies)
    medicine = plan.competency("medicin")
    assert medicine is not None and medicine.name("da") == "Medicinhåndtering"


def test_english_falls_back_to_danish(tmp_path):
    plan = load_plan(_write(tmp_path, _valid()))
    assert plan.name("en") == "Demo-plan"
    assert plan.competencies[0].name("en") == "Medicine management"
    assert plan.competencies[1].name("en") == "Infektionshygiejne"
    assert plan.competency("nope") is None


def test_no_plans_folder_means_free_text(tmp_path):
    assert load_plans(tmp_path) == {}


def test_the_id_must_match_the_file_name(tmp_path):
    assert "id 'demo' must match the file name 'other'" in _error(tmp_path, _valid(), name="other")


def test_a_competency_id_twice_is_named(tmp_path):
    data = _valid()
    data["competencies"][1]["id"] = "medicin"
    assert "listed twice: medicin" in _error(tmp_path, data)


def test_a_name_must_fit_on_a_button(tmp_path):
    data = _valid()
    data["competencies"][0]["name"]["en"] = "x" * (NAME_MAX + 1)
    message = _error(tmp_path, data)
    assert "competency 'medicin'" in message and f"at most {NAME_MAX} fit on a button" in message


def test_a_plan_needs_competencies_and_known_fields(tmp_path):
    data = _valid()
    data["competencies"] = []
    assert "competencies" in _error(tmp_path, data)
    data = _valid()
    data["competencies"][0]["descripton"] = {"da": "stavefejl"}
    message = _error(tmp_path, data)
    assert "competencies.0.descripton" in message and "Extra inputs are not permitted" in message


def test_every_broken_plan_is_reported_with_its_file(tmp_path):
    _write(tmp_path, _valid(), name="wrong_name")
    (tmp_path / "plans" / "broken.yaml").write_text("id: [\n", encoding="utf-8")
    with pytest.raises(DialogError) as caught:
        load_plans(tmp_path)
    assert "plans/broken.yaml: not valid YAML" in str(caught.value)
    assert "plans/wrong_name.yaml: id 'demo'" in str(caught.value)


def test_cli_check_dialogs_lists_the_plans(monkeypatch, capsys):
    monkeypatch.setenv("DIALOGS_DIR", str(DIALOGS))
    assert main(["check-dialogs"]) == 0
    assert "ok  plans/ssa_praktik2" in capsys.readouterr().out


def test_cli_check_dialogs_fails_on_a_broken_plan(monkeypatch, capsys, tmp_path):
    folder = tmp_path / "dialogs"
    shutil.copytree(DIALOGS, folder)
    data = _valid()
    data["id"] = "ssa_praktik2"
    data["competencies"][0]["name"]["da"] = "y" * 80
    _write(folder, data)
    monkeypatch.setenv("DIALOGS_DIR", str(folder))
    assert main(["check-dialogs"]) == 1
    captured = capsys.readouterr()
    assert "dialogs/ has problems" in captured.err
    assert "plans/ssa_praktik2.yaml" in captured.err and "the da name is 80 characters" in captured.err


def test_a_period_of_months_ends_on_the_same_day_or_the_month_s_last():
    assert add_months(date(2027, 3, 1), 1) == date(2027, 4, 1)
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert add_months(date(2027, 11, 15), 6) == date(2028, 5, 15)
