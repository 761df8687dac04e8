// infragraph explorer: "/" focuses search; diagrams are drawn by mermaid (securityLevel strict),
// then their nodes are linked to node pages and the view pans and zooms. No inline script: the
// Content-Security-Policy allows scripts from this server only.
(function () {
  'use strict';

  function typing(el) {
    return el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
  }
  document.addEventListener('keydown', function (e) {
    if (e.key === '/' && !e.ctrlKey && !e.metaKey && !e.altKey && !typing(e.target)) {
      var q = document.getElementById('q');
      if (q) { e.preventDefault(); q.focus(); q.select(); }
    }
  });

  var boxes = document.querySelectorAll('[data-diagram]');
  if (!boxes.length) return;
  var status = function (box, text) { var s = box.querySelector('.diagram-status'); if (s) s.textContent = text; };
  if (!window.mermaid) {
    boxes.forEach(function (b) { status(b, 'The diagram library did not load; the source is shown instead.'); });
    return;
  }
  var dark = window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches;
  window.mermaid.initialize({
    startOnLoad: false,
    securityLevel: 'strict',
    theme: dark ? 'dark' : 'default',
    maxEdges: 500,
    maxTextSize: 50000,
    flowchart: { useMaxWidth: false }
  });
  boxes.forEach(function (box) {
    var pre = box.querySelector('pre.mermaid');
    window.mermaid.run({ nodes: [pre] }).then(function () {
      var svg = box.querySelector('svg');
      if (!svg) { status(box, 'The diagram could not be drawn.'); return; }
      var linked = link(box, svg);
      panZoom(box, svg);
      svg.setAttribute('data-rendered', 'true');
      box.setAttribute('data-linked', String(linked));
    }).catch(function (err) {
      status(box, 'The diagram could not be drawn: ' + (err && err.message ? err.message : err));
    });
  });

  // link maps each drawn node to its page: mermaid gives a node element the id
  // "<diagram>-flowchart-<mermaid id>-<n>" (or data-id), and the page lists mermaid id -> URL.
  function link(box, svg) {
    var urls = {};
    var details = box.nextElementSibling;
    (details ? details.querySelectorAll('a[data-mid]') : []).forEach(function (a) { urls[a.getAttribute('data-mid')] = a; });
    var n = 0;
    svg.querySelectorAll('g.node').forEach(function (g) {
      var mid = g.getAttribute('data-id');
      if (!mid || !urls[mid]) {
        var m = /flowchart-(.+)-\d+$/.exec(g.id || '');
        mid = m ? m[1] : '';
      }
      var a = urls[mid];
      if (!a) return;
      n++;
      g.classList.add('linked');
      g.setAttribute('tabindex', '0');
      g.setAttribute('role', 'link');
      g.setAttribute('aria-label', a.textContent);
      g.setAttribute('data-href', a.getAttribute('href'));
      var go = function () { window.location.href = a.getAttribute('href'); };
      g.addEventListener('click', function (e) { if (!box.moved) go(); e.stopPropagation(); });
      g.addEventListener('keydown', function (e) { if (e.key === 'Enter') go(); });
    });
    return n;
  }

  function panZoom(box, svg) {
    var vp = box.querySelector('.diagram-viewport');
    var s = 1, x = 0, y = 0;
    var w = svg.viewBox && svg.viewBox.baseVal && svg.viewBox.baseVal.width ? svg.viewBox.baseVal.width : svg.getBBox().width;
    var h = svg.viewBox && svg.viewBox.baseVal && svg.viewBox.baseVal.height ? svg.viewBox.baseVal.height : svg.getBBox().height;
    svg.setAttribute('width', w);
    svg.setAttribute('height', h);
    svg.style.maxWidth = 'none';
    var apply = function () { svg.style.transform = 'translate(' + x + 'px,' + y + 'px) scale(' + s + ')'; };
    var fit = function () {
      var r = vp.getBoundingClientRect();
      s = Math.min(r.width / w, r.height / h, 1.5) * 0.95;
      x = (r.width - w * s) / 2;
      y = (r.height - h * s) / 2;
      apply();
    };
    var zoom = function (f, cx, cy) {
      var r = vp.getBoundingClientRect();
      if (cx === undefined) { cx = r.width / 2; cy = r.height / 2; }
      var ns = Math.max(0.05, Math.min(8, s * f));
      x = cx - (cx - x) * (ns / s);
      y = cy - (cy - y) * (ns / s);
      s = ns;
      apply();
    };
    fit();
    box.querySelectorAll('[data-zoom]').forEach(function (b) {
      b.addEventListener('click', function () {
        var z = b.getAttribute('data-zoom');
        if (z === 'in') zoom(1.25); else if (z === 'out') zoom(0.8); else fit();
      });
    });
    vp.addEventListener('wheel', function (e) {
      e.preventDefault();
      var r = vp.getBoundingClientRect();
      zoom(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - r.left, e.clientY - r.top);
    }, { passive: false });
    var start = null;
    vp.addEventListener('pointerdown', function (e) {
      start = { px: e.clientX, py: e.clientY, x: x, y: y };
      box.moved = false;
    });
    vp.addEventListener('pointermove', function (e) {
      if (!start) return;
      var dx = e.clientX - start.px, dy = e.clientY - start.py;
      if (!box.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
      if (!box.moved) { box.moved = true; vp.setPointerCapture(e.pointerId); vp.classList.add('dragging'); }
      x = start.x + dx;
      y = start.y + dy;
      apply();
    });
    var end = function () { start = null; vp.classList.remove('dragging'); setTimeout(function () { box.moved = false; }, 0); };
    vp.addEventListener('pointerup', end);
    vp.addEventListener('pointercancel', end);
    vp.addEventListener('keydown', function (e) {
      var step = 40;
      switch (e.key) {
        case '+': case '=': zoom(1.25); break;
        case '-': zoom(0.8); break;
        case '0': fit(); break;
        case 'ArrowLeft': x += step; apply(); break;
        case 'ArrowRight': x -= step; apply(); break;
        case 'ArrowUp': y += step; apply(); break;
        case 'ArrowDown': y -= step; apply(); break;
        default: return;
      }
      e.preventDefault();
    });
  }
})();
