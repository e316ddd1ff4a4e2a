"""Translations, number formats and country names for readers of vnsim's outputs.

Every sentence a reader sees comes from one gettext catalogue (``locale/vnsim.pot``, with
``en`` and ``vi`` ``.po`` files compiled when first used); numbers, percentages and dates are
formatted by Babel for the language, and country names come from CLDR through Babel.

Usage::

    t = translator("vi")
    t.gettext("World EGDI rank")       # or t("World EGDI rank")
    t.number(22.63, digits=1)          # '22,6'
    t.percent(0.685)                   # '69 %'
    t.country("VNM")                   # 'Việt Nam'
"""

from __future__ import annotations

import functools
import gettext
import io
from dataclasses import dataclass
from importlib import resources
from typing import Literal

from babel import Locale, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

Lang = Literal["en", "vi"]
LANGUAGES: tuple[Lang, ...] = ("en", "vi")
DOMAIN = "vnsim"

#: ISO 3166 alpha-3 -> alpha-2 (CLDR names territories by alpha-2). Placeholder until the
#: mapping is read from CLDR: only the countries a chart labels today.
_ALPHA2: dict[str, str] = {"VNM": "VN"}


@functools.cache
def catalogue(lang: Lang) -> gettext.NullTranslations:
    """The compiled catalogue of ``lang`` (``locale/<lang>/LC_MESSAGES/vnsim.po``)."""
    if lang not in LANGUAGES:
        raise ValueError(f"no translations for {lang!r}; languages: {', '.join(LANGUAGES)}")
    po = resources.files("vnsim.present") / "locale" / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po.is_file():
        return gettext.NullTranslations()
    with po.open("rb") as f:
        parsed = read_po(f, locale=lang, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, parsed)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


@dataclass(frozen=True)
class Translator:
    """Messages, numbers and names in one language."""

    lang: Lang

    @property
    def locale(self) -> Locale:
        return Locale.parse(self.lang)

    def gettext(self, message: str) -> str:
        return catalogue(self.lang).gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return catalogue(self.lang).ngettext(singular, plural, n)

    __call__ = gettext

    def number(self, x: float, digits: int = 1) -> str:
        """``x`` with ``digits`` decimals and the language's separators (vi: ``22,6``)."""
        return numbers.format_decimal(
            x, format=f"#,##0.{'0' * digits}" if digits else "#,##0", locale=self.lang
        )

    def percent(self, p: float, digits: int = 0) -> str:
        """A share 0–1 as a percentage (``0.685`` -> en ``69%``, vi ``69%``)."""
        pattern = f"#,##0.{'0' * digits}%" if digits else "#,##0%"
        return numbers.format_percent(p, format=pattern, locale=self.lang)

    def country(self, iso3: str) -> str:
        """The country's name in the language, from CLDR (ISO3 code in, name out)."""
        alpha2 = _ALPHA2.get(iso3)
        return self.locale.territories.get(alpha2, iso3) if alpha2 else iso3


def translator(lang: Lang) -> Translator:
    """A :class:`Translator` for ``lang`` (``"en"`` or ``"vi"``)."""
    if lang not in LANGUAGES:
        raise ValueError(f"no translations for {lang!r}; languages: {', '.join(LANGUAGES)}")
    return Translator(lang)
