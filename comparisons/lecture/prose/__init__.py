"""The two reports' text around the computed numbers: English (en) and Japanese (ja), same placeholders."""

from comparisons.lecture.prose.en import EN
from comparisons.lecture.prose.ja import JA

STRINGS = {"en": EN, "ja": JA}
