"""What the app shows, in one place: KPI and variable names → labels, formats, colours, texts.

Every other module of :mod:`dashboards` reads engine names through this module, so a renamed
KPI or variable in :mod:`twin` is a one-line change here. Units come from the engine's own
registries (:data:`twin.core.variables.REGISTRY` for hourly variables, the KPI Dataset's ``units``
attribute for KPIs); labels are given in English and Chinese.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twin.building.cooling import DESIGNS
from twin.core.fmt import number
from twin.core.params import Params, display_units, param
from twin.core.variables import REGISTRY
from twin.money.economics import IDLE_STORAGE
from twin.studies.sizing import MARGINAL_TEXT
from weather.fmt import BEYOND_LARGEST

__all__ = [
    "COMPONENTS",
    "COMPUTE_ASSUMPTIONS",
    "DISPATCH",
    "ERRORS_ZH",
    "GREYS",
    "KPI_CARDS",
    "LANGS",
    "LATENCY",
    "METRIC_LABELS",
    "PALETTE",
    "TABLE_KPIS",
    "WHEN_NONZERO",
    "ComputeAssumptions",
    "DispatchWindow",
    "Kpi",
    "colon",
    "design_label",
    "design_name",
    "error_text",
    "graph_config",
    "kpi_heading",
    "metric_label",
    "mode_name",
    "plotly_locale_script",
    "t",
    "unit_of",
    "unit_text",
    "var_label",
    "with_unit",
]

LANGS = ("en", "zh")

# Okabe & Ito (2008) colour-blind-safe palette, in the order plots use it.
PALETTE = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)
GREYS = ("#999999", "#555555")
"""Beyond the palette's eight: neutral greys (still told apart by colour-blind readers)."""


@dataclass(frozen=True)
class Kpi:
    """How one annual KPI is shown: engine name, labels, decimal places, scale to the shown unit."""

    name: str
    en: str
    zh: str
    places: int = 3
    scale: float = 1.0
    unit: str | None = None  # shown unit when scaled; None: the KPI's own units attribute
    unit_zh: str | None = None  # the shown unit on the Chinese page, where it has a word (None: ``unit_text(unit)``)

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def shown_unit(self, lang: str = "en") -> str | None:
        """The shown unit in ``lang`` (:func:`unit_text`; None: the KPI's own units attribute)."""
        return self.unit_zh if lang == "zh" and self.unit_zh is not None else unit_text(self.unit, lang)

    def format(self, value: float) -> str:
        """The value as every page, table and language shows it: the project's formatter
        (:func:`weather.fmt.number`, an amount grouped from 1,000) to :attr:`places`; "–" for NaN."""
        if value != value:  # NaN
            return "–"
        return number(value * self.scale, quantity=True, places=self.places)


KPI_CARDS = (
    Kpi("pue", "Annual PUE", "年均 PUE"),
    Kpi("green_share_hourly", "Green share, physical hourly", "逐时绿电占比（物理）", 1, 100.0, "%"),
    Kpi("green_share_annual", "Green share, annual matching", "年度绿电匹配占比", 1, 100.0, "%"),
    Kpi(
        "cfe_score",
        "24/7 CFE score (grid's clean share credited)",
        "24/7 无碳电力得分（计入电网清洁电力）",
        1,
        100.0,
        "%",
    ),
    Kpi(
        "cost_per_compute",
        "Energy cost per unit of compute",
        "单位算力能源成本",
        0,
        1.0,
        "CNY/MWh compute",
        "元/MWh 算力",
    ),
    Kpi(
        "cost_per_mwh_it",
        "Energy cost per MWh IT (not a design ranking)",
        "单位 IT 电量能源成本（不用于方案排序）",
        0,
        1.0,
        "CNY/MWh",
    ),
    Kpi("co2", "CO2 from grid power", "电网购电 CO2 排放", 0, 1.0, "t"),
    Kpi("cue", "CUE", "碳利用效率 CUE", 3, 1.0, "kg/kWh"),
    Kpi("wue", "WUE", "水利用效率 WUE", 2, 1.0, "L/kWh"),
)
"""The Overview's KPI cards, headline first (the hourly green share is the physical figure)."""

TABLE_KPIS = (
    KPI_CARDS[0],
    Kpi("gb40879_grade", "GB 40879 grade", "GB 40879 等级", 0),
    Kpi("policy_pue_limit", "Policy PUE limit", "政策 PUE 限值", 2),
    *KPI_CARDS[1:],
    Kpi("energy_facility", "Facility energy", "设施总能耗", 0, 1.0, "MWh"),
    Kpi("energy_it", "IT energy", "IT 能耗", 0, 1.0, "MWh"),
    Kpi("energy_cooling", "Cooling energy", "制冷能耗", 0, 1.0, "MWh"),
    Kpi("hours_out_of_envelope", "Hours out of envelope", "超出温湿度范围小时数", 0, 1.0, "h"),
    Kpi("energy_green", "Green generation", "绿电发电量", 0, 1.0, "MWh"),
    Kpi("energy_grid_import", "Grid import", "电网购电量", 0, 1.0, "MWh"),
    Kpi("cost_total", "Annual energy cost incl. green plant", "年能源成本（含绿电设施）", 0, 1e-6, "M CNY/yr"),
    Kpi("cost_servers", "Server capex, annualised", "服务器年化投资", 1, 1e-6, "M CNY/yr"),
    Kpi("erf", "Energy reuse factor ERF", "能源再利用系数 ERF", 3, 1.0, ""),
    Kpi("energy_reused", "Heat reused", "余热利用量", 0, 1.0, "MWh"),
    Kpi("fluid_lost_kg", "Coolant fluid lost", "冷却液损耗", 0, 1.0, "kg/yr"),
    Kpi("co2e_fluid_t", "CO2e of fluid lost", "冷却液损耗 CO2e", 1, 1.0, "t/yr"),
    Kpi("cost_fluid_makeup", "Fluid make-up cost", "冷却液补充费用", 2, 1e-6, "M CNY/yr"),
)
"""KPI table of the report and the comparison (in this order). Heat reuse and fluid rows are
shown when some case has them (a heat customer, a fluid that is lost)."""

KPI_BY_NAME = {k.name: k for k in TABLE_KPIS}

WHEN_NONZERO = frozenset({"erf", "energy_reused", "fluid_lost_kg", "co2e_fluid_t", "cost_fluid_makeup"})
"""Rows of :data:`TABLE_KPIS` left out when they are zero in every case (no heat customer, no fluid lost)."""

# Facility power by component (stacked area, Sankey sinks): engine variable names, in order.
COMPONENTS = (
    "p_it",
    "p_cooling_fans",
    "p_pumps",
    "p_compressor",
    "p_heat_rejection",
    "p_humidification",
    "p_ups_loss",
    "p_dist_loss",
    "p_transformer_loss",
    "p_misc",
)

# Dispatch plot: (variable, sign shown, stack group) — supply up, withdrawal down.
DISPATCH = (
    ("p_green_direct", 1, "supply"),
    ("p_discharge", 1, "supply"),
    ("p_grid_import", 1, "supply"),
    ("p_charge", -1, "use"),
    ("p_surplus", -1, "use"),
)

# Network latency to the eastern demand centres, as the sources give it (kept as data).
LATENCY = (
    ("qingyang", "Beijing-Tianjin-Hebei", "京津冀", 8.0, "Qingyang2025b"),
    ("qingyang", "Yangtze River Delta", "长三角", 12.0, "Qingyang2025b"),
    ("qingyang", "Greater Bay Area", "粤港澳大湾区", 15.0, "Qingyang2025b"),
    ("guian", "Shenzhen (Greater Bay Area)", "深圳（粤港澳大湾区）", 10.0, "Guian2025"),
)


@dataclass(frozen=True)
class ComputeAssumptions(Params):
    """The cost of compute's assumptions a user can edit on the Overview, checked as the engine
    checks its parameters (a message naming the field, the value and what is allowed)."""

    section = "compute"

    pflop_h_per_mwh: float = param(
        320.0,
        1.0,
        100_000.0,
        units="PFLOP-h/MWh",
        source="assumption: ~0.8 PFLOP/s dense FP16 per kW of accelerator server × 40 % utilisation; "
        "range: an old CPU server (about 1) to 100 times today's accelerators",
    )
    gflop_per_token: float = param(
        140.0,
        0.001,
        1_000_000.0,
        units="GFLOP",
        source="assumption: 2 × parameters for a 70-billion-parameter dense model (inference); "
        "range: a 0.5-million-parameter model to a 500-trillion-parameter one",
    )


@dataclass(frozen=True)
class DispatchWindow(Params):
    """Where the Green page's dispatch plot starts, checked as a parameter."""

    section = "dispatch_plot"

    start_day: int = param(172, 1, 366, units="1", source="the day of the year the plot starts on (172: 21 June)")


@dataclass(frozen=True)
class GreenRatings(Params):
    """The Green page's rating boxes (beside its sliders), checked as parameters: each slider's range.

    The engine allows more (``green.pv.capacity_mw`` up to 100,000 MW): a rating beyond a slider
    is the Scenario editor's. Each box also takes only its slider's steps (:data:`RATING_STEPS`).
    """

    section = "green_sliders"

    pv_mw: float = param(0.0, 0.0, 600.0, units="MW", source="assumption: the PV slider's range")
    wind_mw: float = param(0.0, 0.0, 600.0, units="MW", source="assumption: the wind slider's range")
    storage_mw: float = param(0.0, 0.0, 400.0, units="MW", source="assumption: the storage power slider's range")
    storage_mwh: float = param(0.0, 0.0, 1600.0, units="MW h", source="assumption: the storage energy slider's range")


RATING_STEPS = {"pv_mw": 10, "wind_mw": 10, "storage_mw": 10, "storage_mwh": 20}
"""Each Green-page slider's step, in its field's units (its box takes these values only)."""


# Cost of compute: the assumptions' labels (name, en, zh); defaults, ranges and sources: ComputeAssumptions.
COMPUTE_ASSUMPTIONS = (
    ("pflop_h_per_mwh", "Compute per nominal-server MWh, PFLOP-h", "每 MWh 标称服务器算力，PFLOP·h"),
    ("gflop_per_token", "Work per token, GFLOP", "每 token 计算量，GFLOP"),
)

COMPUTE_NOTES_ZH = {
    "pflop_h_per_mwh": "假设：加速服务器每 kW 约 0.8 PFLOP/s（FP16 稠密）× 40 % 利用率；"
    "范围：从旧式 CPU 服务器（约 1）到今日加速器的 100 倍",
    "gflop_per_token": "假设：700 亿参数稠密模型推理，每 token 约 2 × 参数量；范围：50 万参数到 500 万亿参数的模型",
}
"""The compute-cost assumptions' notes in Chinese (the English ones are their parameters' sources)."""

_TEXT = {
    "title": ("PUE twin", "数据中心能效数字孪生"),
    "overview": ("Overview", "总览"),
    "cooling": ("Cooling", "制冷"),
    "load_hint": (
        "Load here is the servers' utilisation (facility.utilisation), not occupancy: a half-filled hall is "
        "facility.occupancy.",
        "此处的负载指服务器利用率（facility.utilisation），而非上架率：半满的机房用 facility.occupancy 表示。",
    ),
    "green": ("Green power", "绿电"),
    "scenario": ("Scenario", "情景"),
    "case": ("Case", "工况"),
    "site": ("Site", "站点"),
    "design": ("Cooling design", "制冷方案"),
    "policy": ("Policy", "政策"),
    "limit": ("site PUE limit", "站点 PUE 限值"),
    "grade": ("GB 40879 grade", "GB 40879 等级"),
    "meets": ("meets the limit", "满足限值"),
    "fails": ("above the limit", "超出限值"),
    "no_limit": ("no limit applies", "无适用限值"),
    "shares_equal": (
        "Equal to the hourly share: annual matching adds only green power exported under an export contract "
        "(none here, or no surplus).",
        "与逐时占比相同：年度匹配只额外计入按上网售电合同送出的绿电（本工况无此合同，或无余电）。",
    ),
    "off_map": (
        "Not on the map (it shows China): {names}, in the table only.",
        "地图仅显示中国：{names} 只列于表中。",
    ),
    "reported": ("Reported by the sources", "资料报道值"),
    "modelled": ("modelled", "模型"),
    "comparison": ("Site comparison: East Data, West Computing", "站点对比：东数西算"),
    "comparison_note": (
        "Every site runs the chosen case: its facility, cooling design and green base (MW and MWh) on the "
        "site's generated typical year, with the site's tariff and grid.",
        "每个站点均运行所选工况：相同的设施、制冷方案与绿电配置（MW、MWh），采用该站点的典型气象年、电价与电网参数。",
    ),
    "latency": ("Network latency (sources)", "网络时延（资料）"),
    "compute_cost": ("Electricity cost of compute", "算力电费成本"),
    "per_pflop_h": ("CNY per PFLOP-hour", "元/PFLOP·h"),
    "per_mtok": ("CNY per million tokens", "元/百万 token"),
    "map": ("Sites", "站点分布"),
    "rank": ("Ranked by", "排序依据"),
    "it_mwh_note": (
        "Energy cost per unit of compute (per nominal-server MWh of work) ranks designs: the same work, whatever "
        "IT energy it takes. Per MWh IT is shown for reference only: IT energy counts the server fans, which "
        "liquid designs remove (cold plates keep 25 %, spray 10 %, immersion none), and their cooler chips leak "
        "less, so the same compute takes less IT energy and the fixed green-plant cost is spread over fewer MWh.",
        "单位算力能源成本（每标称服务器 MWh 的工作量）用于比较各方案：相同的算力，不论其 IT 能耗多少。单位 IT 电量成本仅供参考：IT 能耗包含服务器风扇，"
        "液冷方案去除了风扇（冷板式保留 25 %，喷淋式保留 10 %，浸没式不保留），芯片温度更低、漏电更少，相同算力的 IT "
        "能耗更低，固定的绿电设施成本因此摊到更少的 MWh 上。",
    ),
    "design_cmp": ("Design comparison at this site", "本站点各制冷方案对比"),
    "pue_heatmap": ("Hourly PUE", "逐时 PUE"),
    "psychro": ("Weather hours by operating mode", "按运行模式划分的气象小时"),
    "stack": ("Facility power by component (daily mean)", "设施分项功率（日均）"),
    "stack_zero": ("Zero every hour of the year, not drawn: {names}.", "全年每小时均为零，未绘出：{names}。"),
    "sankey": ("Annual energy flow", "年度能量流"),
    "dispatch": ("Dispatch", "调度"),
    "week": ("week", "周"),
    "month": ("month", "月"),
    "year": ("year", "年"),
    "start_day": ("first day of year", "起始日"),
    "start_moved": (
        "A {span} from day {day} would run past the end of {year} ({days} days): shown from day {shown} to the "
        "year's end.",
        "自第 {day} 天起的{span}视图将超出 {year} 年末（共 {days} 天）：改为从第 {shown} 天起显示至年末。",
    ),
    "green_heatmap": (
        "Hourly green share, physical (no grid credit)",
        "逐时绿电占比（物理，不计电网清洁电力）",
    ),
    "cycles": ("Storage: daily discharge and state of charge", "储能：日放电量与荷电状态"),
    "pv_mw": ("PV, MW", "光伏 MW"),
    "wind_mw": ("Wind, MW", "风电 MW"),
    "st_mw": ("Storage power, MW", "储能功率 MW"),
    "st_mwh": ("Storage energy, MWh", "储能容量 MWh"),
    "pareto": ("Optimiser: Pareto frontier", "优化器：帕累托前沿"),
    "not_computed": (
        "not yet computed: press the button (twin size, 50–90 % hourly green)",
        "尚未计算：请点击按钮（twin size，逐时绿电 50–90 %）",
    ),
    "pareto_running": (
        "being computed by a run going on (pressed on this page before, or in another tab): shown here when it ends",
        "正在计算（此前在本页或其他标签页中开始的计算仍在进行）：完成后在此显示",
    ),
    "run_pareto": ("Compute the frontier (4–12 s measured)", "计算帕累托前沿（实测 4–12 秒）"),
    "pareto_run": (
        "Shown: run {n} of this page, the frontier of case {case}.",
        "显示：本页第 {n} 次计算，工况 {case} 的前沿。",
    ),
    "pareto_cached": (
        "Shown: the frontier of case {case}, computed earlier.",
        "显示：工况 {case} 的前沿（此前已计算）。",
    ),
    "pareto_free": (
        "The optimiser sizes PV, wind and storage itself: the case's ratings (its sliders) are not used; the case "
        "gives the site, facility, design, weather and prices. With a store as built and paid for: twin size "
        "SCENARIO.toml --pareto 0.5:0.9:0.1 --storage-mw MW --storage-mwh MWH --sunk storage.",
        "优化器自行确定光伏、风电与储能的规模：不使用本工况的额定值（滑块所设）；工况只提供站点、设施、制冷方案、气象与价格。"
        "按已建且已付费的储能计算：twin size SCENARIO.toml --pareto 0.5:0.9:0.1 --storage-mw MW --storage-mwh MWH --sunk storage。",
    ),
    "pareto_title": ("Cost of the green-power base against the {target}", "绿电配置成本与{target}"),
    "pareto_no_base": ("no base at {points}", "以下目标无方案（原因为英文原文）：{points}"),
    "target_hourly": ("physical hourly green share target", "逐时绿电占比（物理）目标"),
    "target_cfe": ("24/7 CFE score target", "24/7 无碳电力得分目标"),
    "target_annual": ("annual matching target", "年度绿电匹配目标"),
    "target_days": ("24-hour green days target", "全天绿电天数目标"),
    "pareto_cost": ("cost", "成本"),
    "pareto_marginal": ("average over the step", "步长平均"),
    "marginal_per_point": (MARGINAL_TEXT["marginal_per_point"], "百分点"),
    "marginal_per_day": (MARGINAL_TEXT["marginal_per_day"], "天"),
    "marginal_units_point": (MARGINAL_TEXT["marginal_units_point"], "个百分点"),
    "marginal_units_day": (MARGINAL_TEXT["marginal_units_day"], "天"),
    "marginal_step": (MARGINAL_TEXT["marginal_step"], "每{per}平均成本（按步长）"),
    "marginal_step_kwh": (MARGINAL_TEXT["marginal_step_kwh"], "按步长每 kWh 新增绿电的成本"),
    "marginal_last": (MARGINAL_TEXT["marginal_last"], "最高目标最后一个{per}的边际成本（{step}）：{figures}"),
    "marginal_span": (MARGINAL_TEXT["marginal_span"], "其最后 {n} {units}的平均值（{step}），更稳定：{figures}"),
    "marginal_figure": (MARGINAL_TEXT["marginal_figure"], "{design}：每{per} {cost} 百万元/年，新增绿电 {kwh} 元/kWh"),
    "marginal_noisy": (
        MARGINAL_TEXT["marginal_noisy"],
        "单个{per}的成本波动较大：每个点是各自的配置，落在其目标之上一个区间内的任意位置，且按典型日的配置不是凸的",
    ),
    "marginal_said": (
        MARGINAL_TEXT["marginal_said"],
        "每{per}平均成本（按步长）= 自上一目标起这一步的年成本 ÷ 其{per}数（跨多个{per}的一步给出其平均值，而非最后一个"
        "{per}的成本）；元/kWh = 该成本 ÷ 这一步新增的绿电用量：每新增 1 kWh 绿电比其替代的电网电量"
        "多花的成本（年成本已扣除其节省的电网电费）",
    ),
    "pareto_base": (
        "{pv} MW PV, {wind} MW wind, {mw} MW / {mwh} MWh",
        "光伏 {pv} MW、风电 {wind} MW、储能 {mw} MW / {mwh} MWh",
    ),
    "idle_storage_paid": (
        IDLE_STORAGE["idle_storage_paid"],
        "储能 {mwh} MWh、{mw} MW 无法充放电：按闲置计算（不储存电量）。储能按能量（{price} 元/Wh）和功率"
        "（{power_price} 元/W）计价，其成本计入总成本。",
    ),
    "idle_storage_free": (
        IDLE_STORAGE["idle_storage_free"],
        "储能 {mwh} MWh、{mw} MW 无法充放电：按闲置计算（不储存电量）。储能按能量（{price} 元/Wh）和功率"
        "（{power_price} 元/W）计价，故不计成本。",
    ),
    "no_green": (
        "This case has no green-power base: add PV, wind or storage on the Scenario page or with the sliders.",
        "此工况没有绿电配置：请在“情景”页或用滑块添加光伏、风电或储能。",
    ),
    "no_storage": (
        "This case has no storage: add storage power and energy on the Scenario page or with the sliders.",
        "此工况没有储能：请在“情景”页或用滑块添加储能功率与容量。",
    ),
    "no_green_idle_storage": (
        IDLE_STORAGE["no_green_idle_storage"] + " Add PV or wind on the Scenario page or with the sliders.",
        "此工况没有绿电流动：没有光伏或风电，储能 {mwh} MWh、{mw} MW 无电可充，处于闲置。"
        "请在“情景”页或用滑块添加光伏或风电。",
    ),
    "edit": ("Edit the scenario (TOML)", "编辑情景（TOML）"),
    "apply": ("Apply", "应用"),
    "applied": ("Applied: {n} case(s).", "已应用：{n} 个工况。"),
    "draft": (
        "A draft, not applied: Apply refused this text; the pages show the last applied scenario.",
        "草稿，未应用：应用时被拒绝；各页面显示的是上次应用的情景。",
    ),
    "draft_typed": (
        "A draft, not applied yet: press Apply to run it; the pages show the last applied scenario.",
        "草稿，尚未应用：点击“应用”运行；各页面显示的是上次应用的情景。",
    ),
    "draft_stale": (
        "It was typed over an older scenario; the applied scenario changed since ({changes}). Apply runs this "
        "text as it is; Discard draft shows the applied scenario.",
        "该草稿基于较早的情景；此后应用的情景已改变（{changes}）。“应用”按原文运行此草稿；“放弃草稿”显示已应用的情景。",
    ),
    "draft_stale_unknown": (
        "It was typed over an older scenario; the applied scenario changed since. Apply runs this text as it "
        "is; Discard draft shows the applied scenario.",
        "该草稿基于较早的情景；此后应用的情景已改变。“应用”按原文运行此草稿；“放弃草稿”显示已应用的情景。",
    ),
    "discard_draft": ("Discard draft", "放弃草稿"),
    "undo_sliders": ("Undo the sliders: back to the scenario applied before them", "撤销滑块：恢复滑块之前应用的情景"),
    "ratings_all_cases": (
        "The sliders set the ratings of every case of the scenario ({n} cases); its sites, designs and sweep are kept.",
        "滑块设定情景中全部 {n} 个算例的容量；其站点、冷却方案与扫描保持不变。",
    ),
    "upload": ("Upload an EPW weather file (max {mb} MB)", "上传 EPW 气象文件（最大 {mb} MB）"),
    "epw_ok": ("Weather file read: {n} hours, {notes}", "气象文件已读取：{n} 小时，{notes}"),
    "downloads": ("Downloads", "下载"),
    "csv": ("Hourly CSV", "逐时 CSV"),
    "netcdf": ("NetCDF", "NetCDF"),
    "report": ("HTML report", "HTML 报告"),
    "sources": ("Non-default parameters and their sources", "非默认参数及其来源"),
    "kpis": ("KPIs", "关键指标"),
    "report_meta": (
        "twin report · {when} · {n} case(s) · weather: {weather}",
        "twin report · {when} · {n} 个工况 · 气象：{weather}",
    ),
    "typical_year": ("generated typical year, seed {seed}", "生成的典型气象年，种子 {seed}"),
    "kpi_note": (
        "PUE is energy-weighted over the year. Green share, physical hourly (the headline): green energy "
        "used in the hour it is generated or through storage, no grid credit; annual matching: the same, "
        "plus energy exported under an export contract, over the year; 24/7 CFE score: hour by hour, with "
        "the grid's carbon-free share credited to the energy taken from the grid. Cost includes the green "
        "plant's annuity or PPA; CO2 from grid electricity with the site's provincial factor; GB 40879 "
        "thresholds unverified against the standard's text.",
        "PUE 为全年按能量加权的值。逐时绿电占比（物理，主指标）：发电当小时直接使用或经储能使用的绿电，不计电网清洁电力；"
        "年度绿电匹配占比：同上，另计出口合同下的上网电量，按全年匹配；24/7 无碳电力得分：逐时计算，"
        "从电网购入的电量按电网无碳电力比例计入。成本含绿电设施年化投资或购电协议（PPA）费用；CO2 按站点所在省份的电网排放因子计算"
        "电网购电；GB 40879 等级阈值未经标准原文核对。",
    ),
    "tariff_grid": (
        "Tariff {price} {unit} ({source}); grid {co2} kg CO2/kWh ({grid_source}).",
        "电价 {price} {unit}（{source}）；电网 {co2} kg CO2/kWh（{grid_source}）。",
    ),
    "all_defaults": ("all defaults", "全部为默认值"),
    "assumptions_text": (
        "Every default parameter's value, units and source (or the word assumption) is declared once in "
        "the twin's parameter classes (twin.core.params.param); the table above lists those this scenario "
        "changes. Site data and their sources: {file}.",
        "每个参数的默认值、单位与来源（或注明“假设”）均在孪生模型的参数类中统一声明（twin.core.params.param）；"
        "上表列出本情景修改过的参数。站点数据及其来源：{file}。",
    ),
    "params_text": (
        "Default texts and sources are the parameter declarations' own text.",
        "默认值说明与来源为参数声明原文（英文）。",
    ),
    "sweep_source": ("sweep (scenario)", "扫描（情景）"),
    "assumptions": ("Assumptions", "假设"),
    "lang": ("中文", "English"),
    "error": ("Error", "错误（信息为英文原文）"),
    "error_said": ("Error", "错误"),
    "quoted": ("“{text}”", "“{text}”"),
    "refused": (". Not applied.", "。未应用。"),
    "refused_kept": (". Not applied: it stays at {value}.", "。未应用：仍为 {value}。"),
    "sources_text": ("What, basis and source are the sources' own text.", "说明、依据与来源为资料原文（英文）。"),
    "basis_text": ("(the basis as the source gives it)", "（依据为资料原文，英文）"),
    "modes": ("operating mode", "运行模式"),
    "ppue_cooling": ("pPUE (cooling)", "制冷 pPUE"),
    "envelope": ("ASHRAE {env} envelope", "ASHRAE {env} 允许范围"),
    "day_of_year": ("day of year", "年内日序"),
    "day_hour_hover": ("day {day}, {hour}:00", "第 {day} 天 {hour}:00"),
    "hour_of_day": ("hour of day", "时刻"),
    "latency_src": ("Latency as the sources give it; blank where no source gives one.", "时延取自资料；无资料处留空。"),
    "grid": ("grid", "电网"),
    "green_supply": ("green supply", "绿电"),
    "losses": ("losses and misc", "损耗及其他"),
    "cooling_sink": ("cooling", "制冷"),
    "it": ("IT", "IT"),
    "storage_loss": ("storage losses", "储能损耗"),
    "surplus": ("surplus", "余电"),
    "soc": ("state of charge", "荷电状态"),
    "discharge": ("discharged per day", "日放电量"),
    "soc_day_max": ("max SOC", "日最高荷电状态"),
    "soc_day_min": ("min SOC", "日最低荷电状态"),
    "col_metric": ("metric", "指标"),
    "col_reported": ("reported", "报道值"),
    "col_what": ("what", "说明"),
    "col_source": ("source", "来源"),
    "col_field": ("field", "参数"),
    "col_value": ("value", "取值"),
    "col_default": ("default", "默认值"),
    "col_units": ("units", "单位"),
}


_DESIGN_ZH = {  # design: (short name, label), the engine's labels in Chinese
    "free_air": ("新风自然冷却", "新风自然冷却（节能器 + 蒸发冷却 + 直膨补冷）"),
    "chilled_water": ("冷冻水", "冷冻水（冷水机组 + 冷却塔 + 节能器）"),
    "indirect_evap": ("间接蒸发冷却", "间接蒸发冷却（空-空换热器，干 / 湿 / 直膨补冷）"),
    "spray": ("喷淋液冷", "喷淋式液冷"),
    "cold_plate": ("冷板液冷", "冷板式液冷（芯片直接液冷，其余风冷）"),
    "immersion_1p": ("单相浸没", "单相浸没式液冷"),
    "immersion_2p": ("两相浸没", "两相浸没式液冷"),
}

# A design or mode missing here is shown in English; tests/dashboards/test_views.py checks none is.
_MODE_ZH = {  # the designs' operating modes (twin.building.cooling: each design's ``modes``)
    "mix": "新风回风混合",
    "outdoor": "全新风",
    "evaporative": "蒸发冷却",
    "evaporative+trim": "蒸发冷却 + 补冷",
    "outdoor+trim": "新风 + 补冷",
    "closed": "风阀关闭（内循环）",
    "free cooling": "完全自然冷却",
    "partial economiser": "部分自然冷却",
    "chiller": "冷水机组",
    "dry": "干冷",
    "wet": "湿冷",
    "wet+trim": "湿冷 + 补冷",
    "adiabatic": "绝热喷淋",
    "short": "冷量不足（未达供水温度）",
}


def design_name(name: str, lang: str = "en") -> str:
    """A cooling design's short name: its key (``free_air``, as a scenario writes it) or Chinese name."""
    return _DESIGN_ZH.get(name, (name,))[0] if lang == "zh" else name


def design_label(name: str, lang: str = "en") -> str:
    """A cooling design's one-line label: the engine's, or its Chinese translation."""
    return _DESIGN_ZH[name][1] if lang == "zh" and name in _DESIGN_ZH else DESIGNS[name].label


def mode_name(mode: str, lang: str = "en") -> str:
    """An operating mode's name as the engine gives it, or in Chinese."""
    return _MODE_ZH.get(mode, mode) if lang == "zh" else mode


METRIC_LABELS = {  # a site file's [[reported]] metric id: its name on the Overview's Reported table (en, zh)
    "annual_mean_temperature": ("Annual mean temperature", "年平均气温"),
    "co2_avoided": ("CO2 avoided", "减少的 CO2 排放"),
    "electricity_share_of_spend": ("Electricity share of spending", "电费占数据中心支出比例"),
    "free_cooling_months": ("Free-cooling months", "自然冷却月数"),
    "green_power_subsidy": ("Green-power server subsidy", "绿电服务器补贴"),
    "green_share": ("Green share", "绿电占比"),
    "households_served": ("Households served", "可供电户数"),
    "power_capacity": ("Power capacity", "供电容量"),
    "pue": ("PUE", "PUE"),
    "rack_density": ("Rack density", "机柜功率密度"),
    "spray_compute_change": ("Spray cooling: change in compute", "喷淋液冷的算力变化"),
    "spray_energy_change": ("Spray cooling: change in energy", "喷淋液冷的能耗变化"),
    "spray_server_ratio": ("Spray cooling: servers for the same work", "喷淋液冷的服务器数量比"),
    "storage_energy": ("Storage energy", "储能容量"),
    "storage_power": ("Storage power", "储能功率"),
    "typical_us_overhead_share": ("Typical US non-compute share", "美国典型数据中心非算力用电占比"),
}


PARAM_ZH = {
    "facility.it_capacity_kw": ("IT 设计容量", "kW"),
    "facility.racks": ("机柜数", ""),
    "facility.kw_per_rack": ("单机柜功率", "kW"),
    "facility.containment": ("气流遏制", ""),
    "facility.utilisation": ("利用率", ""),
    "facility.occupancy": ("上架率", ""),
    "facility.performance_factor": ("单服务器相对算力", ""),
    "green.pv.capacity_mw": ("光伏", "MW"),
    "green.wind.capacity_mw": ("风电", "MW"),
    "green.storage.power_mw": ("储能功率", "MW"),
    "green.storage.energy_mwh": ("储能容量", "MWh"),
    "cooling.free_air.evap_effectiveness": ("蒸发冷却效率", ""),
    "cooling.free_air.t_supply_max": ("最高送风温度", "°C"),
}
"""The Chinese names of the scenario parameters a study most often sweeps, by key: (name, shown
unit); a case label on the Chinese pages names a swept parameter so (:func:`swept_value`)."""


def swept_value(key: str, name: str, value: str, lang: str = "en") -> str:
    """A swept parameter ``key`` and its ``value`` (already written out) in a case label: as
    ``name=value`` (``energy_mwh=200``: ``name`` is the key or its field name), on the Chinese
    pages by its Chinese name and unit (:data:`PARAM_ZH`: ``储能容量 200 MWh``) where it has one."""
    zh = PARAM_ZH.get(key) if lang == "zh" else None
    if zh is None:
        return f"{name}={value}"
    label, unit = zh
    return f"{label} {value}" + (f" {unit}" if unit else "")


def metric_label(metric: str, lang: str = "en") -> str:
    """A reported metric (a site file's ``[[reported]] metric``) as the page names it in ``lang``
    (:data:`METRIC_LABELS`); an id it does not list (a user's own site file) as it is written."""
    en, zh = METRIC_LABELS.get(metric, (metric, metric))
    return zh if lang == "zh" else en


PLOTLY_LOCALES = {"en": "en", "zh": "zh-CN"}
"""plotly.js's locale of each language: its month and day names in date ticks and hovers, its mode
bar's words. zh-CN is served from the app's assets (``plotly-locale-zh-cn.js``, from the npm
package plotly.js-locales, MIT), never from the network."""


def plotly_locale_script(lang: str = "en") -> str:
    """The script that registers plotly.js's locale of ``lang`` (the app's asset, inlined by the
    report); "" for English, plotly.js's own."""
    if PLOTLY_LOCALES.get(lang, "en") == "en":
        return ""
    name = f"plotly-locale-{PLOTLY_LOCALES[lang].lower()}.js"
    return (Path(__file__).resolve().parent / "assets" / name).read_text(encoding="utf-8")


def graph_config(lang: str = "en") -> Any:
    """A ``dcc.Graph``'s config in ``lang``: plotly.js's locale (:data:`PLOTLY_LOCALES`), no logo
    (typed Any: Dash types a graph's config as its own TypedDict)."""
    return {"displaylogo": False, "locale": PLOTLY_LOCALES.get(lang, "en")}


def t(key: str, lang: str = "en", **fmt: object) -> str:
    """The text ``key`` in ``lang`` ('en' or 'zh'), formatted with ``fmt``."""
    en, zh = _TEXT[key]
    s = zh if lang == "zh" else en
    return s.format(**fmt) if fmt else s


_BEYOND_ZH = "（超出最大浮点数 ±1.8e308）"
""":data:`weather.fmt.BEYOND_LARGEST` in Chinese."""

ERRORS_ZH = {
    "out_of_range": "{field} = {value} 超出范围；允许 {allowed}",
    "beyond_year": "{field} = {value} 超出 {year} 年的 {days} 天；允许 {allowed}",
    "off_step": "{field} = {value} 不在滑块的刻度上；允许 {allowed}，步长 {step}",
    "swept_rating": "{field_zh}在情景的扫描中（sweep.{key} = {values}）；请在“情景”页修改它",
    "not_number": "{field} 须为数字，收到 {value}{allowed}",
    "not_whole": "{field} 须为整数，收到 {value}{allowed}",
    "not_finite": "{field} 须为有限数，收到 {value}{allowed}",
    "beyond_largest": "{field} 须为有限数，收到 {value}" + _BEYOND_ZH + "{allowed}",
    "choice": "{field} = {value} 不允许；可选 {allowed}",
    "not_bool": "{field} 须为 true 或 false，收到 {value}",
    "no_value": "{field} 须给出（无值）",
    "unknown_field": "未知字段 {field}；允许的字段：{allowed}",
    "unknown_field_close": "未知字段 {field}（是否为 {close}？）；允许的字段：{allowed}",
    "unknown_site": "未知站点 {value}；已知站点：{allowed}",
    "unknown_design": "未知冷却方案 {value}；可选 {allowed}",
    "not_text": "{field} 须为非空文本，收到 {value}",
    "not_parameter": "{key} 不是参数；请写 SECTION.NAME，SECTION 可为 {allowed}",
    "toml_syntax": "不是有效的 TOML：第 {line} 行第 {column} 列（解析器原文：{detail}）",
    "toml_syntax_end": "不是有效的 TOML：在文本末尾（解析器原文：{detail}）",
    "sweep_empty": "sweep.{key} 没有取值",
    "sweep_repeated": "sweep.{key} 有重复取值（{value}）；每个值只写一次",
    "one_file_many_sites": "{file} 是一个站点的气象文件，但场景有 {count} 个站点；请只用一个站点",
    "too_many_cases": (
        "场景有 {count} 个算例；仪表盘及其报告最多接受 {most} 个（每个算例都可选择，并在应用时运行）："
        "请用 twin sweep SCENARIO.toml 运行，或减少扫描取值"
    ),
    "upload_not_here": "weather.source = {value} 不是在本页上传的文件（上传标签只属于上传它的浏览器标签页）；请在此上传 {name}",
    "upload_gone": "weather.source = {value} 所指的上传文件服务器已不再保留（每个页面只保留最新 {kept} 个上传）；请重新上传 {name}",
    "no_session": "页面未发送会话 ID（收到 {value}）；请刷新页面",
    "not_epw": "{file}：第 1 行须以 LOCATION 开头；这不是 EPW 文件",
    "epw_fields": "{file}：第 {line} 行有 {fields} 个字段，应为 {expected} 个（行被截断或格式有误）",
    "epw_fields_short": "{file}：第 {line} 行有 {fields} 个字段，至少应有 {expected} 个（行被截断或格式有误）",
    "year_rows": "{file}：{rows} 行逐时数据；一年需要 8760 行（闰年 8784 行）— {off}",
    "no_such_file": "{file}：找不到该文件（{what}）",
    "too_large": "{file}：{mb} MB 过大；一年的 EPW 约 1.6 MB（上限 {limit} MB）",
    "not_a_year": "{file}：自 {start} 起共 {hours} 小时；运行需要完整的一年（8760 小时，闰年 8784 小时）",
    "station_far": (
        "{file}：文件位置（{station}）距站点 {site}（{location}）{km} km，高差 {dz} m；"
        "超过 {refuse_km} km 或 {refuse_m} m 即为另一种气候：请用该文件所在地的站点运行（带其位置的站点文件，--site-dir）"
    ),
}
"""The engine's common user errors in Chinese, by kind (:class:`weather.fmt.Explained`: a
:class:`~twin.core.params.ConfigError`, :class:`sites.SiteError` or :class:`weather.WeatherError`
with its parts; ``{field_zh}``: the field's Chinese name, :data:`PARAM_ZH`, where it has one).
Field names, values, file names and site keys stay as the scenario writes them
(a TOML reader's own detail too, marked as its text); an error of another kind, or of none, is
shown in English, marked as such (docs/dashboard-messages.md lists which and why)."""

_PARTS_ZH = {
    "what": {
        "weather file": "气象文件",
        "scenario file": "场景文件",
        "CSV file of cases (--list)": "算例 CSV 文件（--list）",
        "CSV file of hourly values": "逐时数值 CSV 文件",
        "site directory": "站点目录",
    },
    "off": {
        "short": "文件是否被截断？",
        "long": "多于一年：是几年的数据，还是有重复的行？请给出一年的逐时数据",
        "leap": "闰年文件是否被截断，或有重复的行？",
    },
}
"""Parts of an error that are words, not values (a file's kind, which way a year is off), in
Chinese; a part ``what (field)`` keeps its field."""


def _part_zh(key: str, value: object) -> object:
    if key == "value" and isinstance(value, str):  # a number beyond the largest float, as the message repeats it
        return value.replace(f" ({BEYOND_LARGEST})", _BEYOND_ZH)
    words = _PARTS_ZH.get(key)
    if words is None or not isinstance(value, str):
        return value
    head, paren, rest = value.partition(" (")
    if value not in words and head in words and paren:
        return f"{words[head]}（{rest.removesuffix(')')}）"
    return words.get(value, value)


_ALLOWED_ZH = {"not_number", "not_whole", "not_finite", "beyond_largest"}
"""Kinds whose "allowed" part is optional: said as "；允许 …" when there is one."""


def error_text(exc: object, lang: str = "en") -> tuple[str, bool]:
    """A user error's text in ``lang`` and whether it is in that language: the English message
    (``str(exc)``), or in Chinese from its kind and parts (:data:`ERRORS_ZH`), prefixed with its
    contexts as the English one is (``scenario: …``). (text, False) when Chinese has no
    rendering of it: the English message, for the page to mark as English."""
    text = str(exc)
    kind = getattr(exc, "kind", None)
    if lang != "zh" or kind not in ERRORS_ZH:
        return text, lang != "zh"
    parts = {k: _part_zh(k, v) for k, v in getattr(exc, "parts", {}).items()}
    field = parts.get("field")
    if isinstance(field, str):
        parts["field_zh"] = PARAM_ZH[field][0] if field in PARAM_ZH else field
    if kind in _ALLOWED_ZH:
        parts["allowed"] = f"；允许 {parts['allowed']}" if parts.get("allowed") else ""
    try:
        body = ERRORS_ZH[kind].format(**parts)
    except KeyError:  # a kind raised without a part its Chinese names
        return text, False
    return "".join(f"{w}: " for w in getattr(exc, "where", ())) + body, True


_VAR_ZH = {
    "p_facility": "设施功率",
    "p_it": "IT 功率",
    "p_cooling": "制冷功率",
    "p_cooling_fans": "空调风机",
    "p_pumps": "水泵",
    "p_compressor": "压缩机",
    "p_heat_rejection": "散热风机",
    "p_humidification": "加湿",
    "p_ups_loss": "UPS 损耗",
    "p_dist_loss": "配电损耗",
    "p_transformer_loss": "变压器损耗",
    "p_misc": "照明及其他",
    "pue": "逐时 PUE",
    "p_pv": "光伏出力",
    "p_wind": "风电出力",
    "p_green": "绿电供应",
    "p_green_direct": "绿电直供",
    "p_charge": "储能充电",
    "p_discharge": "储能放电",
    "p_grid_import": "电网购电",
    "p_surplus": "余电（弃电或上网）",
    "soc": "储能荷电状态",
    "t_db": "室外干球温度",
}


def unit_of(name: str) -> str:
    """The shown unit of a registered hourly variable ('' for dimensionless), as twin's tables show it."""
    v = REGISTRY[name]
    return display_units(v.units, v.currency)


def var_label(name: str, lang: str = "en", unit: str | None = None) -> str:
    """Axis or legend label of an hourly variable: its long name (or Chinese name) and unit."""
    base = _VAR_ZH.get(name, REGISTRY[name].long_name) if lang == "zh" else REGISTRY[name].long_name
    return with_unit(base, unit_of(name) if unit is None else unit, lang)


def colon(lang: str = "en") -> str:
    """What joins a title and its part (``Dispatch: week``): in Chinese the full-width colon (``调度：周``)."""
    return "：" if lang == "zh" else ": "


UNIT_WORDS_ZH = (("M CNY", "百万元"), ("CNY", "元"), ("/yr", "/年"), ("months", "个月"))
"""How the Chinese pages write the words of a unit (:func:`unit_text`), the longer first."""


def unit_text(unit: str | None, lang: str = "en") -> str | None:
    """A unit as a page in ``lang`` writes it: in Chinese, money in 元 and a year as 年
    (:data:`UNIT_WORDS_ZH`: ``CNY/kWh`` → ``元/kWh``, ``M CNY/yr`` → ``百万元/年``, ``t/yr`` →
    ``t/年``); symbols (``kWh``, ``MW``, ``%``) as they are, and every unit as it is in English."""
    if lang != "zh" or not unit:
        return unit
    for en, zh in UNIT_WORDS_ZH:
        unit = unit.replace(en, zh)
    return unit


def with_unit(label: str, unit: str | None, lang: str = "en") -> str:
    """A label and its unit as an axis title or a table heading: ``IT power, kW``; in Chinese
    with the full-width comma, ``IT 功率，kW``; the label alone without a unit (None or "")."""
    return f"{label}{'，' if lang == 'zh' else ', '}{unit}" if unit else label


AXIS_TITLES = {
    "humidity_ratio": (("humidity ratio", "g/kg"), ("含湿量", "g/kg")),
    "power": (("power", "MW"), ("功率", "MW")),
    "longitude": (("longitude", "°E"), ("经度", "°E")),
    "latitude": (("latitude", "°N"), ("纬度", "°N")),
    "pareto_x": (("target", "%"), ("目标", "%")),
    "pareto_x_days": (("target", "days"), ("目标", "天")),
    "pareto_cost": (("annual cost", "M CNY/yr"), ("年成本", "百万元/年")),
    "pareto_marginal_point": (("marginal cost", "M CNY/yr per point"), ("边际成本（每百分点）", "百万元/年")),
    "pareto_marginal_day": (("marginal cost", "M CNY/yr per day"), ("边际成本（每天）", "百万元/年")),
}
"""Axis titles of quantities that are not registered hourly variables (those are
:func:`var_label`'s): {key: ((English label, unit), (Chinese label, unit))}, written out by
:func:`axis_title`."""


def axis_title(key: str, lang: str = "en") -> str:
    """An axis title of :data:`AXIS_TITLES` in ``lang``: its label and unit as :func:`with_unit`
    writes them (``humidity ratio, g/kg``; ``含湿量，g/kg``)."""
    label, unit = AXIS_TITLES[key][1 if lang == "zh" else 0]
    return with_unit(label, unit, lang)


def kpi_heading(kpi: Kpi, lang: str = "en") -> str:
    """A KPI as a table's column heading or a chart's title: its label and shown unit
    (``CO2 from grid power, t``; ``电网购电 CO2 排放，t``, ``年能源成本（含绿电设施），百万元/年``: :func:`with_unit`);
    the label alone for a KPI shown without one (PUE)."""
    return with_unit(kpi.label(lang), kpi.shown_unit(lang), lang)
