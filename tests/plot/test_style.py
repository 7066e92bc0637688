"""save_figure: text in scripts the default font lacks (series ids such as '東京 店') is drawn with an
installed font that has them; without one, a single warning names the characters."""

import warnings

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from lstmkit.plot import _style  # noqa: E402
from lstmkit.plot._style import FALLBACK_FONTS, fallback_fonts, new_axes, save_figure  # noqa: E402


def test_fallback_fonts_come_after_the_texts_own_and_only_when_installed():
    assert fallback_fonts(["sans-serif"], {"WenQuanYi Zen Hei", "Arial", "Noto Sans CJK JP"}) == [
        "sans-serif", "Noto Sans CJK JP", "WenQuanYi Zen Hei"]  # in FALLBACK_FONTS' order
    assert fallback_fonts(["sans-serif"], {"Arial"}) == ["sans-serif"]
    assert fallback_fonts(["WenQuanYi Zen Hei"], {"WenQuanYi Zen Hei"}) == ["WenQuanYi Zen Hei"]
    assert len(set(FALLBACK_FONTS)) == len(FALLBACK_FONTS)


def _save(tmp_path, title, installed, monkeypatch):
    monkeypatch.setattr(_style, "_installed_fonts", lambda: set(installed))
    ax = new_axes((3, 2))
    ax.set_title(title)
    ax.plot([0, 1], label="naïve")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        save_figure(ax, tmp_path / "f.png")
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"
    return ax, [str(w.message) for w in caught]


def test_without_a_font_for_them_one_warning_names_the_characters(tmp_path, monkeypatch):
    ax, messages = _save(tmp_path, "東京 店  MASE 1.270", (), monkeypatch)
    assert len(messages) == 1  # not one per glyph and draw
    assert "the character(s) 東 京 店: drawn as boxes" in messages[0] and "Noto Sans CJK" in messages[0]


def test_an_installed_fallback_is_added_to_that_text_only(tmp_path, monkeypatch):
    ax, _ = _save(tmp_path, "東京 店", {"WenQuanYi Zen Hei"}, monkeypatch)
    assert ax.title.get_fontfamily()[-1] == "WenQuanYi Zen Hei"
    assert "WenQuanYi Zen Hei" not in ax.xaxis.get_ticklabels()[0].get_fontfamily()


@pytest.mark.parametrize("title", ["Zürich Nord  MASE 1.083", "São Paulo", "store_0"])
def test_latin_text_draws_without_warnings_or_font_changes(tmp_path, monkeypatch, title):
    ax, messages = _save(tmp_path, title, {"WenQuanYi Zen Hei"}, monkeypatch)
    assert messages == [] and "WenQuanYi Zen Hei" not in ax.title.get_fontfamily()
