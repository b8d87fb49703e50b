/* mocksite: stand-in for The Paper's Next.js page chunk. The served HTML has
 * an empty #__next; everything visible is rendered here from __NEXT_DATA__. */
(function () {
    'use strict';
    var el = document.getElementById('__NEXT_DATA__');
    var root = document.getElementById('__next');
    if (!el || !root) { return; }
    var data = JSON.parse(el.textContent);
    var d = data.props.pageProps.detailData.contentDetail;
    var rel = data.props.pageProps.detailData.relateConts || [];
    function esc(s) { return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'); }
    var html = '<div class="index_wrapper__L_zqV"><div class="header_header__Vhz5b">澎湃新闻</div>'
        + '<div class="index_leftcontent__2FsoS">'
        + '<h1 class="index_title__B8mhI">' + esc(d.name) + '</h1>'
        + '<div class="index_headerContent__sASF4"><div class="ant-space"><span class="index_source__hNfDO">'
        + esc(d.userInfo.sname) + '</span><span>' + esc(d.pubTime) + '</span>'
        + '<span class="index_location__gcTUs">来源：澎湃新闻·澎湃号·政务</span></div></div>'
        + '<div class="index_cententWrap__Jv8jK">' + d.content + '</div>'
        + '<div class="index_statement__ZWkJp">本文为澎湃号作者或机构在澎湃新闻上传并发布，仅代表该作者或机构观点，不代表澎湃新闻的观点或立场，澎湃新闻仅提供信息发布平台。</div>'
        + '</div><div class="index_rightcontent__M4yCt"><h3>相关推荐</h3><ul>';
    for (var i = 0; i < rel.length; i++) {
        html += '<li><a href="/newsDetail_forward_' + rel[i].contId + '">' + esc(rel[i].name)
              + '</a> <span>' + esc(rel[i].pubTime) + '</span></li>';
    }
    html += '</ul></div></div>';
    root.innerHTML = html;
})();
