"""Forecasting: what we will close, how sure we are, and how good our forecasts were.

Everything here reads opportunities (with their stage histories) and pipelines, and
is pure: pass the deals and the moment, get figures back.

- :mod:`~leadflow.forecasting.periods`: calendar and fiscal months, quarters, halves,
  years and ISO weeks.
- :mod:`~leadflow.forecasting.weighted`: the weighted pipeline, grouped any way.
- :mod:`~leadflow.forecasting.categories`: forecast categories rolled up per period.
- :mod:`~leadflow.forecasting.simulation`: the distribution of won revenue (exact,
  normal, Monte Carlo) and the slip model.
- :mod:`~leadflow.forecasting.history`: win rates learned from history, by stage or
  group, and time in stage.
- :mod:`~leadflow.forecasting.velocity`: sales velocity and cycle times.
- :mod:`~leadflow.forecasting.asof`: the pipeline as of a past date, backtests, and
  slip learned from history.
- :mod:`~leadflow.forecasting.forecast`: one period's forecast.

The names most programs need are available from this package.
"""

from leadflow.forecasting.asof import (
    Backtest,
    BacktestRow,
    backtest,
    learn_slip,
    opportunity_as_of,
    pipeline_as_of,
)
from leadflow.forecasting.categories import CategoryRollup, CategoryRow, forecast_categories
from leadflow.forecasting.forecast import PeriodForecast, forecast_period
from leadflow.forecasting.history import (
    GroupRate,
    GroupWinRates,
    StageDuration,
    StageRate,
    StageWinRates,
    stage_win_rates,
    time_in_stage,
    win_rates,
)
from leadflow.forecasting.periods import CALENDAR, FiscalCalendar, Period, PeriodUnit
from leadflow.forecasting.simulation import (
    NO_SLIP,
    Method,
    RevenueRange,
    SlipModel,
    period_ranges,
    revenue_range,
    window_range,
)
from leadflow.forecasting.velocity import CycleTimes, Velocity, cycle_times, sales_velocity
from leadflow.forecasting.weighted import PipelineRow, WeightedPipeline, weighted_pipeline

__all__ = [
    "CALENDAR",
    "NO_SLIP",
    "Backtest",
    "BacktestRow",
    "CategoryRollup",
    "CategoryRow",
    "CycleTimes",
    "FiscalCalendar",
    "GroupRate",
    "GroupWinRates",
    "Method",
    "Period",
    "PeriodForecast",
    "PeriodUnit",
    "PipelineRow",
    "RevenueRange",
    "SlipModel",
    "StageDuration",
    "StageRate",
    "StageWinRates",
    "Velocity",
    "WeightedPipeline",
    "backtest",
    "cycle_times",
    "forecast_categories",
    "forecast_period",
    "learn_slip",
    "opportunity_as_of",
    "period_ranges",
    "pipeline_as_of",
    "revenue_range",
    "sales_velocity",
    "stage_win_rates",
    "time_in_stage",
    "weighted_pipeline",
    "win_rates",
    "window_range",
]
