"""``keruen estimate``: run the estimation models on CSV files.

Each command writes its estimates as CSV (to ``--out`` or standard output) and the method and
assumptions, one per line prefixed ``#``, to standard error.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import click

from keruen.cli import SuggestingGroup
from keruen.cli.params import OutputFile, naming_inputs
from keruen.errors import ConfigError

#: ``--out``: checked before the model runs; a missing folder is created (see OutputFile).
_PATH = OutputFile()
_IN = click.Path(exists=False, dir_okay=False, path_type=Path)
#: keruen.models.forecast.MODELS, spelled out so that ``--help`` does not import pandas
#: keruen.models.remittance_allocation.RULES, likewise
CORRIDOR_RULES = (
    "stock",
    "stock_host_income",
    "stock_host_origin_income",
    "stock_income_elasticity",
)
FORECAST_MODELS = ("naive", "drift", "ets", "arima", "ensemble_median", "ensemble_naive_drift")


def _provenance(method: str, assumptions: Iterable[str], extra: Iterable[str] = ()) -> None:
    click.echo(f"# method: {method}", err=True)
    for a in assumptions:
        click.echo(f"# assumption: {a}", err=True)
    for e in extra:
        click.echo(f"# {e}", err=True)


@click.group(cls=SuggestingGroup)
def estimate() -> None:
    """Estimate what official statistics leave out, with method and assumptions stated."""


@estimate.command("flows-from-stocks")
@click.option("--stock-start", required=True, type=_IN, help="birthplace,residence,stock")
@click.option("--stock-end", required=True, type=_IN, help="birthplace,residence,stock")
@click.option("--births", type=_IN, help="region,births (default: UN WPP 2024 from the store)")
@click.option("--deaths", type=_IN, help="region,deaths (default: UN WPP 2024 from the store)")
@click.option(
    "--period",
    help="START:END years of the two stock tables; with --method demo or pseudo-bayes and no "
    "--births/--deaths the UN WPP 2024 births and deaths of START <= year < END are used",
)
@click.option(
    "--method",
    type=click.Choice(["demo", "pseudo-bayes", "diff", "diff-return"]),
    default="demo",
    show_default=True,
    help="demo: closed demographic accounting, minimum migration; pseudo-bayes: the same "
    "shrunk toward independence (Azose & Raftery 2019); diff, diff-return: stock differencing",
)
@click.option(
    "--prior-weight",
    default="0.13",
    show_default=True,
    help="with --method pseudo-bayes: weight in [0, 1] on the independence table (0.13 as Abel "
    "& Cohen 2019), or 'bfh' for Bishop, Fienberg & Holland's K per birthplace",
)
@click.option("--out", type=_PATH, help="output CSV orig,dest,flow (default: stdout)")
def flows_from_stocks_cmd(
    stock_start: Path,
    stock_end: Path,
    births: Path | None,
    deaths: Path | None,
    period: str | None,
    method: str,
    prior_weight: str,
    out: Path | None,
) -> None:
    """Bilateral flows from two birthplace × residence stock tables.

    With --method demo or pseudo-bayes, births and deaths come from --births/--deaths or,
    when both are omitted, from UN WPP 2024 in the store for the regions (ISO3 codes) and
    --period; a region ROW is the rest of the world (every other country WPP holds), as in the
    report. pseudo-bayes gives the same nets as demo with more gross flows (docs/models.md).
    """
    import warnings

    from keruen.models.flows_from_stocks import BalanceWarning, flows_from_stocks
    from keruen.models.pseudo_bayes import pseudo_bayes_accounting
    from keruen.sources.model_inputs import read_region_values, read_stock_matrix, write_table

    accounting = method in ("demo", "pseudo-bayes")
    weight = _prior_weight(prior_weight)
    if method != "pseudo-bayes" and weight != 0.13:
        raise ConfigError("--prior-weight applies to --method pseudo-bayes only")
    if accounting and (births is None) != (deaths is None):
        raise ConfigError(
            f"--method {method} needs both --births and --deaths, or neither (UN WPP)"
        )
    s0, s1 = read_stock_matrix(stock_start), read_stock_matrix(stock_end)
    b = read_region_values(births, "births") if births is not None else None
    d = read_region_values(deaths, "deaths") if deaths is not None else None
    extra: list[str] = []
    if accounting and b is None:
        b, d, extra = _wpp_vitals([str(r) for r in s0.index], period)
    inputs = {
        "stock_start": stock_start,
        "stock_end": stock_end,
        "births": births,
        "deaths": deaths,
        "method": None,
        "seed": None,
    }
    with naming_inputs(inputs), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", BalanceWarning)
        if method == "pseudo-bayes":
            res = pseudo_bayes_accounting(s0, s1, b, d, prior_weight=weight)
        else:
            res = flows_from_stocks(s0, s1, b, d, method=method)  # type: ignore[arg-type]
    for w in caught:
        if issubclass(w.category, BalanceWarning):
            click.echo(f"keruen: warning: {w.message}", err=True)
    write_table(res.to_frame(), out)
    _provenance(res.method, res.assumptions, extra)


def _prior_weight(text: str) -> float | Literal["bfh"]:
    """``--prior-weight``: ``bfh`` or a number in [0, 1]."""
    if text.strip().lower() == "bfh":
        return "bfh"
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(
            f"--prior-weight must be a number in [0, 1] or bfh, got {text!r}"
        ) from None
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"--prior-weight must lie in [0, 1], got {value:g}")
    return value


def _wpp_vitals(regions: list[str], period: str | None) -> tuple[Any, Any, list[str]]:
    """UN WPP births and deaths of ``regions`` over ``--period`` START:END, with a source line."""
    from keruen.sources.snapshot import open_store
    from keruen.store.vitals import vital_events

    if period is None:
        raise ConfigError(
            "--method demo or pseudo-bayes without --births/--deaths needs --period START:END "
            "to read UN WPP 2024 births and deaths"
        )
    try:
        start, end = (int(x) for x in period.split(":"))
    except ValueError:
        raise ConfigError(f"--period must be START:END years, got {period!r}") from None
    with open_store() as store:
        ev = vital_events(store, regions, start, end)  # "ROW": every other country held
    src = ev.iloc[0]
    ev = ev.set_index("ref_area").reindex([r.upper() for r in regions])
    ev.index = regions  # type: ignore[assignment]
    line = (
        f"births and deaths: {src['publisher']}, {src['vintage']} ({src['licence']}, "
        f"{src['url']}), calendar years {src['years']}"
    )
    return ev["births"], ev["deaths"], [line]


@estimate.command("remittance-corridors")
@click.option("--stocks", required=True, type=_IN, help="orig,dest,stock (born in orig)")
@click.option("--received", required=True, type=_IN, help="country,remittances received")
@click.option("--income", type=_IN, help="country,income (income per head)")
@click.option(
    "--rule",
    type=click.Choice(CORRIDOR_RULES),
    default="stock_income_elasticity",
    show_default=True,
    help="the default is the rule closest to the World Bank's 2017 matrix (docs/models.md)",
)
@click.option(
    "--income-elasticity",
    type=float,
    default=None,
    help="elasticity e of w = stock * host_income^e (rule stock_income_elasticity; "
    "default: fitted on the World Bank's 2017 matrix, 0.12)",
)
@click.option(
    "--paid",
    type=_IN,
    help="country,remittances paid: fit both margins, receivers' receipts and senders' "
    "payments (without it: receipts only)",
)
@click.option(
    "--unreported",
    type=click.Choice(["unallocated", "fallback"]),
    default="unallocated",
    show_default=True,
    help="with --paid, a country absent from one file: its corridors stay unallocated, or "
    "are fitted to the other side's record only",
)
@click.option(
    "--senders-out",
    type=_PATH,
    help="output CSV sender,recorded,allocated,unallocated,margins: each sender's recorded "
    "outflow beside its allocated total, and the unallocated difference",
)
@click.option("--out", type=_PATH, help="output CSV sender,receiver,remittances,share,margins")
def remittance_corridors_cmd(
    stocks: Path,
    received: Path,
    income: Path | None,
    rule: str,
    income_elasticity: float | None,
    paid: Path | None,
    unreported: str,
    senders_out: Path | None,
    out: Path | None,
) -> None:
    """Allocate remittances over the hosts of each country's emigrants.

    Receipts only, or with --paid both margins (biproportional fitting); the standard error
    says which margins each sender was fitted to and how much is left unallocated.
    """
    from keruen.models.remittance_allocation import allocate_remittances
    from keruen.sources.model_inputs import read_region_values, read_table, write_table

    st = read_table(stocks, ["orig", "dest", "stock"], numeric=["stock"], non_negative=["stock"])
    rec = read_region_values(received, "remittances", key="country")
    inc = read_region_values(income, "income", key="country") if income is not None else None
    kw: dict[str, Any] = {}
    if income_elasticity is not None:
        kw["income_elasticity"] = income_elasticity
    if paid is not None:
        kw |= {"paid": read_region_values(paid, "remittances", key="country")}
        kw |= {"unreported": unreported}
    inputs = {
        "stocks": stocks,
        "stock": stocks,
        "orig": stocks,
        "dest": stocks,
        "received": received,
        "remittances": received,
        "income": income,
        "rule": None,
        "paid": paid,
        "unreported": None,
    }
    with naming_inputs(inputs):
        res = allocate_remittances(st, rec, inc, rule=rule, **kw)  # type: ignore[arg-type]
    write_table(res.corridors, out)
    if senders_out is not None:
        write_table(res.senders, senders_out)
    both = res.senders[res.senders["margins"] == "both"]
    gap = ((both["allocated"] + both["unallocated"]) / both["recorded"] - 1).abs().max()
    extra = [f"unallocated: {float(res.parameters['unallocated']):,.0f}"]
    if len(both):
        extra.append(f"senders fitted to their recorded outflow: {len(both)}, off by {gap:.1e}")
    _provenance(res.method, res.assumptions, extra)


@estimate.command("gravity")
@click.option(
    "--data", "data_path", required=True, type=_IN, help="orig,dest,year,<outcome>,<regressors...>"
)
@click.option("--outcome", default="flow", show_default=True)
@click.option("--regressors", help="comma-separated (default: the standard push-pull set)")
@click.option(
    "--fixed-effects", type=click.Choice(["ot_dt", "o_d_t"]), default="ot_dt", show_default=True
)
@click.option("--cluster", type=click.Choice(["pair", "none"]), default="pair", show_default=True)
@click.option("--out", type=_PATH, help="output CSV of coefficients")
def gravity_cmd(
    data_path: Path,
    outcome: str,
    regressors: str | None,
    fixed_effects: str,
    cluster: str,
    out: Path | None,
) -> None:
    """Fit a PPML push-pull gravity model with fixed effects."""
    from keruen.models.gravity import DEFAULT_REGRESSORS, ppml_gravity
    from keruen.sources.model_inputs import read_table, write_table

    read_table(data_path, ["orig", "dest", "year", outcome])  # file and key columns exist
    if regressors:
        wanted = [r.strip() for r in regressors.split(",") if r.strip()]
    else:
        wanted = [c for c in DEFAULT_REGRESSORS if c in _columns(data_path)]
    df = read_table(
        data_path, ["orig", "dest", "year", outcome, *wanted], numeric=[outcome, *wanted]
    )
    with naming_inputs({"data": data_path, "fixed_effects": None}):
        res = ppml_gravity(
            df,
            outcome=outcome,
            regressors=wanted,
            fixed_effects=fixed_effects,  # type: ignore[arg-type]
            cluster=cluster,  # type: ignore[arg-type]
        )
    write_table(res.coefficients.reset_index(), out)
    extra = [f"observations: {res.n_obs}; dropped as separated: {res.n_separated}"]
    extra += [f"dropped regressor {k}: {v}" for k, v in res.dropped_regressors.items()]
    _provenance(res.method, res.assumptions, extra)


def _columns(path: Path) -> list[str]:
    import pandas as pd

    return [c.strip() for c in pd.read_csv(path, nrows=0).columns]


@estimate.command("forecast")
@click.option("--series", "series_path", required=True, type=_IN, help="year,value")
@click.option(
    "--model",
    type=click.Choice(FORECAST_MODELS),
    default=None,
    help="default: the winner of the pooled out-of-sample backtest (docs/models.md)",
)
@click.option("--horizon", type=click.IntRange(1, 50), default=5, show_default=True)
@click.option("--level", type=click.FloatRange(0.5, 0.99), default=0.8, show_default=True)
@click.option("--out", type=_PATH, help="output CSV year,mean,lower,upper")
def forecast_cmd(
    series_path: Path, model: str, horizon: int, level: float, out: Path | None
) -> None:
    """Forecast a yearly series with calibrated intervals, judged out of sample against naive."""
    from keruen.models.forecast import forecast_series
    from keruen.sources.model_inputs import read_table, write_table

    df = read_table(series_path, ["year", "value"], numeric=["year", "value"])
    series = df.set_index(df["year"].astype(int))["value"]
    with naming_inputs({"series": series_path, "model": None, "level": None}):
        res = forecast_series(series, model=model, horizon=horizon, level=level)  # type: ignore[arg-type]
    # calibrated intervals only; the model's own (uncalibrated) ones stay in the Python result
    write_table(res.forecast[["year", "mean", "lower", "upper"]], out)
    bt = [
        f"backtest {m}: MASE {r.mase:.3f}, coverage {r.coverage:.2f} "
        f"(model's own intervals {r.model_coverage:.2f}, n={int(r.n)})"
        for m, r in res.backtest.iterrows()
    ]
    _provenance(res.method, res.assumptions, [*bt, f"verdict: {res.verdict}"])


@estimate.command("kazakhstan")
@click.option(
    "--store/--no-store",
    "keep",
    default=True,
    show_default=True,
    help="Write the estimates into the store (status E, provenance in `keruen sources`).",
)
def kazakhstan_cmd(keep: bool) -> None:
    """Compute the report's estimates for Kazakhstan from the store and store them.

    Flows from UN DESA stocks, remittance corridors, remittance-implied migrants, gravity,
    forecasts and migration systems. Re-running on the same inputs adds nothing.
    """
    from keruen.analysis.registry import ESTIMATED
    from keruen.analysis.runner import run
    from keruen.analysis.scope import PAPER_COUNTRY, peer_group
    from keruen.analysis.section import estimates_of
    from keruen.sources.snapshot import open_store
    from keruen.store.estimates import provenance_of, store_estimates

    with open_store() as store:
        estimates = estimates_of(run(store, peer_group(PAPER_COUNTRY), only=ESTIMATED))
        if keep:
            results = store_estimates(store, estimates)
        for i, est in enumerate(estimates):
            prov = provenance_of(est)
            if keep:
                done = results[i]
                state = "already held" if done.already_present else f"{done.rows_added} rows added"
            else:
                state = "not stored"
            click.echo(f"{est.dataset}\t{prov.vintage}\t{len(est.rows)} rows\t{state}")
            _provenance(est.method, est.assumptions)
