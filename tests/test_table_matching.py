"""Rows as real portals print them → canonical cells, matched by label and header, not order."""
from parsers.normalise import parse_cell
from parsers.tables.match import TableRow, match_tables

HEADER_1 = ["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", None, None, "申请人情况", None, None, None, None, None, None]
HEADER_2 = ["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", None, None, "自然人", "法人或其他组织", None, None, None, None, "总计"]
HEADER_3 = ["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", None, None, "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]


def rows(*grid, grid_id=0):
    return [TableRow(cells=list(r), grid=grid_id) for r in grid]


def test_cell_values_as_printed():
    assert [parse_cell(s) for s in ("１２", "1,234", "251000元", "12件", "18,651.06", "-3", " 7 ")] == [
        12, 1234, 251000, 12, 18651.06, -3, 7]
    assert [parse_cell(s) for s in ("", "\u00a0", "/", "-", "—", "－", "／")] == [None] * 7


def test_word_grid_with_a_spacer_column_is_read_by_header():
    # Word exports often carry an empty spacer slot; the header's columns say where values are.
    spacer = [
        ["一、本年新收政府信息公开申请数量", None, None, "3", "", "1", "", "", "0", "", "4"],
        ["二、上年结转政府信息公开申请数量", None, None, "1", "", "0", "", "", "0", "", "1"],
    ]
    header = [h[:9] + [""] + h[9:] for h in (HEADER_1, HEADER_2, HEADER_3)]
    # the spacer column (index 9) belongs to no header cell; 其他 covers 8, 总计 covers 10
    header[2][8] = "其他"
    header[2][9] = None  # 其他 spans the spacer
    got = match_tables(rows(*header, *spacer)).table3
    assert got["new_received"] == {"natural_person": 3, "commercial": None, "research": 1,
                                   "social_welfare": None, "legal_service": None, "other_org": 0,
                                   "total": 4}


def test_split_table_with_repeated_header_and_continuation():
    part1 = rows(HEADER_2, HEADER_3,
                 ["一、本年新收政府信息公开申请数量", None, None, "5", "0", "0", "0", "0", "0", "5"],
                 ["三、本年度办理结果", "（三）不予公开", "1．属于国家秘密", "0", "0", "0", "0", "0", "0", "0"],
                 grid_id=0)
    part2 = rows(HEADER_3,  # Word's "repeat header row" on the next page
                 ["三、本年度办理结果", "（三）不予公开", "2．其他法律行政法规禁止公开", "1", "0", "0", "0", "0", "0", "1"],
                 ["三、本年度办理结果", "（六）其他处理", "3．其他", "2", "0", "0", "0", "0", "0", "2"],
                 ["三、本年度办理结果", "（七）总计", None, "3", "0", "0", "0", "0", "0", "3"],
                 ["四、结转下年度继续办理", None, None, "2", "0", "0", "0", "0", "0", "2"],
                 grid_id=1)
    t3 = match_tables(part1 + part2).table3
    assert t3["denied_prohibited_by_law"]["natural_person"] == 1
    assert t3["other_misc"]["total"] == 2
    assert t3["total_processed"]["total"] == 3 and t3["carried_forward"]["natural_person"] == 2


def test_trafilatura_pipe_rows_with_leading_bars_and_rowspan_gaps():
    from parsers.tables.text_rows import rows_from_text
    text = "\n".join([
        "二、主动公开政府信息情况",
        "| 第二十条第（一）项 |  |  |  |",
        "| 信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |",
        "| 规章 | 0 | 0 | 3 |",
        "| 行政规范性文件 | 4 | 1 | 17 |",
        "| 行政许可 | 1,204 |  |  |",
        "| 行政事业性收费 | 18651.06 |  |  |",
        "三、收到和处理政府信息公开申请情况",
        "| 一、本年新收政府信息公开申请数量 | 6 | 1 |  |  |  |  | 7 |",
        "| 三、本年度办理结果 | （一）予以公开 | 4 | 1 |  |  |  |  | 5 |",
        "|  | （二）部分公开 | 2 |  |  |  |  |  | 2 |",
        "| （七）总计 | 6 | 1 |  |  |  |  | 7 |",
        "| 四、结转下年度继续办理 | 0 |  |  |  |  |  | 0 |",
        "四、政府信息公开行政复议、行政诉讼情况",
        "| 行政复议 | 行政诉讼 |",
        "| 1 | 0 | 0 | 0 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |",
        "五、存在的主要问题及改进情况",
    ])
    found = match_tables([TableRow(cells=r, grid=-1) for r in rows_from_text(text)])
    assert found.t2_layout == "2021"
    assert found.table2["regulations"] == {"made": 0, "repealed": 0, "in_force": 3}
    assert found.table2["licensing"] == {"decisions": 1204}
    assert found.table2["fees"] == {"amount": 18651.06}
    assert found.table3["partially_granted"] == {"natural_person": 2, "commercial": None, "research": None,
                                                 "social_welfare": None, "legal_service": None,
                                                 "other_org": None, "total": 2}
    assert found.table4["review"] == {"upheld": 1, "corrected": 0, "other": 0, "pending": 0, "total": 1}


def test_row_with_fewer_cells_than_columns_is_padded_with_null_and_noted():
    found = match_tables(rows(
        ["一、本年新收政府信息公开申请数量", "2", "0", "0"],
        ["四、结转下年度继续办理", "0", "0", "0", "0", "0", "0", "0"],
    ))
    assert found.table3["new_received"] == {"natural_person": 2, "commercial": 0, "research": 0,
                                            "social_welfare": None, "legal_service": None,
                                            "other_org": None, "total": None}
    assert "table3.new_received: 3 of 7 cells printed; the rest are null" in found.notes


def test_a_group_label_flattened_into_the_row_leaves_the_rows_own_words():
    from parsers.tables.align import own_label

    assert own_label("三、本年度办理结果（六）其他处理3.其他") == "其他"
    assert own_label("（三）不予公开1．属于国家秘密") == "属于国家秘密"
    assert own_label("3.危及“三安全一稳定”") == "危及三安全一稳定"
    assert own_label("（七）总计") == "总计"


def test_rows_are_aligned_in_template_order_a_missing_row_leaves_a_gap():
    grid = [
        ["一、本年新收政府信息公开申请数量", "3", "0", "0", "0", "0", "0", "3"],
        ["（五）不予处理1.信访举报投诉类申请", "1", "0", "0", "0", "0", "0", "1"],
        ["2.重复申", "2", "0", "0", "0", "0", "0", "2"],  # 请 dropped
        ["4.无正当理由大量反复申请", "0", "0", "0", "0", "0", "0", "0"],  # 3. not printed
        ["5.要求行政机关确认或重新出具已获取信息", "5", "0", "0", "0", "0", "0", "5"],
        ["（七）总计", "8", "0", "0", "0", "0", "0", "8"],
        ["四、结转下年度继续办理", "0", "0", "0", "0", "0", "0", "0"],
    ]
    found = match_tables([TableRow(cells=r, grid=-1) for r in grid])
    t3 = found.table3
    assert [k for k in t3] == ["new_received", "rejected_petition", "rejected_repeat", "rejected_excessive",
                               "rejected_confirmation", "total_processed", "carried_forward"]
    assert t3["rejected_repeat"]["total"] == 2 and t3["rejected_confirmation"]["natural_person"] == 5
    assert "table3.rejected_repeat: label '2.重复申' matched by similarity (0.86)" in found.notes
    assert found.doubts == []
