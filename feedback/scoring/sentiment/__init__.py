"""Sentiment of feedback text: engines (snownlp baseline, default linear model), training and rating fusion."""

from feedback.scoring.sentiment.engines import (
    DEFAULT_ENGINE,
    ENGINES,
    LinearEngine,
    ModelEngine,
    SentimentEngine,
    SnowNLPEngine,
    default_training_set,
    make_sentiment_engine,
)
from feedback.scoring.sentiment.fusion import (
    DEFAULT_FUSION,
    LABELS,
    FusionParams,
    fuse,
    fuse_one,
    is_hidden_complaint,
    label_of,
)
from feedback.scoring.sentiment.lexicon import Lexicon, LexiconError, load_lexicon
from feedback.scoring.sentiment.model import (
    LabelError,
    SentimentModel,
    SentimentParams,
    load_model,
    parse_labels,
    save_model,
    train_sentiment,
)

__all__ = [
    "DEFAULT_ENGINE", "DEFAULT_FUSION", "ENGINES", "LABELS", "FusionParams", "LabelError", "Lexicon",
    "LexiconError", "LinearEngine", "ModelEngine", "SentimentEngine", "SentimentModel", "SentimentParams",
    "SnowNLPEngine", "default_training_set", "fuse", "fuse_one", "is_hidden_complaint", "label_of",
    "load_lexicon", "load_model", "make_sentiment_engine", "parse_labels", "save_model", "train_sentiment",
]
