"""Every page each role can reach, at a desktop and a phone width, checked for a class
of defects: page wider than the screen, controls on top of each other or off-screen,
controls without a label, images without alt text, console errors, failed requests,
broken links, missing page metadata, and axe's WCAG 2.1 AA rules.

The pages are found by following links (and GET forms) from the home page, so a new
page is covered without a new test. Each role's test lists every problem it found.
"""

from collections import Counter, deque
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model
from django.urls import Resolver404, resolve

from units.models import Answer, LearningOutcome, Unit
from units.services import draft_submit

from .conftest import WCAG_21_AA, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"viewport": {"width": 1366, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
MAX_PAGES = 40
# A representative sample, not every criterion of every unit. Links are alike when
# they have the same URL pattern, the same query parameters, the same look (class:
# a progress cell in another state is another sample) and are on the same page;
# the crawl follows at most ALIKE alike links, and PER_PATTERN pages per pattern.
ALIKE = 2
PER_PATTERN = 6
NOT_FOLLOWED = ("/admin/", "/static/", "/accounts/logout/", "/bench/")
# Query parameters left out of an address: where to go after signing in, and the
# model answer's language (a preference, remembered; not another page).
IGNORED = {"next", "lang"}

_axe = Axe()

# One function, run in the page: returns [kind, details] pairs.
LAYOUT_CHECKS = """([viewportWidth, appPage]) => {
  const problems = [];
  const describe = (el) => {
    let name = el.tagName.toLowerCase();
    if (el.id) name += '#' + el.id;
    for (const c of [...el.classList].slice(0, 3)) name += '.' + c;
    const attr = el.getAttribute('name') || el.getAttribute('aria-label');
    if (attr) name += `[${attr}]`;
    const text = (el.innerText || el.value || '').trim().replace(/\\s+/g, ' ').slice(0, 30);
    return text ? `${name} "${text}"` : name;
  };
  // Not visible: hidden inputs, display:none (a collapsed navbar, a closed dropdown),
  // visibility:hidden, opacity 0, .visually-hidden (1 px).
  const visible = (el) => {
    if (el.type === 'hidden') return false;
    if (!el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) return false;
    const r = el.getBoundingClientRect();
    return r.width > 1 && r.height > 1;
  };

  const doc = document.documentElement;
  if (doc.scrollWidth > viewportWidth) {
    // Name the outermost elements that stick out past the right edge.
    const wide = [...document.body.querySelectorAll('*')].filter((el) => {
      const right = el.getBoundingClientRect().right;
      const parent = el.parentElement.getBoundingClientRect().right;
      return right > viewportWidth + 1 && parent <= viewportWidth + 1;
    });
    problems.push(['horizontal overflow',
      `page is ${doc.scrollWidth}px wide in a ${viewportWidth}px viewport; ` +
      `sticking out: ${wide.slice(0, 4).map(describe).join(', ') || '?'}`]);
  }
  if (!document.querySelector('link[rel~=icon]')) {
    problems.push(['no icon', 'no <link rel=icon>: the browser asks for /favicon.ico']);
  }
  if (!appPage) return problems;  // the Django admin's own HTML: only the checks above

  const controls = [...document.querySelectorAll('input, select, textarea, button, a.btn')]
    .filter(visible);
  const boxes = controls.map((el) => el.getBoundingClientRect());
  for (let i = 0; i < controls.length; i++) {
    const a = boxes[i];
    if (a.left < -1 || a.right > viewportWidth + 1) {
      problems.push(['control off-screen',
        `${describe(controls[i])} at x ${Math.round(a.left)}–${Math.round(a.right)}, ` +
        `the screen is ${viewportWidth}px wide`]);
    }
    for (let j = i + 1; j < controls.length; j++) {
      if (controls[i].contains(controls[j]) || controls[j].contains(controls[i])) continue;
      const b = boxes[j];
      const x = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      // 1 px of tolerance: the buttons of a .btn-group share a border.
      if (x > 1 && y > 1) {
        problems.push(['controls overlap',
          `${describe(controls[i])} and ${describe(controls[j])} overlap by ` +
          `${Math.round(x)}×${Math.round(y)}px`]);
      }
    }
  }
  const buttons = ['hidden', 'submit', 'button', 'reset', 'image'];
  for (const el of controls) {
    if (!el.matches('input, select, textarea') || buttons.includes(el.type)) continue;
    const labelledBy = (el.getAttribute('aria-labelledby') || '').split(/\\s+/)
      .some((id) => id && document.getElementById(id));
    const labelled = (el.getAttribute('aria-label') || '').trim() || labelledBy ||
      [...el.labels].some((label) => label.textContent.trim());
    if (!labelled) problems.push(['control without a label', describe(el)]);
  }
  for (const img of document.querySelectorAll('img:not([alt])')) {
    problems.push(['image without alt', img.src]);
  }
  const ids = {};
  for (const el of document.querySelectorAll('[id]')) ids[el.id] = (ids[el.id] || 0) + 1;
  for (const [id, n] of Object.entries(ids)) {
    if (n > 1) problems.push(['invalid HTML', `id "${id}" is used ${n} times`]);
  }
  // aria-label names only elements with a role that takes a name (not a plain div/span).
  const unnamed = 'div[aria-label]:not([role]), span[aria-label]:not([role])';
  for (const el of document.querySelectorAll(unnamed)) {
    problems.push(['invalid HTML', `aria-label on ${describe(el)}, which has no role`]);
  }
  const description = document.querySelector('meta[name=description]');
  if (!description || !description.content.trim()) {
    problems.push(['no meta description', 'no <meta name="description"> with content']);
  }
  return problems;
}"""

# The links and GET forms on the page, as [absolute URL, look]: each form once with
# its values as they are, and once for each choice of each of its selects.
LINKS = """() => {
  const found = [...document.querySelectorAll('a[href]')]
    .filter((a) => !a.hasAttribute('download'))
    .map((a) => [a.href, 'a ' + a.className]);
  for (const form of document.querySelectorAll('form')) {
    if ((form.getAttribute('method') || 'get').toLowerCase() !== 'get') continue;
    const url = (data) => {
      const target = new URL(form.action || location.href);
      target.search = new URLSearchParams(data).toString();
      return target.href;
    };
    found.push([url(new FormData(form)), 'form']);
    for (const select of form.querySelectorAll('select[name]')) {
      for (const option of [...select.options].slice(0, 4)) {
        const changed = new FormData(form);
        changed.set(select.name, option.value);
        found.push([url(changed), 'form ' + select.name]);
      }
    }
  }
  return found;
}"""


@dataclass
class Crawl:
    site: str
    problems: list = field(default_factory=list)
    width: int = 0
    current: str = ""

    def report(self, kind, details, url=None):
        self.problems.append((url or self.current, self.width, kind, details))

    def watch(self, page):
        """Console errors, failed requests and error responses, charged to the current page."""
        page.on("console", lambda message: self._console(message))
        page.on("requestfailed", lambda request: self._failed(request))
        page.on("response", lambda response: self._response(page, response))

    def _console(self, message):
        if message.type != "error":
            return
        # The page's own status is checked on its own (an error page is meant to be one).
        where = message.location.get("url", "")
        if message.text.startswith("Failed to load resource") and self._is_current(where):
            return
        self.report("console error", f"{message.text} ({where})")

    def _failed(self, request):
        # ERR_ABORTED: the crawl went on to the next page before this one finished
        # (the icon, a late fetch); not a defect of the page.
        if request.failure == "net::ERR_ABORTED":
            return
        self.report("request failed", f"{request.method} {request.url}: {request.failure}")

    def _response(self, page, response):
        request = response.request
        if response.status < 400:
            return
        if request.is_navigation_request() and request.frame == page.main_frame:
            return
        self.report("error response", f"{response.status} for {request.method} {response.url}")

    def _is_current(self, url):
        return self.path(url) == self.path(self.site + self.current)

    def path(self, url):
        return urlsplit(url).path

    def key(self, url):
        """The path and the query, in order, without empty values or #fragment."""
        parts = urlsplit(url)
        query = sorted((k, v) for k, v in parse_qsl(parts.query) if v and k not in IGNORED)
        return parts.path + ("?" + urlencode(query) if query else "")

    def pattern(self, key):
        path = urlsplit(key).path
        try:
            return resolve(path).view_name
        except Resolver404:
            return path

    def followable(self, url):
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != self.site:
            return False
        return not parts.path.startswith(NOT_FOLLOWED)

    def visit(self, page, key, *, status=200, app=True, axe=False, links=False):
        """Open the page and check it. Returns the (key, look) of each page it links to
        (with links=True) and the key of the page it landed on."""
        self.current = key
        response = page.goto(self.site + key)
        page.wait_for_load_state("load")
        if response is None or response.status != status:
            got = response.status if response else "no response"
            self.report("status", f"answered {got}, expected {status}")
        width = page.viewport_size["width"]
        for kind, details in page.evaluate(LAYOUT_CHECKS, [width, app]):
            self.report(kind, details)
        if axe:
            results = _axe.run(page, options=WCAG_21_AA)
            for violation in results.response["violations"]:
                targets = "; ".join(", ".join(n["target"]) for n in violation["nodes"][:3])
                self.report(f"axe {violation['id']}", f"{violation['help']}: {targets}")
        if not links:
            return [], self.key(page.url)
        anchors = page.evaluate(LINKS)
        found = [(self.key(url), look) for url, look in anchors if self.followable(url)]
        return found, self.key(page.url)

    def crawl(self, page):
        """Breadth first from the home page; the keys of the pages seen, in order."""
        self.width = page.viewport_size["width"]
        queue, seen, checked = deque([("/", None)]), {"/"}, []
        alike, patterns = Counter(), Counter()
        while queue and len(checked) < MAX_PAGES:
            key, group = queue.popleft()
            pattern = self.pattern(key)
            if alike[group] >= ALIKE or patterns[pattern] >= PER_PATTERN:
                continue
            alike[group] += 1
            patterns[pattern] += 1
            found, landed = self.visit(page, key, axe=True, links=True)
            if landed != key:  # a redirect, e.g. to sign in
                if landed in checked:
                    continue
                seen.add(landed)
            checked.append(landed)
            for link, look in found:
                if link not in seen:
                    seen.add(link)
                    shape = tuple(sorted({k for k, _ in parse_qsl(urlsplit(link).query)}))
                    queue.append((link, (self.pattern(link), shape, look, landed)))
        return checked

    def failure(self):
        lines = [f"{len(self.problems)} problem(s):"]
        for url, width, kind, details in self.problems:
            lines.append(f"  {url} @ {width}px — {kind}: {details}")
        return "\n".join(lines)


def more_waiting_answers():
    """Two more answers in Amara's queue, from Jelena, so the queue has several rows."""
    jelena = get_user_model().objects.get(username="jelena")
    for code in ("3.1", "3.5"):
        criterion = LearningOutcome.objects.get(unit__slug="f3", code=code)
        draft_submit(
            candidate=jelena,
            criterion=criterion,
            text="Teamwork means customers get one answer, whoever they ask. " * 8,
            base_version=0,
            declaration=True,
        )


def provoked_pages(role):
    """Pages whose status is an error on purpose, search pages, and the Django admin's pages."""
    pages = [("/this-page-does-not-exist/", 404, True)]
    # Search pages are reached through a form, not a link: results, Korean, nothing found.
    pages += [
        ("/search/?q=teamwork", 200, True),
        ("/search/?q=%ED%8C%80%EC%9B%8C%ED%81%AC", 200, True),
        ("/search/?q=zzzqqq", 200, True),
    ]
    if role == "mina":
        pages.append(("/review/", 403, True))  # an assessor's page
    if role == "amara":
        pages.append(("/progress/", 403, True))  # a candidate's page
    if role == "admin":
        unit = Unit.objects.order_by("pk").first()
        answer = Answer.objects.order_by("pk").first()
        pages += [
            ("/admin/", 200, False),
            ("/admin/units/unit/", 200, False),
            (f"/admin/units/unit/{unit.pk}/change/", 200, False),
            ("/admin/units/answer/", 200, False),
            (f"/admin/units/answer/{answer.pk}/change/", 200, False),
        ]
    return pages


@pytest.mark.parametrize("role", ["anonymous", "mina", "amara", "admin", "grace", "tom"])
def test_every_page_a_role_can_reach_fits_works_and_is_accessible(site, open_page, role):
    if role == "amara":
        more_waiting_answers()
    crawl = Crawl(site)
    desktop = open_page(**DESKTOP)
    if role != "anonymous":
        sign_in(desktop, site, role)
    crawl.watch(desktop)
    pages = crawl.crawl(desktop)
    extra = provoked_pages(role)
    # axe runs on the app's pages only. Django's admin is third-party HTML, and fails
    # WCAG 2.1 AA on its own: unlabelled fields in tabular inlines, the changelist's
    # filter links without text, breadcrumb links told apart by colour alone; and axe's
    # own inline styles trip the CSP there. It gets the checks for overflow, the icon,
    # console errors and failed requests.
    for key, status, app in extra:
        crawl.visit(desktop, key, status=status, app=app, axe=app)

    phone = open_page(**PHONE, storage_state=desktop.context.storage_state())
    crawl.width = PHONE["viewport"]["width"]
    crawl.watch(phone)
    for key in pages:
        crawl.visit(phone, key)
    for key, status, app in extra:
        crawl.visit(phone, key, status=status, app=app)

    visited = "\n".join(f"  {key}" for key in pages)
    assert len(pages) >= 5, f"the crawl found too few pages:\n{visited}"
    assert not crawl.problems, crawl.failure() + f"\n{len(pages)} page(s) crawled:\n{visited}"


CHECKED_BY_HAND = """<!doctype html><html lang="en"><head><title>t</title>
<link rel="icon" href="data:,"><meta name="description" content="A page with every defect.">
</head><body>
<div style="width: 1600px">wider than the screen</div>
<input name="unlabelled" style="position: absolute; left: 10px; top: 100px; width: 200px">
<button style="position: absolute; left: 100px; top: 100px">On top</button>
<label>Wrapped <input name="wrapped"></label>
<label for="by-for">By for</label><input id="by-for">
<input aria-label="By aria-label"> <input type="hidden" name="hidden">
<span style="display: inline-flex">
  <button>Left</button><button style="margin-left: -1px">Right</button>
</span>
<a class="btn" href="#" style="position: absolute; left: 1500px; top: 200px">Far right</a>
<img src="data:,"> <img src="data:," alt="">
<div aria-label="A name nobody reads">plain</div>
<span id="twice"></span><span id="twice"></span>
</body></html>"""


def test_the_checks_find_each_kind_of_defect(page):
    page.set_viewport_size({"width": 1366, "height": 900})
    page.set_content(CHECKED_BY_HAND)
    found = Counter(kind for kind, _ in page.evaluate(LAYOUT_CHECKS, [1366, True]))
    assert found == {
        "horizontal overflow": 1,
        "controls overlap": 1,  # the input under the button; not the two touching buttons
        "control off-screen": 1,
        "control without a label": 1,
        "image without alt": 1,
        "invalid HTML": 2,  # aria-label on a plain div; an id used twice
    }
