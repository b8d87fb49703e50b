/* TRS WCM 翻页: the list page calls createPageHTML(共多少页, 当前页(0起), "index", "html").
 * Page 0 is index.html, page n is index_n.html. (mocksite copy of the usual CMS script;
 * served in GBK without a charset, like the pages that include it.) */
function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt) {
	if (_nPageCount == null || _nPageCount <= 1) {
		return;
	}
	var nCurrIndex = _nCurrIndex || 0;
	function pageUrl(n) {
		return n == 0 ? _sPageName + "." + _sPageExt : _sPageName + "_" + n + "." + _sPageExt;
	}
	document.write("<div class=\"pagination\">");
	document.write("共" + _nPageCount + "页&nbsp;&nbsp;");
	if (nCurrIndex == 0) {
		document.write("<span class=\"disabled\">首页</span>&nbsp;<span class=\"disabled\">上一页</span>&nbsp;");
	} else {
		document.write("<a href=\"" + pageUrl(0) + "\">首页</a>&nbsp;");
		document.write("<a href=\"" + pageUrl(nCurrIndex - 1) + "\">上一页</a>&nbsp;");
	}
	for (var i = 0; i < _nPageCount; i++) {
		if (i == nCurrIndex) {
			document.write("<span class=\"current\">" + (i + 1) + "</span>&nbsp;");
		} else {
			document.write("<a href=\"" + pageUrl(i) + "\">" + (i + 1) + "</a>&nbsp;");
		}
	}
	if (nCurrIndex + 1 >= _nPageCount) {
		document.write("<span class=\"disabled\">下一页</span>&nbsp;<span class=\"disabled\">尾页</span>");
	} else {
		document.write("<a href=\"" + pageUrl(nCurrIndex + 1) + "\">下一页</a>&nbsp;");
		document.write("<a href=\"" + pageUrl(_nPageCount - 1) + "\">尾页</a>");
	}
	document.write("</div>");
}
