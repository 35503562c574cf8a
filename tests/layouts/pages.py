"""Portal chrome around the report body, one function per CMS family seen on real portals."""
from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass
class PageInfo:
    title: str
    agency: str
    site_owner: str
    published: str  # ISO
    pub_time: str  # HH:MM
    index_no: str
    icp: str
    police: str
    site_code: str
    charset_meta: str  # the <meta> charset markup (may be empty)
    source_meta: str  # what ContentSource / 来源 says
    menu_t2_words: bool  # a left menu listing 行政许可/行政处罚 (双公示) on table layouts


def _footer_lines(pi: PageInfo, rng: random.Random) -> list[str]:
    lines = [f"主办单位：{pi.site_owner}办公室　承办单位：{pi.site_owner}大数据中心",
             f"<a href=\"https://beian.miit.gov.cn/\" target=\"_blank\">{pi.icp}</a>　"
             f"<img src=\"/images/ga.png\">{pi.police}　政府网站标识码：{pi.site_code}"]
    if rng.random() < 0.5:
        lines.append("建议使用IE9.0及以上版本浏览器，1440*900分辨率浏览本站")
    rng.shuffle(lines)
    return lines


def trs_wcm(pi: PageInfo, body: str, rng: random.Random) -> str:
    footer = "".join(f"<p>{x}</p>" for x in _footer_lines(pi, rng))
    return f"""<!DOCTYPE html>
<html>
<head>
{pi.charset_meta}
<meta name="SiteName" content="{pi.site_owner}">
<meta name="SiteDomain" content="www.example.gov.cn">
<meta name="SiteIDCode" content="{pi.site_code}">
<meta name="ColumnName" content="政府信息公开年报">
<meta name="ArticleTitle" content="{pi.title}">
<meta name="PubDate" content="{pi.published} {pi.pub_time}">
<meta name="ContentSource" content="{pi.source_meta}">
<title>{pi.title}_{pi.site_owner}</title>
</head>
<body>
<div class="header"><div class="logo">{pi.site_owner}</div>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li><li><a href="/zmhd/">政民互动</a></li></ul></div>
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; 政府信息公开年报</div>
<div class="article">
<h1 class="article-title">{pi.title}</h1>
<div class="article-info"><span>发布时间：{pi.published} {pi.pub_time}</span><span>来源：{pi.source_meta}</span><span>浏览次数：<script>document.write(1234)</script></span><span>字号：<a>大</a> <a>中</a> <a>小</a></span></div>
<div class="view TRS_UEDITOR trs_paper_default trs_word">
<div class="TRS_Editor">
{body}
</div></div>
<div class="tools"><a href="javascript:window.print()">【打印本页】</a> <a href="javascript:window.close()">【关闭窗口】</a></div>
</div>
<div class="footer">{footer}</div>
</body>
</html>
"""


def ucap(pi: PageInfo, body: str, rng: random.Random) -> str:
    footer = "<br>".join(_footer_lines(pi, rng))
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
{pi.charset_meta}
<title>{pi.title}</title>
<meta name="SiteName" content="{pi.site_owner}" />
<meta name="SiteIDCode" content="{pi.site_code}" />
</head>
<body>
<div class="top"><a href="/">首页</a> | <a href="/xxgk/">信息公开</a> | <a href="/bsfw/">办事服务</a></div>
<div class="con_main">
<table class="xxgk_table" width="100%" border="0" cellspacing="1" cellpadding="0">
<tr><td class="t">索<span>&nbsp;</span>引<span>&nbsp;</span>号：</td><td>{pi.index_no}</td><td class="t">主题分类：</td><td>政务公开</td></tr>
<tr><td class="t">发布机构：</td><td>{pi.source_meta}</td><td class="t">成文日期：</td><td>{pi.published}</td></tr>
<tr><td class="t">名<span>&nbsp;</span>称：</td><td colspan="3">{pi.title}</td></tr>
<tr><td class="t">文<span>&nbsp;</span>号：</td><td></td><td class="t">发布日期：</td><td>{pi.published}</td></tr>
</table>
<div class="content_title"><h2>{pi.title}</h2></div>
<div class="content_body" id="zoom">
<ucapcontent>
{body}
</ucapcontent>
</div>
<div class="print">【<a href="javascript:window.print()">打印本页</a>】【<a href="javascript:window.close()">关闭本页</a>】</div>
</div>
<div class="footer">{footer}</div>
</body>
</html>
"""


def jcms(pi: PageInfo, body: str, rng: random.Random) -> str:
    footer = "".join(f"<p>{x}</p>" for x in _footer_lines(pi, rng))
    return f"""<!DOCTYPE html>
<html>
<head>
{pi.charset_meta}
<meta name="SiteName" content="{pi.site_owner}">
<meta name="SiteIdcode" content="{pi.site_code}">
<meta name="ArticleTitle" content="{pi.title}">
<meta name="PubDate" content="{pi.published} {pi.pub_time}">
<meta name="ContentSource" content="{pi.source_meta}">
<meta name="Maketime" content="{pi.published} {pi.pub_time}:00">
<title>{pi.title}</title>
<script language="javascript" src="/script/0/1606161525521658.js"></script>
</head>
<body>
<div id="barrierfree_container">
<div class="head"><a href="/">首页</a> <a href="/col/col1229/index.html">政府信息公开</a></div>
<div class="xxgk_xl">
<table class="xxgk_index" width="100%"><tr><th>索引号：</th><td>{pi.index_no}</td><th>发布机构：</th><td>{pi.source_meta}</td></tr>
<tr><th>生成日期：</th><td>{pi.published}</td><th>公开方式：</th><td>主动公开</td></tr></table>
<div class="title">{pi.title}</div>
<div class="bt_content" id="zoom">
<!--<$[信息内容]>begin-->
{body}
<!--<$[信息内容]>end-->
</div>
<div class="fx">分享到：<a>微信</a> <a>微博</a></div>
</div>
<div class="foot">{footer}</div>
</div>
</body>
</html>
"""


def hanweb(pi: PageInfo, body: str, rng: random.Random) -> str:
    footer = "".join(f"<div>{x}</div>" for x in _footer_lines(pi, rng))
    return f"""<!DOCTYPE html>
<html>
<head>
{pi.charset_meta}
<meta name="ArticleTitle" content="{pi.title}">
<meta name="PubDate" content="{pi.published} {pi.pub_time}">
<meta name="ContentSource" content="{pi.source_meta}">
<meta name="SiteIDCode" content="{pi.site_code}">
<title>{pi.title}-{pi.site_owner}</title>
</head>
<body>
<div class="top-bar"><span>无障碍</span> <span>长者模式</span> <a>登录</a></div>
<div class="wrap">
<div class="crumb">您的位置：<a href="/">首页</a> &gt; <a href="/col/">政务公开</a></div>
<div class="wzy_content">
<h1 class="wzy_tit">{pi.title}</h1>
<div class="wzy_info">发布日期：{pi.published}　信息来源：{pi.source_meta}　浏览量：<span id="c">88</span></div>
<div class="wzy_zw">
<!--ZJEG_RSS.content.begin--><meta name="ContentStart">
{body}
<meta name="ContentEnd"><!--ZJEG_RSS.content.end-->
</div>
</div>
</div>
<div class="bottom">{footer}</div>
</body>
</html>
"""


def table_layout(pi: PageInfo, body: str, rng: random.Random) -> str:
    menu = ('<a href="/xxgk/zn/">信息公开指南</a><br><a href="/xxgk/zd/">信息公开制度</a><br>'
            '<a href="/xxgk/nb/">信息公开年报</a><br><a href="/xxgk/ysq/">依申请公开</a>')
    extra_menu = ""
    if pi.menu_t2_words:
        extra_menu = ('<table width="100%" border="0" cellspacing="0" cellpadding="0">'
                      '<tr><td class="lm_title">双公示</td></tr>'
                      '<tr><td class="lm_list"><a href="/sgs/xzxk/">行政许可</a></td></tr>'
                      '<tr><td class="lm_list"><a href="/sgs/xzcf/">行政处罚</a></td></tr></table>')
    footer = "".join(f'<tr><td align="center">{x}</td></tr>' for x in _footer_lines(pi, rng))
    return f"""<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">
<html>
<head>
{pi.charset_meta}
<title>{pi.title}--{pi.site_owner}</title>
<link href="/css/style.css" rel="stylesheet" type="text/css">
</head>
<body topmargin="0" leftmargin="0">
<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0">
  <tr><td height="120"><img src="/images/logo.gif" width="560" height="120"></td></tr>
  <tr><td height="36" class="nav"><a href="/">首页</a> | <a href="/zwgk/">政务公开</a> | <a href="/bsfw/">网上办事</a> | <a href="/gzhd/">公众互动</a></td></tr>
</table>
<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0" bgcolor="#FFFFFF">
  <tr>
    <td width="220" valign="top">
      <table width="100%" border="0" cellspacing="0" cellpadding="0">
        <tr><td class="lm_title">信息公开目录</td></tr>
        <tr><td class="lm_list">{menu}</td></tr>
      </table>
      {extra_menu}
    </td>
    <td width="780" valign="top">
      <table width="100%" border="0" cellspacing="0" cellpadding="0">
        <tr><td height="30" class="position">您现在的位置：<a href="/">首页</a> &gt;&gt; 信息公开年报</td></tr>
        <tr><td>
          <table width="100%" border="1" cellspacing="0" cellpadding="4" class="xxgk_info">
            <tr><td width="15%">索 引 号：</td><td width="35%">{pi.index_no}</td><td width="15%">发布机构：</td><td width="35%">{pi.source_meta}</td></tr>
            <tr><td>公开方式：</td><td>主动公开</td><td>发布日期：</td><td>{pi.published}</td></tr>
          </table>
        </td></tr>
        <tr><td height="60" align="center" class="title"><font size="5" color="#C00000"><b>{pi.title}</b></font></td></tr>
        <tr><td align="center" class="info">发布时间：{pi.published} {pi.pub_time}:33&nbsp;&nbsp;浏览次数：123&nbsp;&nbsp;字号：[<a>大</a> <a>中</a> <a>小</a>]</td></tr>
        <tr><td id="zoom" class="content">
{body}
        </td></tr>
        <tr><td align="center" class="tools">【<a href="javascript:window.print()">打印本页</a>】【<a href="javascript:window.close()">关闭窗口</a>】</td></tr>
      </table>
    </td>
  </tr>
</table>
<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0" class="footer">
  <tr><td align="center"><a href="/lxwm/">联系我们</a> | <a href="/wzdt/">网站地图</a></td></tr>
  {footer}
</table>
</body>
</html>
"""


def word_page(pi: PageInfo, body: str, rng: random.Random) -> str:
    """A Word document saved as HTML and put on the portal as is (no CMS chrome)."""
    return f"""<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w="urn:schemas-microsoft-com:office:word">
<head>
{pi.charset_meta}
<meta name=ProgId content=Word.Document>
<meta name=Generator content="Microsoft Word 15">
<title>{pi.title}</title>
<!--[if gte mso 9]><xml><o:DocumentProperties><o:Author>admin</o:Author></o:DocumentProperties></xml><![endif]-->
<style>
<!-- p.MsoNormal {{mso-style-parent:"";margin:0cm;text-align:justify;font-size:10.5pt;}} -->
</style>
</head>
<body lang=ZH-CN style='tab-interval:21.0pt'>
<div class=WordSection1 style='layout-grid:15.6pt'>
<p class=MsoNormal align=center style='text-align:center'><b><span style='font-size:22.0pt;font-family:方正小标宋简体'>{pi.title}<span lang=EN-US><o:p></o:p></span></span></b></p>
<p class=MsoNormal align=center style='text-align:center'><span style='font-size:12.0pt'>发布日期：<span lang=EN-US>{pi.published}</span><span lang=EN-US>&nbsp;&nbsp;&nbsp; </span>来源：{pi.source_meta}<span lang=EN-US><o:p></o:p></span></span></p>
{body}
</div>
</body>
</html>
"""


CMS = {"trs": trs_wcm, "ucap": ucap, "jcms": jcms, "hanweb": hanweb, "table_layout": table_layout,
       "word_page": word_page}
