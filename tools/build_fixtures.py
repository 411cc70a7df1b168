"""Build the content fixtures in fixtures/ from the seed texts in shared/seeds/.

    python tools/build_fixtures.py [--seeds DIR] [--out DIR] [--check]

The model answers and introductions are read by units/documents.py, the same
importer an admin uses in the browser ("Turn a study guide into a draft",
docs/documents.md): criteria found by number or question text, bodies split at
headings, the table of contents skipped, page furniture flagged, and the default
decisions (every flag dropped) applied. What stays here is what a document cannot
tell: the units and their English questions, outcomes and attributions, and per
seed the furniture the importer is expected to flag, checked so that a change in
the seed or in the rules stops the build with an error naming the seed, rather
than writing less (or more) than before. No keep/drop decision differs from the
defaults for these seeds. The readings (hr, hu) are built here.

The seeds are copied, not edited: every kept line appears in a fixture exactly as
the seed writes it. Only whitespace and markup change ("  • x" becomes "- x",
lines become Markdown paragraphs, a passage in another language becomes
"[passage]{lang=en}").

--check builds in memory and exits 1 if a file in --out differs, so a test can
prove the committed fixtures are what the seeds give.
"""

import argparse
import json
import re
import sys
from pathlib import Path
from textwrap import indent

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from django.conf import settings  # noqa: E402

if not settings.configured:
    # The importer's messages are gettext strings: printed here in English.
    settings.configure(USE_I18N=False)

from units import documents  # noqa: E402
from units.documents import Kind, UnitFacts  # noqa: E402

# --- The furniture each seed has ------------------------------------------------------
# Checks, not rules: units/documents.py flags the furniture. The importer must flag
# exactly these lines (a line equal to one of `lines` or starting with one of
# `prefixes`; lines after the sign-off need not be listed), and, at the end of a line
# that is otherwise text, exactly the whole sentences in `trailing` (an introduction's
# last sentence asking for comments, or pointing at a link the page no longer has).
# `toc` must be skipped as the table of contents' label and `intro` taken as the
# introduction's. Every entry must match.

F3_SEEDS = {
    "sr-Cyrl": {
        "file": "000_14d2caf87c1030a7.txt",
        "toc": "Преглед садржаја:",  # the table of contents: this line and its "- " lines
        "intro": "Увод:",  # the label before the introduction for candidates
        "lines": {
            # Picture credits (the sites' names, transliterated).
            "тхемана.гр",
            "блог.таскраббит.цом",
            "хомеофсервице.цом",
            # Section headings between answers, not answer text.
            "Разумевање корисничке услуге",
            "Разумевање потреба купаца",
            "Задовољство купаца",
            "Шта значи добра корисничка услуга?",
            "Покажите разумевање корисничке услуге - 2. део",  # title of the link to part 2
            "Све најбоље!",  # sign-off
        },
        "prefixes": (
            "Ово је први део јединице",  # "This is part 1 …; follow the link below:"
            "Слиједите доњу везу",  # "Follow the link below to part 2:"
            "Надам се да вам је ово било од неке помоћи",  # "I hope this helped … comment"
        ),
        "trailing": (
            # The introduction's last sentence: "I tried my best …, but if you feel that
            # anything is irrelevant or missing, feel free to leave a comment below."
            "Трудио сам се да унесем све информације најбоље што сам могао, али ако сматрате "
            "да је ишта ирелевантно или недостаје, слободно окрените коментар испод.",
        ),
    },
    "ko": {
        "file": "001_f88f829b704c4678.txt",
        "toc": "차례:",
        "intro": "소개:",
        "lines": {
            "themana.gr",
            "blog.taskrabbit.com",
            "homeofservice.com",
            # Section headings between answers.
            "고객 서비스 이해",
            "고객 요구 이해",
            "고객 만족",
            "좋은 고객 서비스 란 무엇을 의미합니까?",
            "고객 서비스에 대한 이해 증명-2 부",
            "모두 제일 좋다!",  # sign-off
        },
        "prefixes": (
            # The part 2 link lines and the closing "I hope this helped".
            '이것은 "고객 서비스에 대한 이해 시연"단원의 첫 번째 부분',
            "이 단원의 두 번째 부분을 보려면",
            "이것이 당신에게 도움이 되었기를 바랍니다.",
        ),
        "trailing": (
            # The same closing sentence of the introduction: "… leave a comment below."
            "가능한 한 모든 정보를 입력하기 위해 최선을 다했지만 관련이 없거나 누락 된 것이 "
            "있으면 언제든지 아래에 의견을 남겨주세요.",
        ),
    },
}

ZH_SEED = {
    "file": "002_ef8505fd1acefe3b.txt",
    # After the sign-off ("I hope this helped …", then "Thank you."), the disclaimer,
    # reader comments and related articles are not answer text: flagged as one.
    "lines": {
        # Header labels ("Updated:", "Author:").
        "更新日期:",
        "作者:",
        "向内部客户提供、监控和评估客户服务:第二部分",  # title
        "提供监控和评估 - 客户服务对内客户端 -  II",  # title again, machine-translated
        "为内部客户提供、监控和评估客户服务-第一部分",  # title of the link to part 1
    },
    "prefixes": (
        "利文斯塔分享了她",  # author bio line; gives the attribution below
        "关于本单元的第一部分问题",  # "For part 1 of this unit, follow the link below:"
        "我希望这对你有帮助。",  # "I hope this helped … contact me" sign-off
    ),
    "trailing": (
        # "The first part of this unit is a different post. Please use the link below to
        # get there." The page has no such link.
        "本机的第一部分是不同的部分。请使用下面的链接到达那里。",
    ),
}

# Passages in another language than the seed's, which the importer must tag with
# their own so they are read, spoken and set in it: {how the passage starts: its BCP 47
# tag}. A passage runs to the end of its line and becomes a "[…]{lang=…}" span
# (units/markdown.py). In 6.2 a bullet goes on in English after its first, Chinese,
# sentence (seeds README).
ZH_OTHER_LANGUAGES = {"Our organisation has an": "en"}

# Two criteria in the Chinese seed are not numbered (seeds README): given to the
# importer as the questions in Chinese, as the bank holds them once loaded.
ZH_UNNUMBERED = {
    "解释如何与内部客户建立和满足质量标准和时间表": "4.3",
    "描述收集和评估客户反馈的技术": "6.2",
}

HR_SEED = {
    "file": "003_e1c2b9ba192a2705.txt",
    "title": "Standardi i postupci korisničke službe",
    "lines": {"Sadržaj:"},  # an empty table of contents
    "author": "Anonim",
    "headings": ["Poštovanje", "pravovremenost", "Postavite realistična očekivanja"],
}

HU_SEED = {
    "file": "004_84cadca9dc633fc3.txt",
    "credit": "Kivonat cikk Lance Betancourt",  # "Article summary: Lance Betancourt"
    "lines": {"Téma: Management"},  # the site's topic tag
    "principles": 5,  # the source numbers its fifth principle "1."; we number by position
}

# --- Units, criteria and attributions ------------------------------------------------

F3_UNIT = {
    "code": "F3",
    "slug": "f3",
    "title": "Demonstrate understanding of customer service",
    "qualification": "Customer Service NVQ",
    "group": "Group A (mandatory)",
    # OCR's unit specification for F3 (docs/content.md, Sources): Level 3, 6 credits. Its
    # Ofqual unit reference is not in any source we could cite, so it stays empty.
    "level": 3,
    "credit": 6,
    "ofqual_ref": "",
    "description": (
        "The understanding of customer service that a customer service role needs: meeting "
        "customer expectations, financial and other resource constraints, the organisation's "
        "service chain, teamwork, best value and competitive advantage, excellent service "
        "despite the organisation's limits, different customer behaviours and personalities, "
        "and effective communication. "
        # Said on the unit page, so nobody takes part 1 for the whole unit.
        "The model answers here come from part 1 only of a two-part study guide for this "
        "unit: criteria 3.1 to 3.10. Part 2, and the criteria it answers, are not held here."
    ),
}
# Neither the seeds nor a public source we could cite gives this outcome's title
# (docs/content.md), so none is invented.
F3_OUTCOME = "Learning outcome 3"
F3_QUESTIONS = {
    "3.1": "How does your organisation's service offer meet customer expectations?",
    "3.2": "How is your organisation's service offer affected by financial and other "
    "resource constraints?",
    "3.3": "What impact could your organisation's service offer have on different people "
    "in the service chain?",
    "3.4": "How do customers form their expectations of services and products?",
    "3.5": "Why is effective teamwork important in providing excellent customer service?",
    "3.6": "How does customer service contribute to best value in the public sector?",
    "3.7": "How can customer service give a commercial organisation a competitive advantage?",
    "3.8": "Why does your organisation limit its customer service offer, balancing customer "
    "satisfaction with the organisation's goals?",
    "3.9": "How do you deal with different customer behaviours and personalities to achieve "
    "customer satisfaction? Give at least two examples.",
    "3.10": "Why is effective communication important in providing excellent customer service?",
}
F3_ATTRIBUTION = (
    "Translation of a public NVQ study guide for unit F3, part 1 (author not named in the source)"
)

A2550_UNIT = {
    "code": "A/601/2550",
    "slug": "a-601-2550",
    "title": "Deliver, monitor and evaluate customer service to internal customers",
    # The seed's "NVQ业务和管理" is a machine translation of this (the study guide's
    # English original: a Level 3 unit worth 3 credits in the NVQ Level 3 or Level 4
    # Certificate or Diploma in Business and Administration; docs/content.md, Sources).
    "qualification": "NVQ Certificate or Diploma in Business and Administration",
    "group": "",
    "level": 3,
    "credit": 3,
    "ofqual_ref": "A/601/2550",
    "description": (
        "Delivering, monitoring and evaluating customer service to internal customers: "
        "who internal customers are and what they are offered, meeting or exceeding their "
        "expectations, quality standards and timescales, dealing with internal customers' "
        "problems and complaints procedures, monitoring customer satisfaction and feedback, "
        "continuous improvement, and building positive working relationships. "
        "The model answers here (in Chinese) come from part 2 of a two-part study guide and "
        "answer criteria 4.1 to 6.3; the other criteria have no model answer yet. Outcome 7 "
        "has further criteria from 7.4 on in the regulator's register that are not in the "
        "bank yet."
    ),
}
# The learning outcomes and criteria as the Ofqual register words them (docs/content.md,
# Sources). Every criterion the register copy shows is held, answered or not; it breaks
# off in the middle of 7.4, so 7.4 and any later criterion of outcome 7 are left out
# rather than guessed.
A2550_OUTCOMES = {
    "1": "LO1 Understand the meaning of internal customer",
    "2": "LO2 Know the types of products and services relevant to internal customers",
    "3": "LO3 Understand how to deliver customer service that meets or exceeds internal "
    "customer expectations",
    "4": "LO4 Understand the purpose of quality standards and timescales for delivering "
    "customer service",
    "5": "LO5 Understand how to deal with internal customer service problems",
    "6": "LO6 Understand how to monitor and evaluate internal customer service and the "
    "benefits of this",
    "7": "LO7 Be able to build positive working relationships with internal customers",
}
A2550_QUESTIONS = {
    "1.1": "Describe what is meant by internal customers",
    "2.1": "Describe the products and services offered by own organisation to internal customers",
    "3.1": "Explain the purpose and value of identifying internal customer needs and expectations",
    "3.2": "Explain why customer service must meet or exceed internal customer expectations",
    "3.3": "Explain the value of meeting or exceeding internal customer expectations",
    "3.4": "Explain the purpose and value of building positive working relationships",
    "4.1": "Identify quality standards for own organisation and work",
    "4.2": "Explain the value of agreeing quality standards and timescales",
    "4.3": "Explain how to set and meet quality standards and timescales with internal customers",
    "5.1": "Describe the types of problems that internal customers may have",
    "5.2": "Explain ways of dealing with problems",
    "5.3": "Explain the purpose and value of a complaints procedure, if applicable",
    "6.1": "Explain the purpose and benefits of monitoring internal customer satisfaction "
    "and how to do so",
    "6.2": "Describe techniques for collecting and evaluating customer feedback",
    "6.3": "Explain the benefits of continuous improvement",
    "7.1": "Identify internal customers",
    "7.2": "Confirm internal customer needs in terms of products and services",
    "7.3": "Confirm internal customer needs in terms of quality standards and timescales",
}
# The criteria the Chinese seed (part 2 of the study guide) answers.
A2550_ANSWERED = ["4.1", "4.2", "4.3", "5.1", "5.2", "5.3", "6.1", "6.2", "6.3"]
ZH_ATTRIBUTION = "利文斯塔 (Livingsta), author of the public NVQ study guide for this unit, part 2"

READING_UNITS = [["F3"], ["A/601/2550"]]
HR_READING = {
    "slug": "customer-service-standards-and-procedures",
    "title_en": "Customer service standards and procedures",
    "attribution": "Anonim (anonymous author)",
}
HU_READING = {
    "slug": "five-principles-of-quality-service",
    "title_en": "Five principles of quality service",
    "attribution": "Article summary credited to Lance Betancourt "
    "(in the source: “Kivonat cikk Lance Betancourt”)",
}

NUMBERED = re.compile(r"^\d+\. ")  # a numbered list item


class SeedError(Exception):
    pass


# --- Reading the seeds ---------------------------------------------------------------


def read_text(seeds: Path, name: str) -> str:
    return (seeds / name).read_text(encoding="utf-8")


def drop_furniture(lines: list[str], rules: dict, name: str) -> list[str]:
    """A reading's lines without its furniture and blank lines; fails on a rule that
    matched nothing."""
    exact = rules.get("lines", set())
    used, kept = set(), []
    for line in lines:
        text = line.strip()
        if text in exact:
            used.add(text)
        elif text:
            kept.append(line)
    missing = set(exact) - used
    if missing:
        raise SeedError(f"{name}: furniture rules matched no line: {sorted(missing)}")
    return kept


def parse_seed(seeds: Path, rules: dict, facts: UnitFacts) -> documents.Draft:
    """The importer's reading of a seed, checked against what the seed is known to hold."""
    name = rules["file"]
    try:
        draft = documents.parse(read_text(seeds, name), facts)
    except documents.DocumentError as exc:
        raise SeedError(f"{name}: {exc}") from None
    exact, prefixes = rules.get("lines", set()), rules.get("prefixes", ())
    trailing = rules.get("trailing", ())
    used = set()
    for line in draft.lines:
        if line.kind == Kind.FURNITURE:
            rule = line.text if line.text in exact else None
            rule = rule or next((p for p in prefixes if line.text.startswith(p)), None)
            if rule is None and line.reason != "after-end":
                raise SeedError(
                    f"{name}: line {line.number} is flagged ({line.reason}) but not listed "
                    f"as furniture: {line.text!r}"
                )
            used.add(rule)
        flagged = "".join(piece.text for piece in line.pieces if piece.reason).strip()
        tail = next((t for t in trailing if line.text.endswith(t)), None)
        if tail is not None:
            if flagged != tail:
                raise SeedError(
                    f"{name}: {tail!r} is not whole sentences at the end of its line "
                    f"(the importer flags {flagged!r})"
                )
            used.add(tail)
        elif flagged:
            raise SeedError(f"{name}: line {line.number} has a flagged sentence: {flagged!r}")
    for label, kind in (
        (rules.get("toc"), Kind.CONTENTS),
        (rules.get("intro"), Kind.INTRODUCTION_LABEL),
    ):
        if label and not any(line.text == label and line.kind == kind for line in draft.lines):
            raise SeedError(f"{name}: expected the line {label!r} to be read as {kind}")
    missing = (set(exact) | set(prefixes) | set(trailing)) - used
    if missing:
        raise SeedError(f"{name}: furniture not flagged: {sorted(missing)}")
    return draft


def seed_objects(draft, rules, unit, language, codes, attribution) -> list[dict]:
    """The model answers and introduction the seed gives with the default decisions."""
    name = rules["file"]
    assembled = documents.assemble(draft)
    for code in assembled.empty:
        raise SeedError(f"{name}: criterion {code} has no answer text")
    if list(assembled.answers) != codes:
        missing = [code for code in codes if code not in assembled.answers]
        extra = [code for code in assembled.answers if code not in codes]
        raise SeedError(f"{name}: criteria not found {missing}, not expected {extra}")
    return documents.fixture_objects(unit, language, assembled, attribution)


def take(lines: list[str], expected: str, name: str) -> list[str]:
    """The lines after the first line, which must be `expected`."""
    if not lines or lines[0].strip() != expected:
        raise SeedError(f"{name}: expected the line {expected!r} here")
    return lines[1:]


# --- Building the fixtures -----------------------------------------------------------


def sort_key(code: str) -> tuple[int, int]:
    major, minor = code.split(".")
    return int(major), int(minor)


def criteria_objects(unit: str, questions: dict, outcome) -> list[dict]:
    return [
        {
            "model": "units.learningoutcome",
            "fields": {
                "unit": [unit],
                "code": code,
                "outcome": outcome(code),
                "question": questions[code],
            },
        }
        for code in sorted(questions, key=sort_key)
    ]


def build_f3(seeds: Path) -> list[dict]:
    answers, intros = [], []
    for language, rules in F3_SEEDS.items():
        draft = parse_seed(seeds, rules, UnitFacts("F3", list(F3_QUESTIONS), language=language))
        objects = seed_objects(draft, rules, "F3", language, list(F3_QUESTIONS), F3_ATTRIBUTION)
        answers += [obj for obj in objects if obj["model"] == "units.modelanswer"]
        intros += [obj for obj in objects if obj["model"] == "units.unitintroduction"]
    criteria = criteria_objects("F3", F3_QUESTIONS, lambda code: F3_OUTCOME)
    return [{"model": "units.unit", "fields": F3_UNIT}, *criteria, *answers, *intros]


def build_a2550(seeds: Path) -> list[dict]:
    code, name = A2550_UNIT["code"], ZH_SEED["file"]
    questions = {number: text for text, number in ZH_UNNUMBERED.items()}
    facts = UnitFacts(code, sorted(A2550_QUESTIONS, key=sort_key), questions, language="zh-Hans")
    draft = parse_seed(seeds, ZH_SEED, facts)
    objects = seed_objects(draft, ZH_SEED, code, "zh-Hans", A2550_ANSWERED, ZH_ATTRIBUTION)
    bodies = [obj["fields"]["body"] for obj in objects]
    for start, language in ZH_OTHER_LANGUAGES.items():
        tagged = re.compile(rf"\[{re.escape(start)}[^\[\]]*\]\{{lang={re.escape(language)}\}}")
        if not any(tagged.search(body) for body in bodies):
            raise SeedError(f"{name}: the passage {start!r} is not tagged as {language}")
    return [
        {"model": "units.unit", "fields": A2550_UNIT},
        *criteria_objects(code, A2550_QUESTIONS, lambda c: A2550_OUTCOMES[c.split(".")[0]]),
        *objects,
    ]


def reading_object(language: str, title: str, body: str, meta: dict) -> dict:
    return {
        "model": "units.reading",
        "fields": {
            "slug": meta["slug"],
            "language": language,
            "title": title,
            "title_en": meta["title_en"],
            "body": body,
            "attribution": meta["attribution"],
            "units": READING_UNITS,
        },
    }


def build_hr(seeds: Path) -> dict:
    name = HR_SEED["file"]
    lines = take(
        drop_furniture(read_text(seeds, name).splitlines(), HR_SEED, name), HR_SEED["title"], name
    )
    lines = take(lines, HR_SEED["author"], name)
    texts = [line.strip() for line in lines]
    for heading in HR_SEED["headings"]:  # section headings, kept as Markdown headings
        if heading not in texts:
            raise SeedError(f"{name}: heading {heading!r} not found")
    blocks = [f"## {t}" if t in HR_SEED["headings"] else t for t in texts]
    return reading_object("hr", HR_SEED["title"], "\n\n".join(blocks), HR_READING)


def build_hu(seeds: Path) -> dict:
    """An intro paragraph, then the principles as an ordered list. What comes between
    two principles (the sub-bullets and the "Először is / Másodszor / Harmadszor"
    paragraphs of principle 4) is indented under the one before, so the list goes on."""
    name = HU_SEED["file"]
    lines = drop_furniture(read_text(seeds, name).splitlines(), HU_SEED, name)
    title = lines[0].strip()
    lines = take(take(lines[1:], title, name), HU_SEED["credit"], name)  # title repeated
    intro: list[str] = []
    principles: list[tuple[str, list[str]]] = []
    for line in lines:
        text = line.strip()
        if NUMBERED.match(text):
            principles.append((NUMBERED.sub("", text), []))
        elif principles:
            principles[-1][1].append(line)
        else:
            intro.append(line)
    if len(principles) != HU_SEED["principles"]:
        raise SeedError(f"{name}: expected {HU_SEED['principles']} principles")
    blocks = [documents.markdown(intro)]
    for number, (text, rest) in enumerate(principles, start=1):
        blocks.append(
            f"{number}. {text}"
            + ("\n\n" + indent(documents.markdown(rest), "    ") if rest else "")
        )
    return reading_object("hu", title, "\n\n".join(blocks), HU_READING)


def build(seeds: Path) -> dict[str, str]:
    """{file name: JSON text} for every fixture."""
    fixtures = {
        "unit-f3.json": build_f3(seeds),
        "unit-a-601-2550.json": build_a2550(seeds),
        "readings.json": [build_hr(seeds), build_hu(seeds)],
    }
    return {
        name: json.dumps(objects, ensure_ascii=False, indent=2) + "\n"
        for name, objects in fixtures.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=Path, default=REPO.parent / "shared" / "seeds")
    parser.add_argument("--out", type=Path, default=REPO / "fixtures")
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    built = build(args.seeds)
    if args.check:
        stale = [
            name
            for name, text in built.items()
            if not (args.out / name).exists()
            or (args.out / name).read_text(encoding="utf-8") != text
        ]
        if stale:
            sys.stderr.write(
                f"Fixtures out of date: {', '.join(stale)}. Run python tools/build_fixtures.py\n"
            )
            return 1
        sys.stdout.write(f"Fixtures up to date: {', '.join(built)}\n")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in built.items():
        (args.out / name).write_text(text, encoding="utf-8")
        sys.stdout.write(f"wrote {args.out / name}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
