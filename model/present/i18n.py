"""Translations, number formats and country names for readers of vnsim's outputs.

Every sentence a reader sees comes from one gettext catalogue (``locale/vnsim.pot``, with
``en`` and ``vi`` ``.po`` files compiled when first used); numbers, percentages and dates are
formatted by Babel with the language's CLDR patterns, and country names come from CLDR through
Babel.

Usage::

    t = translator("vi")
    t.gettext("World EGDI rank")       # or t("World EGDI rank")
    t.number(22.63, digits=1)          # '22,6'
    t.percent(0.685)                   # '69%'
    t.country("VNM")                   # 'Việt Nam'

Messages are marked for extraction by calling ``t(...)``, ``_(...)``, ``gettext``,
``ngettext`` or ``pgettext`` with a string literal, or ``N_(...)`` where the translation happens
later (a table of msgids). Placeholders are ``str.format`` fields (``{name}``), filled after
translation; numbers put into them are formatted first with :meth:`Translator.number` or
:meth:`Translator.percent`, so a msgid never carries a ``%`` sign.

Rounding (one rule for every number and percentage shown): **half away from zero**, applied to
the shortest decimal representation of the value (what ``str`` prints), so ``0.685`` -> 69 %
and ``2.675`` -> 2.68 with two digits. Python's ``round`` and Babel's default (half to even on
the binary value) would give 68 % and 2.67.
"""

from __future__ import annotations

import datetime
import functools
import gettext
import io
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from typing import TYPE_CHECKING, Literal

from babel import Locale, dates, numbers
from babel.core import get_global
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from vnsim.errors import N_ as N_  # the one marker, re-exported for present

if TYPE_CHECKING:
    import jinja2

Lang = Literal["en", "vi"]
LANGUAGES: tuple[Lang, ...] = ("en", "vi")
DOMAIN = "vnsim"
#: Shown for a missing number (NaN) instead of Babel's "NaN".
MISSING = "–"


def _check_lang(lang: str) -> None:
    if lang not in LANGUAGES:
        raise ValueError(f"no translations for {lang!r}; languages: {', '.join(LANGUAGES)}")


@functools.cache
def catalogue(lang: Lang) -> gettext.GNUTranslations:
    """The compiled catalogue of ``lang`` (``locale/<lang>/LC_MESSAGES/vnsim.po``).

    The ``.po`` file is package data and is compiled in memory on first use (no ``.mo`` files to
    keep in step). Fuzzy entries are left out, so an unreviewed translation shows the English.
    """
    _check_lang(lang)
    po = resources.files("vnsim.present") / "locale" / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po.open("rb") as f:
        parsed = read_po(f, locale=lang, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, parsed, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


@functools.cache
def alpha2_codes() -> Mapping[str, str]:
    """ISO 3166 alpha-3 -> alpha-2 codes, from CLDR's territory aliases (through Babel).

    CLDR lists every alpha-3 code as an "overlong" alias of its alpha-2 territory
    (``supplementalMetadata.xml``, ``<territoryAlias type="VNM" replacement="VN">``); aliases of
    former countries that split (``SUN``, ``YUG``, ...) have several replacements and are left out.
    """
    aliases: Mapping[str, list[str]] = get_global("territory_aliases")
    return {
        code: targets[0]
        for code, targets in aliases.items()
        if len(code) == 3 and code.isalpha() and len(targets) == 1 and len(targets[0]) == 2
    }


def round_half_away(x: float | Decimal, digits: int) -> Decimal:
    """``x`` rounded to ``digits`` decimals, half away from zero, on its shortest decimal form.

    Negative values that round to zero give ``0`` (never ``-0``); NaN and infinities are
    returned unchanged.
    """
    # str() of a float is its shortest round-tripping decimal, the number a reader would write.
    value = Decimal(str(x))
    if not value.is_finite():
        return value
    rounded = value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return rounded.copy_abs() if rounded == 0 else rounded


@functools.cache
def _locale(lang: Lang) -> Locale:
    return Locale.parse(lang)


@functools.cache
def _pattern(lang: Lang, kind: Literal["decimal", "percent"], digits: int) -> numbers.NumberPattern:
    """The language's CLDR standard pattern with exactly ``digits`` fraction digits."""
    formats = _locale(lang).decimal_formats if kind == "decimal" else _locale(lang).percent_formats
    # parse_pattern of the string gives a fresh object, so the shared locale data is not changed
    pattern = numbers.parse_pattern(formats[None].pattern)
    pattern.frac_prec = (digits, digits)
    return pattern


@dataclass(frozen=True)
class Translator:
    """Messages, numbers and country names in one language."""

    lang: Lang

    @property
    def locale(self) -> Locale:
        return _locale(self.lang)

    def gettext(self, message: str) -> str:
        """The translation of ``message`` (the message itself if it has none)."""
        return catalogue(self.lang).gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The form of a message for a count ``n`` (Vietnamese has one form)."""
        return catalogue(self.lang).ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        """The translation of ``message`` in ``context`` (same English, other meanings)."""
        return catalogue(self.lang).pgettext(context, message)

    __call__ = gettext

    def number(self, x: float, digits: int = 1) -> str:
        """``x`` with ``digits`` decimals and the language's separators.

        en ``1,234.5``, vi ``1.234,5``; rounded half away from zero; NaN gives :data:`MISSING`.
        """
        value = round_half_away(x, digits)
        if value.is_nan():
            return MISSING
        return _pattern(self.lang, "decimal", digits).apply(value, self.lang)

    def percent(self, p: float, digits: int = 0) -> str:
        """A share 0–1 as a percentage in the language's CLDR pattern (``0.685`` -> ``69%``).

        The percentage itself is rounded half away from zero (``0.0125`` -> ``1.3%`` with one
        digit); NaN gives :data:`MISSING`.
        """
        # round the percentage, then hand Babel the exact share (it multiplies by 100 exactly)
        value = round_half_away(Decimal(str(p)).scaleb(2), digits).scaleb(-2)
        if value.is_nan():
            return MISSING
        return _pattern(self.lang, "percent", digits).apply(value, self.lang)

    def format_number(self, value: float, spec: str = "g", percent: bool = False) -> str:
        """A number of a message (:class:`vnsim.errors.Num`): the digits ``format(value, spec)``
        writes in English, with the language's separators, sign and percent pattern.

        English keeps Python's text (and `` %`` for a percentage), as the English messages
        always wrote it; the digits are never rounded again. Grouping follows ``spec`` (``,``).
        """
        text = format(value, spec)
        if self.lang == "en":
            return text + (" %" if percent else "")
        digits = Decimal(text.replace(",", ""))
        if not digits.is_finite():
            return text
        grouped = "," in spec
        if percent:
            out = numbers.format_percent(
                digits.scaleb(-2),
                locale=self.lang,
                decimal_quantization=False,
                group_separator=grouped,
            )
        else:
            out = numbers.format_decimal(
                digits, locale=self.lang, decimal_quantization=False, group_separator=grouped
            )
        plus = self.locale.number_symbols["latn"]["plusSign"]
        return plus + out if text.startswith("+") else out

    def date(
        self, value: datetime.date, format: Literal["short", "medium", "long"] = "long"
    ) -> str:
        """A date (or the date of a datetime) in the language's CLDR pattern.

        en ``December 1, 2026``, vi ``1 tháng 12, 2026`` (``format="long"``).
        """
        return dates.format_date(value, format=format, locale=self.lang)

    def country(self, iso3: str) -> str:
        """The country's name in the language, from CLDR (``"VNM"`` -> ``"Việt Nam"``).

        Raises
        ------
        KeyError
            For a code CLDR does not know, rather than showing the code to readers.
        """
        alpha2 = alpha2_codes().get(iso3)
        name = self.locale.territories.get(alpha2) if alpha2 else None
        if name is None:
            raise KeyError(f"no CLDR country name for code {iso3!r}")
        return name

    def install(self, env: jinja2.Environment) -> None:
        """Give a Jinja2 environment this language's messages and the formatting filters.

        Adds the ``i18n`` extension with the options the extraction uses (``babel.cfg``:
        trimmed ``{% trans %}`` blocks, new-style gettext), so a template's msgids at render
        time are the extracted ones, and the filters ``number``, ``percent`` and ``country``.
        """
        env.add_extension("jinja2.ext.i18n")
        env.policies["ext.i18n.trimmed"] = True
        env.install_gettext_callables(  # type: ignore[attr-defined]
            self.gettext, self.ngettext, newstyle=True, pgettext=self.pgettext
        )
        env.filters.update(number=self.number, percent=self.percent, country=self.country)


def translator(lang: Lang) -> Translator:
    """A :class:`Translator` for ``lang`` (``"en"`` or ``"vi"``)."""
    _check_lang(lang)
    return Translator(lang)
