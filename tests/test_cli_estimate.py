"""``keruen estimate`` commands read CSVs, write CSVs and fail with one-line named errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from click.testing import CliRunner

from keruen.cli import main
from keruen.models.synthetic import gravity_panel, remittance_world, stocks_from_flows

REF = Path(__file__).parent / "data" / "migest_ffs"


def _write_stock_inputs(tmp: Path, case: str = "doc_e6_imr_supp") -> dict[str, Path]:
    st = pd.read_csv(REF / "stocks.csv")
    st = st[st["case"] == case]
    vit = pd.read_csv(REF / "vitals.csv")
    vit = vit[vit["case"] == case]
    paths = {k: tmp / f"{k}.csv" for k in ("s0", "s1", "b", "d")}
    for key, time in (("s0", "start"), ("s1", "end")):
        st[st["time"] == time][["birthplace", "residence", "stock"]].to_csv(paths[key], index=False)
    vit[["region", "births"]].to_csv(paths["b"], index=False)
    vit[["region", "deaths"]].to_csv(paths["d"], index=False)
    return paths


def test_flows_from_stocks_command_matches_migest(tmp_path: Path) -> None:
    p = _write_stock_inputs(tmp_path)
    out = tmp_path / "flows.csv"
    res = CliRunner().invoke(
        main,
        [
            "estimate",
            "flows-from-stocks",
            "--stock-start",
            str(p["s0"]),
            "--stock-end",
            str(p["s1"]),
            "--births",
            str(p["b"]),
            "--deaths",
            str(p["d"]),
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    got = pd.read_csv(out)
    assert list(got.columns) == ["orig", "dest", "flow"]
    assert (got["orig"] != got["dest"]).all()
    ref = pd.read_csv(REF / "flows_demo.csv")
    ref = ref[(ref["case"] == "doc_e6_imr_supp") & (ref["orig"] != ref["dest"])]
    ref = ref.groupby(["orig", "dest"], as_index=False)["flow"].sum()
    m = ref.merge(got, on=["orig", "dest"], suffixes=("_ref", ""))
    assert len(m) == 12
    np.testing.assert_allclose(m["flow"], m["flow_ref"], rtol=1e-3)
    assert "# method: demographic accounting" in res.stderr


def test_flows_from_stocks_diff_to_stdout(tmp_path: Path) -> None:
    p = _write_stock_inputs(tmp_path)
    res = CliRunner().invoke(
        main,
        [
            "estimate",
            "flows-from-stocks",
            "--stock-start",
            str(p["s0"]),
            "--stock-end",
            str(p["s1"]),
            "--method",
            "diff-return",
        ],
    )
    assert res.exit_code == 0
    assert res.stdout.splitlines()[0] == "orig,dest,flow"


def test_negative_stock_file_fails_with_file_row_and_field(tmp_path: Path) -> None:
    p = _write_stock_inputs(tmp_path)
    df = pd.read_csv(p["s1"])
    df.loc[2, "stock"] = -7
    df.to_csv(p["s1"], index=False)
    res = CliRunner().invoke(
        main,
        [
            "estimate",
            "flows-from-stocks",
            "--stock-start",
            str(p["s0"]),
            "--stock-end",
            str(p["s1"]),
            "--births",
            str(p["b"]),
            "--deaths",
            str(p["d"]),
        ],
    )
    assert res.exit_code == 3
    assert "s1.csv, data row 3, field 'stock'" in res.stderr and "negative" in res.stderr


def test_regions_that_disagree_fail_cleanly(tmp_path: Path) -> None:
    syn = stocks_from_flows(0, n_regions=4)
    s0 = syn.stock_start.stack().rename("stock").reset_index()
    s1 = syn.stock_end.rename(index={"C04": "C09"}, columns={"C04": "C09"})
    s1 = s1.stack().rename("stock").reset_index()
    s0.to_csv(tmp_path / "a.csv", index=False)
    s1.to_csv(tmp_path / "b.csv", index=False)
    res = CliRunner().invoke(
        main,
        [
            "estimate",
            "flows-from-stocks",
            "--stock-start",
            str(tmp_path / "a.csv"),
            "--stock-end",
            str(tmp_path / "b.csv"),
            "--method",
            "diff",
        ],
    )
    assert res.exit_code == 3 and "different regions" in res.stderr


def test_demo_without_vital_statistics_is_a_config_error(tmp_path: Path) -> None:
    p = _write_stock_inputs(tmp_path)
    res = CliRunner().invoke(
        main,
        [
            "estimate",
            "flows-from-stocks",
            "--stock-start",
            str(p["s0"]),
            "--stock-end",
            str(p["s1"]),
        ],
    )
    assert res.exit_code == 2 and "--births" in res.stderr


def test_remittance_corridors_command(tmp_path: Path) -> None:
    w = remittance_world(2)
    w.stocks[["orig", "dest", "stock"]].to_csv(tmp_path / "st.csv", index=False)
    w.received.rename("remittances").rename_axis("country").reset_index().to_csv(
        tmp_path / "rec.csv", index=False
    )
    w.income.rename_axis("country").reset_index().to_csv(tmp_path / "inc.csv", index=False)
    res = CliRunner().invoke(
        main,
        [
            "estimate",
            "remittance-corridors",
            "--stocks",
            str(tmp_path / "st.csv"),
            "--received",
            str(tmp_path / "rec.csv"),
            "--income",
            str(tmp_path / "inc.csv"),
            "--rule",
            "stock_host_income",  # the rule the synthetic world was built with
        ],
    )
    assert res.exit_code == 0, res.stderr
    got = pd.read_csv(pd.io.common.StringIO(res.stdout))
    m = w.corridors.merge(got, on=["sender", "receiver"], suffixes=("_true", ""))
    np.testing.assert_allclose(m["remittances"], m["remittances_true"], rtol=1e-6)


def test_gravity_command_reports_coefficients_and_drops(tmp_path: Path) -> None:
    syn = gravity_panel(0, n_countries=8, years=range(2016, 2020))
    syn.data.to_csv(tmp_path / "g.csv", index=False)
    out = tmp_path / "coef.csv"
    res = CliRunner().invoke(
        main, ["estimate", "gravity", "--data", str(tmp_path / "g.csv"), "--out", str(out)]
    )
    assert res.exit_code == 0, res.stderr
    coef = pd.read_csv(out).set_index("term")
    assert "log_distance" in coef.index and "wage_gap" not in coef.index
    assert "dropped regressor wage_gap: absorbed" in res.stderr


def test_gravity_command_collinear_regressors_exit_with_estimation_error(
    tmp_path: Path,
) -> None:
    syn = gravity_panel(0, n_countries=6, years=range(2017, 2020))
    syn.data.assign(d2=syn.data["log_distance"] * 3).to_csv(tmp_path / "g.csv", index=False)
    res = CliRunner().invoke(
        main,
        [
            "estimate",
            "gravity",
            "--data",
            str(tmp_path / "g.csv"),
            "--regressors",
            "log_distance,d2",
        ],
    )
    assert res.exit_code == 7 and "collinear" in res.stderr


def test_forecast_command(tmp_path: Path) -> None:
    years = np.arange(1995, 2020)
    pd.DataFrame({"year": years, "value": 100 + 5.0 * (years - 1995) + np.sin(years)}).to_csv(
        tmp_path / "s.csv", index=False
    )
    res = CliRunner().invoke(
        main,
        [
            "estimate",
            "forecast",
            "--series",
            str(tmp_path / "s.csv"),
            "--model",
            "drift",
            "--horizon",
            "3",
        ],
    )
    assert res.exit_code == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == "year,mean,lower,upper"  # calibrated intervals
    assert lines[1].startswith("2020,")
    assert "backtest naive: MASE" in res.stderr and "verdict:" in res.stderr
    assert "out of sample" in res.stderr


def test_forecast_command_defaults_to_the_backtest_winner(tmp_path: Path) -> None:
    from keruen.cli.estimate import FORECAST_MODELS
    from keruen.models.forecast import DEFAULT_MODEL, MODELS

    assert FORECAST_MODELS == MODELS
    years = np.arange(1995, 2020)
    pd.DataFrame({"year": years, "value": 100 + 5.0 * (years - 1995) + np.cos(years)}).to_csv(
        tmp_path / "s.csv", index=False
    )
    res = CliRunner().invoke(main, ["estimate", "forecast", "--series", str(tmp_path / "s.csv")])
    assert res.exit_code == 0, res.stderr
    assert f"# method: {DEFAULT_MODEL} forecast" in res.stderr


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["estimate", "forecast", "--series", str(tmp_path / "none.csv")])
    assert res.exit_code == 3 and "file not found" in res.stderr


def test_corridor_command_offers_every_rule_and_the_elasticity(tmp_path: Path) -> None:
    from keruen.cli.estimate import CORRIDOR_RULES
    from keruen.models.remittance_allocation import DEFAULT_RULE, RULES

    assert CORRIDOR_RULES == RULES
    w = remittance_world(3)
    w.stocks[["orig", "dest", "stock"]].to_csv(tmp_path / "st.csv", index=False)
    w.received.rename("remittances").rename_axis("country").reset_index().to_csv(
        tmp_path / "rec.csv", index=False
    )
    w.income.rename("income").rename_axis("country").reset_index().to_csv(
        tmp_path / "inc.csv", index=False
    )
    base = ["estimate", "remittance-corridors", "--stocks", str(tmp_path / "st.csv")]
    base += ["--received", str(tmp_path / "rec.csv"), "--income", str(tmp_path / "inc.csv")]
    res = CliRunner().invoke(main, base)
    assert res.exit_code == 0, res.stderr
    assert DEFAULT_RULE == "stock_income_elasticity" and "y_j^0.12" in res.stderr
    res = CliRunner().invoke(main, [*base, "--income-elasticity", "0.5"])
    assert res.exit_code == 0 and "y_j^0.5" in res.stderr
