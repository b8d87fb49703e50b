/* mocksite: stand-in for WeChat's appmsg bundle. Reveals the article body
 * (served hidden), shows the posting location, and lazy-loads images only
 * when they scroll into view, so a crawler must render AND scroll the page. */
(function () {
    'use strict';
    var content = document.getElementById('js_content');
    if (content) {
        content.style.visibility = 'visible';
        content.style.opacity = '1';
    }

    if (window.ip_wording && window.ip_wording.provinceName) {
        var ipEl = document.getElementById('js_ip_wording');
        var wrp = document.getElementById('js_ip_wording_wrp');
        if (ipEl && wrp) {
            ipEl.innerHTML = window.ip_wording.provinceName;
            wrp.style.display = 'inline-block';
            wrp.insertBefore(document.createTextNode('发表于'), ipEl);
        }
    }

    function realSrc(img) {
        var src = img.getAttribute('data-src');
        if (!src) { return null; }
        // The real loader appends these before fetching, so the address
        // requested differs from data-src.
        var extra = 'wxfrom=5&wx_lazy=1&wx_co=1';
        if (!extra) { return src; }
        return src + (src.indexOf('?') < 0 ? '?' : '&') + extra;
    }

    function load(img) {
        var src = realSrc(img);
        if (src && !img.getAttribute('data-loaded')) {
            img.setAttribute('data-loaded', '1');
            img.src = src;
            img.classList.add('img_loading');
            img.onload = function () { img.classList.remove('img_loading'); img.classList.add('img_loaded'); };
        }
    }

    var imgs = Array.prototype.slice.call(document.querySelectorAll('img[data-src]'));
    if ('IntersectionObserver' in window) {
        var io = new IntersectionObserver(function (entries) {
            entries.forEach(function (e) {
                if (e.isIntersecting) { load(e.target); io.unobserve(e.target); }
            });
        }, { rootMargin: '0px', threshold: 0 });
        imgs.forEach(function (img) { io.observe(img); });
    } else {
        var check = function () {
            var h = window.innerHeight || document.documentElement.clientHeight;
            imgs.forEach(function (img) {
                var r = img.getBoundingClientRect();
                if (r.top < h && r.bottom > 0) { load(img); }
            });
        };
        window.addEventListener('scroll', check);
        check();
    }
})();
