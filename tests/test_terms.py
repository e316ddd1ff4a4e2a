"""The rolling-origin choice of the e-government model's terms."""

import numpy as np
import pandas as pd
import pytest
from vnsim import datasets
from vnsim.analysis import backtest, terms
from vnsim.fit.egov import DEFAULT_TERMS, TERMS


@pytest.fixture(scope="module")
def surveys() -> pd.DataFrame:
    return datasets.load_surveys()


@pytest.mark.parametrize("term", sorted(TERMS))
def test_every_term_changes_the_forecast(surveys, term):
    """A term the study can keep or drop must do something (none is a silent no-op)."""
    base = DEFAULT_TERMS
    if term in ("hci_inputs", "residual_decay_hci"):  # the rebuilt HCI replaces hci_order
        base = DEFAULT_TERMS - {"hci_order"} | ({"hci_inputs"} - {term})
    with_term, without = base | {term}, base - {term}
    cut = backtest.vintage(surveys, 2020)
    a = backtest.model_forecast(cut, 2020, [2022], 40, 1, frozenset(with_term))[1]["egdi"]
    b = backtest.model_forecast(cut, 2020, [2022], 40, 1, frozenset(without))[1]["egdi"]
    assert not np.array_equal(a, b)


def test_nested_choice_uses_only_earlier_origins():
    rows = [
        ("a", 2014, 5.0),
        ("b", 2014, 6.0),
        ("a", 2016, 7.0),
        ("b", 2016, 1.0),
        ("a", 2018, 3.0),
        ("b", 2018, 9.0),
    ]
    study = pd.DataFrame(rows, columns=["variant", "origin", "rank_crps"])
    study["target"] = study["origin"] + 2
    picked = terms.nested_choice(study, first="b")
    # 2014: no record, the first; 2016: a was better in 2014; 2018: b by the mean of 2014-2016
    assert list(picked["variant"]) == ["b", "a", "b"]
    assert list(picked["rank_crps"]) == [6.0, 7.0, 9.0]


def test_the_study_scores_ranks_and_values_of_each_variant(surveys):
    variants = {k: terms.VARIANTS[k] for k in ("default", terms.MINIMAL)}
    study = terms.term_study(surveys, [2020, 2022], variants, draws=60, seed=2)
    assert len(study) == 6 and set(study["target"]) == {2022, 2024}
    assert (study["variant"] == terms.BASELINE).sum() == 2  # noisy persistence, for reference
    assert terms.BASELINE not in set(terms.nested_choice(study)["variant"])
    assert study[["rank_crps", "value_crps"]].gt(0).all().all()
    assert study[["rank_cov80", "value_cov80"]].apply(lambda s: s.between(0, 1)).all().all()


def test_the_command_prints_the_study_and_writes_its_scores(tmp_path, capsys):
    from vnsim.cli import main

    out = tmp_path / "terms.csv"
    args = ["terms", "--origins", "2020", "2022", "--draws", "20", "--out", str(out)]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "| default |" in text and "nested choice:" in text and "noisy persistence" in text
    assert len(pd.read_csv(out)) == 2 * (len(terms.VARIANTS) + 1)
    assert main(["terms", "--origins", "2024", "--draws", "20"]) == 2  # nothing later to score
