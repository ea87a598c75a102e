"""Chinese display names of codes (levels, channels, categories, sentiments, tags) and display-time masking."""

from __future__ import annotations

from feedback import codes
from feedback.scoring.taxonomy import Taxonomy, load_taxonomy

SENTIMENT_NAMES = {"neg": "负面", "neu": "中性", "pos": "正面"}
KIND_NAMES = {"rating": "评价", "message": "留言"}
LEVELS = dict(codes.LEVELS)
FIELD_NAMES = codes.FIELD_NAMES  # one definition: feedback.codes
CHANNELS = dict(codes.CHANNELS)
ENGINE_NAMES = {"linear": "内置线性模型", "default": "内置线性模型", "snownlp": "SnowNLP 模型", "model": "本单位训练的模型"}


CONFIDENCE_BANDS = ((0.7, "高"), (0.4, "中"), (0.0, "低"))  # a category's model probability as words on screens


def confidence_name(conf: float | None) -> str | None:
    """A classifier probability as 高 / 中 / 低 (a bare "100%" reads as certainty the model does not have)."""
    if conf is None:
        return None
    return next(name for low, name in CONFIDENCE_BANDS if conf >= low)


def engine_name(engine: str | None) -> str:
    """A sentiment engine's name on screens (``linear`` → 内置线性模型)."""
    return ENGINE_NAMES.get(engine or "", "其他模型" if engine else "—")


def level_name(level: int | None) -> str:
    return codes.level_name(level) or "—"


def channel_name(code: str | None) -> str:
    return codes.channel_name(code) or (code or "—")


def category_name(slug: str | None, taxonomy: Taxonomy | None = None) -> str:
    """A category's name in the taxonomy (the app's, ``context.taxonomy()``; None: the packaged one)."""
    if not slug:
        return "—"
    return (taxonomy if taxonomy is not None else load_taxonomy()).name(slug)


def category_order(taxonomy: Taxonomy | None = None) -> list[str]:
    """First-level category slugs in the taxonomy's order, then its "other"."""
    taxonomy = taxonomy if taxonomy is not None else load_taxonomy()
    return [*taxonomy.slugs, taxonomy.other_slug]


def sentiment_name(code: str | None) -> str:
    return SENTIMENT_NAMES.get(code or "", code or "—")


def field_name(field: str | None) -> str:
    """``"level_raw"`` → ``"满意度"`` (screens carry no field codes)."""
    return codes.field_label(field)


def profile_name(name: str | None) -> str:
    """``"national"`` → ``"全国一体化平台接口"``; a saved profile keeps its own name."""
    return codes.profile_name(name)


def tag_texts(tags: str | None) -> list[str]:
    """``"110,209"`` → ``["110 无理由超过法定办理时间", "209 未在承诺时间内办结"]``."""
    out = []
    for code in (tags or "").replace("|", ",").split(","):
        code = code.strip()
        if code:
            info = codes.tag_info(code)
            out.append(f"{code} {info.text}" if info else code)
    return out


def mask_texts(texts: list[str | None]) -> list[str | None]:
    """Mask PII again at display time (stored text is masked on ingest; this guards older or foreign rows)."""
    try:
        import pandas as pd

        from feedback.text.pii import mask_text
    except ImportError:  # the PII module is not there yet
        return texts
    if not any(texts):
        return texts
    series = pd.Series(texts, dtype="string")
    masked = mask_text(series)
    return [None if t is None else str(m) for t, m in zip(texts, masked.tolist(), strict=True)]


def stage_error(error: str) -> str:
    """A later stage's failure (``"score: ScoringError: …"``) as a line for screens: the stage's Chinese name; the
    technical message stays in the server log."""
    from feedback.pipeline import STAGES

    names = {s.name: s.label for s in STAGES}
    name = error.split(":", 1)[0].strip()
    return f"“{names[name]}”一步失败，详情已记入系统日志" if name in names else "后续处理失败，详情已记入系统日志"
