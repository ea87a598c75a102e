"""The bulletin as a Word document laid out like a government document (GB/T 9704 style): red issuer header,
文号 line and red rule, title, numbered sections 一、二、…, tables, charts as PNG images, signature and date,
page numbers. Fonts are the 公文 fonts (方正小标宋简体, 黑体, 楷体_GB2312, 仿宋_GB2312); a reader without them
gets the word processor's substitutes."""

from __future__ import annotations

import io

import pandas as pd
from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from dashboards.reports import pngcharts, tables
from feedback.bulletin import Bulletin

TITLE_FONT, HEI, KAI, FANG, SONG = "方正小标宋简体", "黑体", "楷体_GB2312", "仿宋_GB2312", "宋体"
RED = RGBColor(0xC0, 0x00, 0x00)
BODY_PT, TABLE_PT = 16, 9
BOARD_KEYS = ("rank", "name", "total", "good_rate", "bad", "bad_rate", "adjusted_bad_rate", "on_time_rate",
              "avg_score_10")
CN_NUM = "一二三四五六七八九十"
TEXT_WIDTH_CM = 15.6  # A4 less the 2.8 cm and 2.6 cm margins
KEEP_ROWS = 20  # tables up to this many rows are kept on one page
WIDE = {"name", "title", "service_name", "text", "label", "item", "channel_name"}


class _Doc:
    """A document under construction, with the running table number."""

    def __init__(self) -> None:
        self.doc = Document()
        self.tables = 0
        self._page()
        normal = self.doc.styles["Normal"]
        normal.font.size = Pt(BODY_PT)
        _east_asian(normal.element.get_or_add_rPr(), FANG)
        normal.font.name = FANG
        self.styles = _cell_styles(self.doc)

    def _page(self) -> None:
        s = self.doc.sections[0]
        s.page_width, s.page_height = Cm(21), Cm(29.7)
        s.top_margin, s.bottom_margin, s.left_margin, s.right_margin = Cm(3.7), Cm(3.5), Cm(2.8), Cm(2.6)
        s.start_type = WD_SECTION.NEW_PAGE
        _page_number(s.footer.paragraphs[0])

    def para(self, text: str = "", *, font: str = FANG, size: float = BODY_PT, bold: bool = False,
             color: RGBColor | None = None, align=None, indent: bool = False, space_after: float = 0) -> Paragraph:
        p = self.doc.add_paragraph()
        if text:
            _run(p, text, font=font, size=size, bold=bold, color=color)
        fmt = p.paragraph_format
        fmt.alignment = align
        fmt.line_spacing = Pt(28) if size >= BODY_PT else None
        fmt.space_after = Pt(space_after)
        if indent:
            fmt.first_line_indent = Pt(size * 2)
        return p

    def heading(self, number: int, text: str) -> None:
        self.para(f"{CN_NUM[number - 1]}、{text}", font=HEI, indent=True).paragraph_format.keep_with_next = True

    def subheading(self, number: int, text: str) -> None:
        self.para(f"（{CN_NUM[number - 1]}）{text}", font=KAI, indent=True).paragraph_format.keep_with_next = True

    def table(self, t: tables.Table, keys: tuple[str, ...] | None = None) -> None:
        cols = [c for c in t.columns if keys is None or c.key in keys]
        self.tables += 1
        caption = self.para(f"表{self.tables}　{t.name}", font=HEI, size=11, align=WD_ALIGN_PARAGRAPH.CENTER,
                            space_after=2)
        caption.paragraph_format.keep_with_next = True
        if t.frame.empty:
            self.para(t.empty, size=11, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=6)
            if t.note:
                self.para(t.note, size=10, space_after=6)
            return
        idx = [t.columns.index(c) for c in cols]
        grid = self.doc.add_table(rows=1, cols=len(cols))
        grid.style = "Table Grid"
        grid.alignment = WD_TABLE_ALIGNMENT.CENTER
        grid.autofit = False
        text_rows = t.text_rows()
        widths = _widths(cols, [[row[i] for i in idx] for row in text_rows])
        for col, w in zip(grid.columns, widths, strict=True):
            col.width = w
        for cell, c, w in zip(grid.rows[0].cells, cols, widths, strict=True):
            _cell(cell, c.header, self.styles["head"], w, shade=True)
        _repeat_header(grid.rows[0])
        keep = len(text_rows) <= KEEP_ROWS
        for n, (kinds, row) in enumerate(zip(t.kinds(), text_rows, strict=True), start=1):
            cells = grid.add_row().cells
            last = n == len(text_rows)
            for cell, i, w in zip(cells, idx, widths, strict=True):
                side = "left" if kinds[i] == "text" else "right"
                _cell(cell, row[i], self.styles[side + ("_keep" if keep and not last else "")], w,
                      no_wrap=side == "right")
        if t.note:
            self.para(t.note, size=10, space_after=6)
        self.para(size=6)

    def picture(self, png: bytes) -> None:
        self.doc.add_picture(io.BytesIO(png), width=Cm(15))
        self.doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER

    def save(self) -> bytes:
        buf = io.BytesIO()
        self.doc.save(buf)
        return buf.getvalue()


def _east_asian(rpr, font: str) -> None:
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:eastAsia", "w:ascii", "w:hAnsi"):
        fonts.set(qn(attr), font)


def _run(p: Paragraph, text: str, *, font: str, size: float, bold: bool = False, color: RGBColor | None = None):
    r = p.add_run(text)
    r.font.size, r.font.bold, r.font.name = Pt(size), bold, font
    _east_asian(r._element.get_or_add_rPr(), font)
    if color is not None:
        r.font.color.rgb = color
    return r


CELL_PAD_CM = 0.45  # left and right cell margins plus a little slack


def text_width_cm(text: str, pt: float = TABLE_PT) -> float:
    """Printed width of ``text`` at ``pt`` points: a Chinese character one em, a digit or sign about half."""
    em = pt / 72 * 2.54
    return sum(em if ord(ch) > 0x2E7F else em * 0.56 for ch in text)


def _widths(cols: list[tables.Column], rows: list[list[str]] | None = None) -> list[Cm]:
    """Column widths over the text width: names and titles get room, numbers stay narrow but never narrower
    than their longest value, so a number is never broken over two lines ("100.0/0"); the text columns share
    what is left."""
    weight = [4.0 if c.key in WIDE else 2.4 if c.kind == "text" else 1.3 for c in cols]
    widths = [TEXT_WIDTH_CM * w / sum(weight) for w in weight]
    need = [max((text_width_cm(r[i]) for r in rows or []), default=0.0) + CELL_PAD_CM if c.kind != "text" else 0.0
            for i, c in enumerate(cols)]
    short = sum(max(n - w, 0.0) for n, w in zip(need, widths, strict=True))
    if short > 0:
        widths = [max(w, n) for w, n in zip(widths, need, strict=True)]
        text_cols = [i for i, c in enumerate(cols) if c.kind == "text"]
        spare = sum(widths[i] for i in text_cols)
        for i in text_cols:  # the text columns give back what the numbers took (text may wrap)
            widths[i] = max(widths[i] - short * widths[i] / spare, 1.2) if spare else widths[i]
    return [Cm(w) for w in widths]


def _cell(cell, text: str, style, width, *, shade: bool = False, no_wrap: bool = False) -> None:
    cell.width = width
    if no_wrap:  # a number stays on one line (w:noWrap), its column being wide enough for it (_widths)
        cell._element.get_or_add_tcPr().append(OxmlElement("w:noWrap"))
    p = cell.paragraphs[0]
    p._p.style = style.style_id  # by id: assigning the style object searches every style, per cell
    p.add_run(text)
    if shade:
        shd = OxmlElement("w:shd")
        shd.set(qn("w:val"), "clear")
        shd.set(qn("w:fill"), "E7EAEE")
        cell._element.get_or_add_tcPr().append(shd)


def _cell_styles(doc) -> dict:
    """Paragraph styles of table cells (one rPr per style, not per cell: large tables stay fast)."""
    out = {}
    for name, font, align, keep in (("head", HEI, WD_ALIGN_PARAGRAPH.CENTER, True),
                                     ("left", SONG, WD_ALIGN_PARAGRAPH.LEFT, False),
                                     ("right", SONG, WD_ALIGN_PARAGRAPH.RIGHT, False),
                                     ("left_keep", SONG, WD_ALIGN_PARAGRAPH.LEFT, True),
                                     ("right_keep", SONG, WD_ALIGN_PARAGRAPH.RIGHT, True)):
        st = doc.styles.add_style(f"BulletinCell_{name}", WD_STYLE_TYPE.PARAGRAPH)
        st.base_style = doc.styles["Normal"]
        st.font.size, st.font.name = Pt(TABLE_PT), font
        _east_asian(st.element.get_or_add_rPr(), font)
        fmt = st.paragraph_format
        fmt.alignment, fmt.keep_with_next, fmt.space_after, fmt.line_spacing = align, keep, Pt(0), 1.0
        fmt.first_line_indent = Pt(0)
        out[name] = st
    return out


def _repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _red_rule(p: Paragraph) -> None:
    ppr = p._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("w:val", "single"), ("w:sz", "18"), ("w:space", "4"), ("w:color", "C00000")):
        bottom.set(qn(k), v)
    bdr.append(bottom)
    ppr.append(bdr)


def _page_number(p: Paragraph) -> None:
    """Footer '— N —' with a PAGE field (GB/T 9704 style page numbers)."""
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(p, "— ", font=SONG, size=14)
    r = _run(p, "", font=SONG, size=14)
    for kind, text in (("begin", None), (None, "PAGE"), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        elif text == "PAGE":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = " PAGE "
        else:
            el = OxmlElement("w:t")
            el.text = text
        r._element.append(el)
    _run(p, " —", font=SONG, size=14)


def _head(d: _Doc, b: Bulletin) -> None:
    d.para(b.issuer, font=TITLE_FONT, size=36, color=RED, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=12)
    rule = d.para(b.issue_no, font=FANG, size=BODY_PT, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=24)
    _red_rule(rule)
    title = d.para(align=WD_ALIGN_PARAGRAPH.CENTER, space_after=6)
    first, _, rest = b.title.partition("“")  # 关于2026年9月政务服务 / “好差评”情况的通报
    _run(title, first, font=TITLE_FONT, size=22)
    if rest:
        _run(title, "", font=TITLE_FONT, size=22).add_break()
        _run(title, "“" + rest, font=TITLE_FONT, size=22)
    start, end = b.period
    d.para(f"（{b.scope['label']}　{start.year}年{start.month}月{start.day}日—{end.month}月{end.day}日）",
           font=KAI, size=14, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=12)
    if b.recipients:  # 主送机关, flush left, then the opening "现将……通报如下："
        d.para(f"{b.recipients}：")
    if b.opening:
        d.para(b.opening, indent=True)


def _kpi_table(d: _Doc, b: Bulletin) -> None:
    rows = tables.kpi_rows(b)
    frame = pd.DataFrame([{"label": label, "value": tables.cell_text(tables.value_kind(k), v),
                           "mom": tables.cell_text(tables.change_kind(k), m),
                           "yoy": tables.cell_text(tables.change_kind(k), y)} for k, label, v, m, y in rows])
    cols = (tables.Column("label", "指标"), tables.Column("value", "本月", "num"),
            tables.Column("mom", f"环比（较{b.kpis['mom_month']}）", "num"),
            tables.Column("yoy", f"同比（较{b.kpis['yoy_month']}）", "num"))
    d.table(tables.Table("主要指标", cols, frame))


def render_docx(b: Bulletin) -> bytes:
    d = _Doc()
    t = tables.all_tables(b)
    _head(d, b)
    d.heading(1, "总体情况")
    d.para(b.summary, indent=True)
    _kpi_table(d, b)
    d.picture(pngcharts.level_chart(b.levels))
    d.table(t["levels"])
    d.heading(2, "分渠道评价情况")
    d.table(t["channels"], ("channel_name", "share", "total", "active_rate", "good_rate", "bad", "bad_rate",
                            "avg_score_10"))
    if not b.channels.empty:
        d.picture(pngcharts.channel_chart(b.channels))
    d.heading(3, "县（市、区）和部门排名")
    for n, (unit, label) in enumerate((("region", "县（市、区）"), ("dept", "部门")), start=1):
        d.subheading(n, f"{label}红榜与黑榜")
        d.table(t[f"{unit}_red"], BOARD_KEYS)
        d.table(t[f"{unit}_black"], BOARD_KEYS)
        ranking = b.regions if unit == "region" else b.depts
        if ranking.table["eligible"].astype(bool).any():
            d.picture(pngcharts.ranking_chart(ranking.table, f"{label}差评率：实际与调整后"))
    d.heading(4, "差评集中的事项、标签和问题")
    d.subheading(1, "差评较多的事项")
    d.table(t["services"])
    d.subheading(2, "差评标签")
    d.table(t["tags"])
    d.subheading(3, "群众反映的主要问题")
    if b.complaints.classified:
        d.table(t["categories"])
        named = b.complaints.table[~b.complaints.table["residual"].astype(bool)]
        if not named.empty:
            d.picture(pngcharts.category_chart(named))
        for q in b.complaints.quotes.drop_duplicates("category").itertuples():  # one typical quote each
            d.para(f"【{q.name}】“{q.text}”（{q.date}，{q.service_name or '—'}，{q.channel_name or '—'}）",
                   font=KAI, size=14, indent=True)
    else:
        reason = "尚无启用的评分模型版本" if not b.complaints.model_version else "本月投诉尚未评分"
        d.para(f"暂无分类结果（{reason}）。", indent=True)
    d.heading(5, "差评整改情况")
    d.table(t["ledger"])
    d.table(t["ledger_states"])
    if not b.ledger.overdue_units.empty:
        d.table(t["overdue"])
    d.heading(6, "优化任务推进情况")
    d.para(f"截至{b.ledger.as_of.month}月{b.ledger.as_of.day}日，{b.scope['label']}共有优化任务{b.tasks.total}项，按优先级排列前{len(b.tasks.top)}项如下。",
           indent=True)
    d.table(t["tasks"], ("rank", "title", "category_name", "dept_name", "signals", "status_name", "owner"))
    d.heading(7, "存在问题与下步工作")
    d.subheading(1, "存在问题")
    for i, s in enumerate(b.problems, start=1):
        d.para(f"{i}. {s}", indent=True)
    d.subheading(2, "下步工作")
    for i, s in enumerate(b.actions, start=1):
        d.para(f"{i}. {s}", indent=True)
    if b.closing:
        d.para(b.closing, indent=True)
    d.para()
    d.para(b.signature or b.issuer, align=WD_ALIGN_PARAGRAPH.RIGHT)
    d.para(f"{b.as_of.year}年{b.as_of.month}月{b.as_of.day}日", align=WD_ALIGN_PARAGRAPH.RIGHT)
    d.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    d.para("附注", font=HEI, align=WD_ALIGN_PARAGRAPH.CENTER)
    for i, s in enumerate(b.notes, start=1):
        d.para(f"{i}. {s}", size=12, indent=True)
    return d.save()
