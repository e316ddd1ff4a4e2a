"""Tests of the translations, number formats and country names (vnsim.present.i18n).

The catalogue is checked against the code (the committed ``.pot`` is what Babel extracts today,
with ``babel.cfg``), against itself (every message translated into Vietnamese, placeholders
kept) and against what is compiled at run time. Numbers follow CLDR and one rounding rule;
country names come from CLDR for every country in the packaged UN surveys.
"""

from __future__ import annotations

import datetime
import gettext
import io
import re
import string
from collections import Counter
from decimal import Decimal
from pathlib import Path

import jinja2
import pytest
from babel import Locale
from babel.messages.catalog import PYTHON_FORMAT, Catalog
from babel.messages.frontend import CommandLineInterface, parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.numbers import parse_decimal
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2.ext import babel_extract
from pydantic_core import PydanticKnownError
from vnsim import datasets
from vnsim.errors import Message
from vnsim.present import i18n
from vnsim.present.i18n import LANGUAGES, translator
from vnsim.spec import documents

ROOT = Path(__file__).resolve().parents[1]
BABEL_CFG = ROOT / "babel.cfg"
LOCALE = ROOT / "model" / "present" / "locale"
POT = LOCALE / "vnsim.pot"


def _read(path: Path, lang: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=lang)


def _keys(catalog: Catalog) -> set[tuple[str | None, str | tuple[str, ...]]]:
    return {(m.context, m.id) for m in catalog if m.id}


def _po(lang: str) -> Catalog:
    return _read(LOCALE / lang / "LC_MESSAGES" / "vnsim.po", lang)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Catalog:
    """The catalogue Babel extracts from the package today, with the committed mapping."""
    out = tmp_path_factory.mktemp("pot") / "vnsim.pot"
    argv = ["pybabel", "-q", "extract", "-F", str(BABEL_CFG), "-o", str(out), str(ROOT / "model")]
    CommandLineInterface().run(argv)
    return _read(out)


@pytest.fixture(scope="module")
def surveys_iso3() -> list[str]:
    return sorted(datasets.load_surveys()["iso3"].unique())


# --- the catalogue against the code -------------------------------------------------------


def test_pot_is_current_with_the_code(extracted):
    committed = _keys(_read(POT))
    fresh = _keys(extracted)
    assert fresh, "extraction found no messages: is babel.cfg's mapping right?"
    assert fresh - committed == set(), "messages in the code but not in vnsim.pot: re-extract"
    assert committed - fresh == set(), "messages in vnsim.pot no longer in the code: re-extract"


def test_extraction_finds_messages_marked_every_supported_way(tmp_path):
    # t(), _(), gettext, ngettext, pgettext and N_ in Python; {% trans %} and _() in templates.
    pkg = tmp_path / "model"
    (pkg / "present" / "templates").mkdir(parents=True)
    (pkg / "a.py").write_text(
        't("one")\n_("two")\ngettext("three")\nngettext("{n} four", "{n} fours", n)\n'
        'pgettext("ctx", "five")\nN_("six")\nt(variable)\nprint("not a message")\n'
        'Message("nine {x}", x=Num(1))\nMessage.join(parts)\nMessage(variable, x=1)\n',
        encoding="utf-8",
    )
    (pkg / "present" / "templates" / "page.html").write_text(
        "<p>{% trans %}seven{% endtrans %} {{ _('eight') }}</p>", encoding="utf-8"
    )
    out = tmp_path / "out.pot"
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", "-F", str(BABEL_CFG), "-o", str(out), str(pkg)]
    )
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in _read(out) if m.id}
    assert ids == {"one", "two", "three", "{n} four", "five", "six", "seven", "eight", "nine {x}"}


# --- the catalogue against itself ---------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_po_files_hold_exactly_the_template_messages(lang):
    assert _keys(_po(lang)) == _keys(_read(POT))


def test_every_message_has_a_reviewed_vietnamese_translation():
    untranslated = []
    for m in _po("vi"):
        if not m.id:
            continue
        forms = m.string if isinstance(m.string, tuple) else (m.string,)
        if m.fuzzy or not all(s.strip() for s in forms):
            untranslated.append(m.id)
    assert untranslated == []


def _placeholders(text: str, python_format: bool) -> Counter:
    """Format fields of a message: ``{name}`` always, ``%(name)s`` if it is python-format."""
    fields = Counter(
        f"{{{name}}}" for _lit, name, _spec, _conv in string.Formatter().parse(text) if name
    )
    if python_format:
        fields.update(m.group(0) for m in PYTHON_FORMAT.finditer(text) if m.group(0) != "%%")
    return fields


def placeholder_mismatches(catalog: Catalog) -> list[str]:
    """Messages whose translations do not carry exactly the placeholders of their msgid."""
    bad = []
    for m in catalog:
        if not m.id or not m.string:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        forms = m.string if isinstance(m.string, tuple) else (m.string,)
        # every plural form, like the msgid_plural, carries the count and the other fields
        wanted = _placeholders(ids[-1], m.python_format)
        bad += [ids[0] for s in forms if s and _placeholders(s, m.python_format) != wanted]
    return bad


def test_translations_keep_the_placeholders_of_their_message():
    assert placeholder_mismatches(_po("vi")) == []


def test_placeholder_check_catches_a_lost_renamed_or_extra_field():
    catalog = Catalog(locale="vi")
    catalog.add("{n} countries", "{n} nước")
    catalog.add("Rank of {country}", "Thứ hạng")  # lost
    catalog.add("Top {n}", "Top {k}")  # renamed
    catalog.add("%(n)s draws", "%(n)s lượt %(n)s")  # repeated
    catalog.add("Year", "Năm {year}")  # extra
    assert placeholder_mismatches(catalog) == [
        "Rank of {country}",
        "Top {n}",
        "%(n)s draws",
        "Year",
    ]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_babel_finds_no_errors_in_the_catalogue(lang):
    assert [(m.id, errors) for m, errors in _po(lang).check()] == []


# --- the compiled catalogue ---------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalogue_gives_the_po_translations(lang):
    t = translator(lang)
    for m in _po(lang):
        if not m.id:
            continue
        if isinstance(m.id, tuple):
            for n, form in ((1, 0), (2, -1)):
                want = (m.string[0] or m.id[form]) if lang == "vi" else m.id[form]
                assert t.ngettext(m.id[0], m.id[1], n) == want
        elif m.context:
            assert t.pgettext(m.context, m.id) == (m.string or m.id)
        else:
            assert t(m.id) == t.gettext(m.id) == (m.string or m.id)


def test_vietnamese_catalogue_is_not_the_english_one():
    vi, en = translator("vi"), translator("en")
    ids = [(m.context, m.id) for m in _po("vi") if isinstance(m.id, str) and m.id]

    def text(t, context, message):
        return t.pgettext(context, message) if context else t(message)

    differ = [i for i in ids if text(vi, *i) != text(en, *i)]
    assert len(differ) > 0.8 * len(ids)


def test_unknown_message_falls_back_to_the_message():
    assert translator("vi")("not in the catalogue {x}") == "not in the catalogue {x}"


def test_unknown_language_is_an_error():
    with pytest.raises(ValueError, match="no translations for 'fr'"):
        translator("fr")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="languages: en, vi"):
        i18n.catalogue("fr")  # type: ignore[arg-type]


def test_n_marks_without_translating():
    assert i18n.N_("Median") == "Median"


# --- numbers and percentages --------------------------------------------------------------


def test_numbers_use_each_language_cldr_separators():
    assert translator("en").number(1234567.25, 2) == "1,234,567.25"
    assert translator("vi").number(1234567.25, 2) == "1.234.567,25"
    assert translator("en").number(22.63) == "22.6"
    assert translator("vi").number(22.63) == "22,6"
    assert translator("vi").number(2000, 0) == "2.000"
    for lang in LANGUAGES:
        symbols = Locale.parse(lang).number_symbols["latn"]
        assert translator(lang).number(1000.5, 1) == f"1{symbols['group']}000{symbols['decimal']}5"


def test_percentages_use_each_language_cldr_pattern():
    assert translator("en").percent(0.5) == "50%"
    assert translator("vi").percent(0.1234, 1) == "12,3%"
    assert translator("vi").percent(12.5) == "1.250%"
    for lang in LANGUAGES:
        pattern = Locale.parse(lang).percent_formats[None]
        assert translator(lang).percent(0.42).startswith(pattern.prefix[0])
        assert translator(lang).percent(0.42).endswith(pattern.suffix[0])


@settings(max_examples=60, deadline=None)
@given(st.floats(-1e9, 1e9, allow_nan=False), st.integers(0, 4))
def test_vietnamese_numbers_swap_the_english_separators(x, digits):
    en, vi = translator("en").number(x, digits), translator("vi").number(x, digits)
    assert vi.translate(str.maketrans(",.", ".,")) == en


@settings(max_examples=60, deadline=None)
@given(st.floats(-1e9, 1e9, allow_nan=False), st.integers(0, 4), st.sampled_from(LANGUAGES))
def test_numbers_read_back_as_the_rounded_value(x, digits, lang):
    shown = translator(lang).number(x, digits)
    assert parse_decimal(shown, locale=lang) == i18n.round_half_away(x, digits)
    assert abs(float(parse_decimal(shown, locale=lang)) - x) <= 0.5 * 10**-digits * (1 + 1e-9)


def _midpoint(k: int, digits: int) -> float:
    """The value half-way between k and k + 1 units of the last digit, e.g. (2, 0) -> 2.5."""
    return float(str((Decimal(2 * k + 1) / 2).scaleb(-digits)))


@settings(max_examples=80, deadline=None)
@given(st.integers(-(10**6), 10**6), st.integers(0, 3))
def test_one_rounding_rule_half_away_from_zero_for_numbers_and_percentages(k, digits):
    x = _midpoint(k, digits)
    away = Decimal(k + 1 if x > 0 else k).scaleb(-digits)
    en = translator("en")
    assert parse_decimal(en.number(x, digits), locale="en") == away
    share = float(str(Decimal(str(x)).scaleb(-2)))
    assert parse_decimal(en.percent(share, digits).rstrip("%"), locale="en") == away


def test_rounding_rule_differs_from_python_round_where_it_says():
    # the documented examples: Python's round and Babel's default would give 2.67, 68 %, 2
    en = translator("en")
    assert (en.number(2.675, 2), round(2.675, 2)) == ("2.68", 2.67)
    assert en.percent(0.685) == "69%"
    assert (en.number(2.5, 0), round(2.5)) == ("3", 2)
    assert en.number(-2.5, 0) == "-3"
    assert en.percent(0.0125, 1) == "1.3%"


def test_no_negative_zero_and_missing_numbers_are_a_dash():
    for lang in LANGUAGES:
        t = translator(lang)
        assert t.number(-0.04, 1) == t.number(0.0, 1)
        assert not t.percent(-0.001).startswith("-")
        assert t.number(float("nan")) == t.percent(float("nan")) == i18n.MISSING


def test_numpy_scalars_format_like_python_numbers():
    np = pytest.importorskip("numpy")
    t = translator("vi")
    assert t.number(np.float32(0.685), 2) == t.number(0.685, 2)
    assert t.number(np.int64(2000), 0) == t.number(2000, 0)
    assert t.percent(np.float64(0.25)) == t.percent(0.25)


def test_message_numbers_keep_their_digits_with_each_language_symbols():
    en, vi = translator("en"), translator("vi")
    # English is the text the messages always had: Python's format, " %" for a percentage
    for value, spec in [(0.16, "g"), (-0.2, "g"), (1600.0, "+g"), (1e-05, "g"), (12345, ",")]:
        assert en.format_number(value, spec) == format(value, spec)
    assert en.format_number(1600.0, "+g", percent=True) == "+1600 %"
    assert vi.format_number(-0.2) == "-0,2"
    assert vi.format_number(1600.0, "+g", percent=True) == "+1600%"
    assert vi.format_number(-100, percent=True) == "-100%"
    assert vi.format_number(2.5, "") == "2,5"
    assert vi.format_number(1e-05) == "0,00001"  # never the exponent of %g
    # grouped only where the English is (years and small counts stay as written)
    assert vi.format_number(12345, ",") == "12.345"
    assert vi.format_number(2025, "d") == vi.format_number(2025.0) == "2025"
    assert vi.format_number(float("inf")) == "inf"


@settings(max_examples=60, deadline=None)
@given(st.floats(-1e6, 1e6, allow_nan=False), st.sampled_from(["g", "+g", "", ".3f"]))
def test_message_numbers_in_vietnamese_read_back_as_the_english_digits(x, spec):
    en, vi = translator("en").format_number(x, spec), translator("vi").format_number(x, spec)
    assert parse_decimal(vi.lstrip("+"), locale="vi") == Decimal(en.lstrip("+"))
    assert vi.startswith("+") == en.startswith("+")


def test_dates_use_each_language_cldr_pattern():
    day = datetime.date(2026, 12, 1)
    assert translator("en").date(day) == "December 1, 2026"
    assert translator("vi").date(day) == "1 tháng 12, 2026"
    moment = datetime.datetime(2026, 12, 1, 23, 59, tzinfo=datetime.UTC)
    assert translator("vi").date(moment, "short") == translator("vi").date(day, "short")


# --- country names ------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_surveyed_country_has_a_cldr_name(surveys_iso3, lang):
    t = translator(lang)
    names = {code: t.country(code) for code in surveys_iso3}
    assert len(names) >= 190
    # a name, never a code: not the ISO3 code, not the alpha-2 code, not all capitals
    codes = {code for code in surveys_iso3} | set(i18n.alpha2_codes().values())
    assert [n for n in names.values() if n in codes or not n.strip() or n.isupper()] == []
    # readers can tell countries apart
    assert len(set(names.values())) == len(names)


def test_country_names_are_in_the_language(surveys_iso3):
    vi, en = translator("vi"), translator("en")
    # CLDR's Vietnamese keeps many names as in English (Afghanistan), not all (Thái Lan)
    differ = [c for c in surveys_iso3 if vi.country(c) != en.country(c)]
    assert len(differ) > len(surveys_iso3) / 5
    assert vi.country("VNM") != en.country("VNM")
    assert set("ệ") <= set(vi.country("VNM"))


def test_alpha3_codes_come_from_cldr_aliases(surveys_iso3):
    codes = i18n.alpha2_codes()
    assert set(surveys_iso3) <= set(codes)
    assert all(re.fullmatch("[A-Z]{2}", a2) for a2 in codes.values())
    # the alpha-2 is the territory CLDR names: the English name matches the UN's for most
    surveys = datasets.load_surveys().drop_duplicates("iso3").set_index("iso3")["country"]
    en = translator("en")
    same = [c for c in surveys_iso3 if en.country(c) == surveys[c]]
    assert len(same) > 0.6 * len(surveys_iso3)


def test_unknown_country_code_is_an_error_not_shown():
    with pytest.raises(KeyError, match="XYZ"):
        translator("en").country("XYZ")
    # a former country that split has no single name
    with pytest.raises(KeyError, match="YUG"):
        translator("vi").country("YUG")


# --- Jinja2 templates ---------------------------------------------------------------------

TEMPLATE = """<p>
  {% trans n=count %}
    {{ n }} countries ranked
    above
  {% endtrans %}
</p><p>{{ _("World rank (1 = best)") }}</p><p>{{ share|percent }} {{ code|country }}</p>"""


def _template_options() -> dict:
    with BABEL_CFG.open(encoding="utf-8") as f:
        methods, options = parse_mapping_cfg(f)
    pattern = next(p for p, method in methods if method == "jinja2" and p.endswith(".html"))
    return {k: v for k, v in options[pattern].items() if k not in ("keywords", "add_comments")}


def _extract_template(options: dict) -> list[str]:
    found = babel_extract(io.BytesIO(TEMPLATE.encode()), ("_", "gettext"), [], options)
    # a trans block with a variable comes out as (singular, None), as for a plural
    return [m if isinstance(m, str) else m[0] for _line, _func, m, _comments in found]


def test_templates_ask_at_render_time_for_the_extracted_msgids(monkeypatch):
    asked: list[str] = []

    class Recording(gettext.NullTranslations):
        def gettext(self, message):
            asked.append(message)
            return message

    monkeypatch.setattr(i18n, "catalogue", lambda lang: Recording())
    env = jinja2.Environment(autoescape=True)
    translator("vi").install(env)
    env.from_string(TEMPLATE).render(count=3, share=0.685, code="VNM")
    assert asked == _extract_template(_template_options())
    # without the mapping's options the msgid would keep the template's line breaks
    assert _extract_template({}) != asked


def test_templates_get_translations_and_formats():
    env = jinja2.Environment(autoescape=True)
    t = translator("vi")
    t.install(env)
    html = env.from_string(TEMPLATE).render(count=3, share=0.685, code="VNM")
    assert t("World rank (1 = best)") in html
    assert f"{t.percent(0.685)} {t.country('VNM')}" in html
    assert "3 countries ranked above" in html  # not in the catalogue: the English, trimmed


# --- pydantic's messages, translated -------------------------------------------------------

#: A context pydantic gives each error type of vnsim.spec.documents.PYDANTIC_MESSAGES.
PYDANTIC_CONTEXTS = {
    "greater_than": {"gt": 0},
    "greater_than_equal": {"ge": 1990},
    "less_than": {"lt": 2**63},
    "less_than_equal": {"le": 2.5},
    "string_too_short": {"min_length": 1},
    "string_too_long": {"max_length": 64},
    "model_type": {"class_name": "Lever"},
    "too_short": {"field_type": "List", "min_length": 1, "actual_length": 0},
    "too_long": {"field_type": "List", "max_length": 3, "actual_length": 5},
}


def _pydantic_error(kind: str) -> dict:
    ctx = PYDANTIC_CONTEXTS.get(kind, {})
    error = PydanticKnownError(kind, ctx or None)
    return {"type": kind, "msg": error.message(), "ctx": ctx, "template": error.message_template}


@pytest.mark.parametrize("kind", sorted(documents.PYDANTIC_MESSAGES))
def test_pydantic_messages_are_pydantics_own_and_translated(kind):
    err = _pydantic_error(kind)
    # the msgid is pydantic's template: a pydantic that rewords it fails here, not silently
    assert documents.PYDANTIC_MESSAGES[kind] == err["template"]
    message = documents.pydantic_message(err)
    assert message == err["msg"]  # the English is pydantic's, to the letter
    vi = message.render(translator("vi"))
    assert vi != err["msg"] and "{" not in vi and "Input" not in vi and "List" not in vi
    for value in err["ctx"].values():
        if isinstance(value, int) and value < 1000:
            assert str(value) in vi


def test_pydantic_numbers_are_in_the_readers_format():
    vi = documents.pydantic_message(_pydantic_error("less_than_equal")).render(translator("vi"))
    assert vi == "Giá trị phải nhỏ hơn hoặc bằng 2,5"
    ge = documents.pydantic_message(_pydantic_error("greater_than_equal"))
    assert ge.render(translator("vi")) == "Giá trị phải lớn hơn hoặc bằng 1990"


def test_other_pydantic_messages_stay_as_pydantic_wrote_them():
    err = {"type": "url_parsing", "msg": "Input should be a valid URL", "ctx": {}}
    assert documents.pydantic_message(err) == "Input should be a valid URL"
    assert not isinstance(documents.pydantic_message(err), Message)
