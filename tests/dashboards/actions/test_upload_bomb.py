"""An XLSX bomb uploaded to 数据导入 is refused with its reason; the server process survives it."""

from __future__ import annotations

import html

from tests.dashboards.actions.test_ingest import _upload
from tests.feedback.test_workbook_guard import _far_cell


def test_far_cell_upload_is_refused_in_preview(client_for, tmp_path):
    client = client_for("ops")
    data = _far_cell(tmp_path / "bomb.xlsx", "XFD1048576").read_bytes()
    response = _upload(client, data, name="炸弹.xlsx")
    if response.status_code == 302:
        response = client.get(response.headers["Location"])
    text = html.unescape(response.text)
    assert "无法读取文件" in text and "xlsx_max_cells" in text and "17,179,869,184" in text
    assert client.get("/ingest").status_code == 200  # still serving
